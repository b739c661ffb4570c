/** `wirescope connect grpc://… --list`: the services and methods, as text (pretty) or one JSON line per method (ndjson). */
import { describeError } from '../core/errors';
import { redactText } from '../core/export/redact';
import { formatListing, listGrpc } from '../patterns/grpc/listing';
import type { ConnectCommand } from './args';
import { EXIT, type CliIo } from './runConnect';

export async function runGrpcList(cmd: ConnectCommand, io: CliIo, secretValues: readonly string[] = []): Promise<number> {
  try {
    const l = await listGrpc(cmd.options, io.cwd);
    if (cmd.format === 'pretty') io.write(formatListing(l));
    else if (cmd.format === 'summary') io.write(`${JSON.stringify({ source: l.source, services: l.services, methods: l.methods.map((m) => ({ method: m.method, kind: m.kind, input: m.input, output: m.output })) })}\n`);
    else for (const m of l.methods) io.write(`${JSON.stringify({ ...m, source: l.source })}\n`);
    return EXIT.ok;
  } catch (err) {
    io.error(redactText(describeError(err, cmd.options.url).message, secretValues.filter((v) => v.length > 0)));
    return EXIT.failed;
  }
}

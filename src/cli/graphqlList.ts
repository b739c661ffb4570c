/** `wirescope connect … --pattern graphql --list`: the query, mutation and subscription fields, as text (pretty) or one JSON line per field (ndjson). */
import { redactText } from '../core/export/redact';
import { formatFields, listGraphql } from '../patterns/graphql/listing';
import { escapePreview } from './format';
import type { ConnectCommand } from './args';
import { EXIT, type CliIo } from './runConnect';

export async function runGraphqlList(cmd: ConnectCommand, io: CliIo, secretValues: readonly string[] = []): Promise<number> {
  const secrets = secretValues.filter((v) => v.length > 0);
  try {
    const fields = await listGraphql(cmd.options);
    if (cmd.format === 'pretty') io.write(formatFields(fields).split('\n').map((l) => escapePreview(l, 1000)).join('\n')); // server text, escaped for the terminal
    else if (cmd.format === 'summary') io.write(`${JSON.stringify({ fields: fields.length, query: fields.filter((f) => f.root === 'query').length, mutation: fields.filter((f) => f.root === 'mutation').length, subscription: fields.filter((f) => f.root === 'subscription').length })}\n`);
    else for (const f of fields) io.write(`${JSON.stringify(f)}\n`);
    return EXIT.ok;
  } catch (err) {
    io.error(redactText((err as Error).message.split('\n')[0], secrets));
    return EXIT.failed;
  }
}

/**
 * Entry of `wirescope` (bundled to dist/cli.js): the headless face of the engine. Runs one command
 * and exits with a documented code. Failures are one line on stderr, never a stack trace.
 */
import { describeError } from '../core/errors';
import { EXIT, type CliIo } from './runConnect';
import { main } from './program';

/**
 * Bytes stdout may hold unwritten before the CLI counts its consumer as slow (then the session
 * stops reading until it drains). Larger than the stream's own 16 KiB
 * mark, so a consumer that keeps up never makes the connection stop and start.
 */
const STDOUT_BACKLOG_BYTES = 1 << 20;

/**
 * Output written in one tick leaves in one write: stdout to a file or a pipe is a synchronous system
 * call per write on Linux, and an NDJSON line per frame made that call the CLI's largest cost at high
 * rates (a third of the capture proxy's CPU on an SSE feed). Lines wait at most until the end of the
 * current turn of the event loop, and never more than COALESCE_BYTES; stderr lines flush what waits
 * first, so the two streams keep their order on a terminal.
 */
const COALESCE_BYTES = 64 * 1024;
let pending: string[] = [];
let pendingBytes = 0;
let flushScheduled = false;

function flushStdout(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = pending.length === 1 ? pending[0] : pending.join('');
  pending = [];
  pendingBytes = 0;
  process.stdout.write(text);
}

function processIo(): CliIo {
  return {
    write: (text) => {
      pending.push(text);
      pendingBytes += text.length;
      if (pendingBytes >= COALESCE_BYTES) flushStdout();
      else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushStdout);
      }
      return process.stdout.writableLength < STDOUT_BACKLOG_BYTES;
    },
    onDrain: (cb) => {
      process.stdout.once('drain', cb);
    },
    error: (line) => {
      flushStdout();
      process.stderr.write(`wirescope: ${line}\n`);
    },
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    env: process.env,
    onInterrupt: (stop) => {
      let interrupts = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        // A second Ctrl+C means the graceful close is taking too long.
        if (++interrupts > 1) process.exit(130);
        stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
    },
  };
}

function fatal(err: unknown): void {
  // Last resort: one line, never a stack trace.
  flushStdout();
  process.stderr.write(`wirescope: ${describeError(err).message}\n`);
  process.exit(EXIT.failed);
}

run();

function run(): void {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // Whatever way the process ends, the lines still waiting are written (stdout to a file or pipe is synchronous here).
  process.on('exit', flushStdout);
  // A closed pipe (wirescope ... | head) ends the output quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    fatal(err);
  });
  void main(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
    // Anything a transport forgot to close must not keep the CLI alive after the summary; but the
    // output is written out first (a pipe that reads slowly still gets every line).
    const exitSoon = () => setTimeout(() => process.exit(code), 2000).unref();
    const whenWritten = (): unknown => (pendingBytes > 0 || process.stdout.writableLength > 0 ? setTimeout(whenWritten, 20) : exitSoon());
    whenWritten();
  }, fatal);
}

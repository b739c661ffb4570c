/** The `wirescope` commands, independent of the real process so they can be driven by tests. */
import { describeError } from '../core/errors';
import { CONNECT_FLAGS, DEMO_FLAGS, defaultArgsEnvironment, flagHelp, parseConnectArgs, parseDemoArgs, ProfileUsageError, profileFlags, UsageError } from './args';
import { COMPARE_HELP, parseCompareArgs, runCompare } from './compare';
import { EXIT, runConnect, type CliIo } from './runConnect';
import { runDemo } from './demo';
import { parseTestArgs, runTest, TEST_FLAGS } from './test';
import { loadProfilesForCli, parseProfilesArgs, PROFILES_FLAGS, resolveForCli, runProfiles, usableProfile } from './profiles';
import { parseProxyArgs, PROXY_HELP } from './proxy';
import { escapePreview } from './format';
import { maskUrlPasswords } from '../shared/credentials';
import { version } from '../../package.json';

const MAIN_HELP = `wirescope ${version}: open a connection of any backend communication pattern and log every frame, timing and reconnect.

Usage:
  wirescope connect <url> [options]   Connect and print events (wirescope connect --help)
  wirescope connect --profile NAME    Connect with a saved profile from .vscode/wirescope.json
  wirescope profiles [--profiles FILE]
                                      List the saved profiles and their problems
  wirescope test [--profiles FILE] [NAME...]
                                      Run the profiles that have "expect" as tests (wirescope test --help)
  wirescope demo [options]            Run the demo backend: one live feed over every pattern (wirescope demo --help)
  wirescope compare [options]         Race one feed over several patterns and measure each (wirescope compare --help)
  wirescope proxy --target <url>      Capture proxy: watch your app talk to its backend (wirescope proxy --help)
  wirescope --help | --version

Examples:
  wirescope demo --port 8080
  wirescope connect ws://127.0.0.1:8080/ws --send hi --count 1 --format ndjson
  wirescope connect http://127.0.0.1:8080/sse --pattern sse --duration 5000
  wirescope compare --demo

Exit codes: 0 normal end, 1 connection failed, 2 bad arguments, invalid URL or bad profile, 3 anomalies with --fail-on anomaly, 4 HTTP 4xx/5xx with --fail-on http-error.
`;

const CONNECT_HELP = `Usage: wirescope connect <url> [options]

Opens one session and prints its events until --count, --duration, the server closing, or Ctrl+C.

${flagHelp(CONNECT_FLAGS)}
Exit codes: 0 normal end, 1 connection failed, 2 bad arguments, invalid URL or bad profile, 3 anomalies with --fail-on anomaly, 4 HTTP 4xx/5xx with --fail-on http-error.
`;

const PROFILES_HELP = `Usage: wirescope profiles [--profiles FILE] [--format pretty|json]

Lists the profiles of a profiles file with their problems (JSON path, line and message).
Exit codes: 0 every profile is usable, 2 the file or a profile has errors.

${flagHelp(PROFILES_FLAGS)}`;

const TEST_HELP = `Usage: wirescope test [--profiles FILE] [NAME...] [--reporter pretty|junit|tap|json [--output FILE]]... [--concurrency n]

Runs every profile that has an "expect" list (or the named ones) as a test: each session ends as soon
as its expectations are decided, its durationMs (default 30000) being the upper bound.
Exit codes: 0 every profile passed, 1 any failed, 2 bad profiles file or profile (nothing runs).

${flagHelp(TEST_FLAGS)}`;

const DEMO_HELP = `Usage: wirescope demo [options]

Serves one live feed of numbered events over REST, SSE, WebSocket, polling, long polling,
streaming, async jobs, webhooks and MQTT. Binds 127.0.0.1 unless --host says otherwise.

${flagHelp(DEMO_FLAGS)}`;

/**
 * Every line on stderr goes through the same escaping as pretty output (a server's reason phrase or
 * close reason cannot reach the terminal raw) and never shows a URL's password.
 */
function safeIo(io: CliIo): CliIo {
  return { ...io, write: (text) => io.write(text), error: (line) => io.error(escapePreview(maskUrlPasswords(line), 2000)) };
}

/** Run the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const io = safeIo(rawIo);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.write(MAIN_HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
      case '-V':
      case 'version':
        io.write(`${version}\n`);
        return EXIT.ok;
      case 'connect': {
        const wanted = profileFlags(rest);
        if (wanted.help) {
          io.write(CONNECT_HELP);
          return EXIT.ok;
        }
        if (wanted.profile !== undefined) {
          // The profile is resolved by the editor's code; the flags given then override its fields.
          const loaded = loadProfilesForCli(wanted.profilesFile, io);
          const resolved = await resolveForCli(loaded, usableProfile(loaded, wanted.profile), io);
          const cmd = parseConnectArgs(rest, { ...defaultArgsEnvironment, env: io.env }, resolved.options);
          return await runConnect(cmd, io, [], resolved.secretValues);
        }
        const cmd = parseConnectArgs(rest, { ...defaultArgsEnvironment, env: io.env });
        return await runConnect(cmd, io);
      }
      case 'test': {
        const cmd = parseTestArgs(rest);
        if (cmd.help) {
          io.write(TEST_HELP);
          return EXIT.ok;
        }
        return await runTest(cmd, io);
      }
      case 'profiles': {
        const cmd = parseProfilesArgs(rest);
        if (cmd.help) {
          io.write(PROFILES_HELP);
          return EXIT.ok;
        }
        return runProfiles(cmd, io);
      }
      case 'proxy': {
        const cmd = parseProxyArgs(rest);
        if (cmd.help) {
          io.write(PROXY_HELP);
          return EXIT.ok;
        }
        return await runConnect(cmd, io);
      }
      case 'demo': {
        const cmd = parseDemoArgs(rest);
        if (cmd.help) {
          io.write(DEMO_HELP);
          return EXIT.ok;
        }
        return await runDemo(cmd, io);
      }
      case 'compare': {
        const cmd = parseCompareArgs(rest);
        if (cmd.help) {
          io.write(COMPARE_HELP);
          return EXIT.ok;
        }
        return await runCompare(cmd, io);
      }
      default:
        throw new UsageError(`unknown command "${command}"; try wirescope --help`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const hint = err instanceof ProfileUsageError ? '' : command === 'connect' || command === 'demo' || command === 'profiles' || command === 'test' || command === 'compare' || command === 'proxy' ? ` (see wirescope ${command} --help)` : '';
      io.error(`${err.message}${hint}`);
      return EXIT.usage;
    }
    io.error(describeError(err).message);
    return EXIT.failed;
  }
}

/**
 * `wirescope proxy`: the capture proxy on the command line. Its events are those of any session
 * (same formats, exit codes and summary); the options are the proxy's own plus the general ones
 * of `connect` that apply (format, count, duration, preview limit, id field, TLS).
 */
import { describeError } from '../core/errors';
import { redactUrl } from '../core/httpClient';
import { isLoopbackHost, parseListen } from '../core/webhookReceiver';
import { CONNECT_FLAGS, defaultArgsEnvironment, flagHelp, tokenize, UsageError, type ArgsEnvironment, type ConnectCommand, type ConnectTarget, type FlagSpec } from './args';

const SHARED = ['format', 'count', 'duration', 'preview-limit', 'timeout', 'id-field', 'fail-on', 'help', 'insecure', 'cacert', 'cert', 'key'];

function proxyOpts(t: ConnectTarget) {
  return (t.options.proxy ??= {});
}

/** Every `wirescope proxy` flag. */
export const PROXY_FLAGS: readonly FlagSpec<ConnectTarget>[] = [
  {
    name: 'target', value: 'URL', group: 'Proxy',
    help: 'Reverse proxy: the backend every request goes to (http:// or https://; WebSocket upgrades pass through).',
    apply: (t, v) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new UsageError(`--target needs a URL like http://127.0.0.1:3000, got "${redactUrl(v)}"`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--target must be an http:// or https:// URL, got "${u.protocol}" (WebSocket upgrades to an http:// target pass through)`);
      if (!u.hostname) throw new UsageError(`--target "${redactUrl(v)}" has no host`);
      if (u.port && (Number(u.port) < 1 || Number(u.port) > 65535)) throw new UsageError(`--target port ${u.port} is out of range`);
      t.options.url = v;
    },
  },
  {
    name: 'forward', group: 'Proxy',
    help: 'Forward proxy for HTTP_PROXY/HTTPS_PROXY: clients name the destination; HTTPS CONNECT tunnels pass through undecrypted.',
    apply: (t) => (proxyOpts(t).forward = true),
  },
  {
    name: 'listen', value: 'host:port', group: 'Proxy', help: 'Where to listen (default 127.0.0.1:0, a free port on this machine only).',
    apply: (t, v) => {
      try {
        parseListen(v);
      } catch (err) {
        throw new UsageError(`--listen: ${describeError(err).message}`);
      }
      proxyOpts(t).listen = v;
    },
  },
  { name: 'allow-remote', group: 'Proxy', help: 'Allow a --listen address other machines can reach (0.0.0.0, a LAN address).', apply: (t) => (proxyOpts(t).allowRemote = true) },
  { name: 'keep-host', group: 'Proxy', help: "Send the client's Host header to the backend (default: the target's host).", apply: (t) => (proxyOpts(t).keepHost = true) },
  { name: 'forwarded-headers', group: 'Proxy', help: 'Add X-Forwarded-For/-Proto/-Host (the default in reverse mode).', apply: (t) => (proxyOpts(t).forwardedHeaders = true) },
  { name: 'no-forwarded-headers', group: 'Proxy', help: 'Do not add X-Forwarded-* headers (the default in forward mode).', apply: (t) => (proxyOpts(t).forwardedHeaders = false) },
  {
    name: 'long-poll-ms', value: 'ms', group: 'Proxy', help: 'A plain response whose headers took at least this long is marked a long poll (default 1000).',
    apply: (t, v) => {
      if (!/^\d+$/.test(v)) throw new UsageError(`--long-poll-ms needs a whole number, got "${v}"`);
      proxyOpts(t).longPollMs = Number(v);
    },
  },
  ...CONNECT_FLAGS.filter((f) => SHARED.includes(f.name)).map((f) => (f.name === 'timeout' ? { ...f, help: 'Connect timeout towards the backend (and for the start-up check of --target).' } : f)),
];

export const PROXY_HELP = `Usage: wirescope proxy --target <url> [options]
       wirescope proxy --forward [options]

Puts Wirescope between your app and its backend: point the app (or the browser) at the proxy URL
printed in the first event, and every exchange is logged, decoded by pattern (HTTP, WebSocket
frames, SSE events, NDJSON lines, long polls), while the bytes pass unchanged.
Runs until Ctrl+C, --count or --duration.

${flagHelp(PROXY_FLAGS)}
Exit codes: 0 normal end, 1 the proxy could not start (target unreachable, port in use), 2 bad arguments, 3 anomalies with --fail-on anomaly.
`;

/** Parse `wirescope proxy` arguments (after the word `proxy`). Throws UsageError. */
export function parseProxyArgs(argv: readonly string[], env: ArgsEnvironment = defaultArgsEnvironment): ConnectCommand {
  const { flags, positionals } = tokenize(argv, PROXY_FLAGS);
  const t: ConnectTarget = { options: { pattern: 'proxy', url: '' }, format: 'pretty', help: false };
  if (flags.some((f) => f.spec.name === 'help')) return { ...t, help: true };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${redactUrl(positionals[0])}"; give the backend with --target URL`);
  const has = (name: string) => flags.some((f) => f.spec.name === name);
  if (has('forwarded-headers') && has('no-forwarded-headers')) throw new UsageError('--forwarded-headers and --no-forwarded-headers contradict each other');
  for (const f of flags) {
    // The connect timeout lands where the proxy reads it, whatever connect's pattern logic says.
    if (f.spec.name === 'timeout') {
      if (!/^\d+$/.test(f.value) || Number(f.value) < 1) throw new UsageError(`--timeout needs a whole number of ms, got "${f.value}"`);
      t.options.connectTimeoutMs = Number(f.value);
      continue;
    }
    f.spec.apply(t, f.value, env);
  }
  const forward = t.options.proxy?.forward === true;
  if (forward && has('target')) throw new UsageError('--forward and --target contradict each other: a forward proxy takes its destinations from the clients');
  if (!forward && !has('target')) throw new UsageError('missing --target URL (or --forward for a forward proxy)');
  if (forward && has('keep-host')) throw new UsageError('--keep-host applies to the reverse proxy (--target); a forward proxy always keeps the Host header');
  const listen = parseListen(t.options.proxy?.listen);
  if (!isLoopbackHost(listen.host) && !t.options.proxy?.allowRemote) {
    throw new UsageError(`--listen ${listen.host} can be reached from other machines; add --allow-remote to listen there`);
  }
  return { options: t.options, format: t.format, failOn: t.failOn, help: false };
}

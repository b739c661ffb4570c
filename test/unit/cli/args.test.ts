import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNECT_FLAGS, DEMO_FLAGS, flagHelp, parseConnectArgs, parseDemoArgs, UsageError, type ArgsEnvironment } from '../../../src/cli/args';

const env = (vars: Record<string, string> = {}, files: Record<string, string> = {}): ArgsEnvironment => ({
  env: vars,
  readFile: (p) => {
    if (p in files) return files[p];
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
  },
});

function usageError(argv: string[], message: RegExp, e: ArgsEnvironment = env()): void {
  assert.throws(() => parseConnectArgs(argv, e), (err: unknown) => err instanceof UsageError && message.test(err.message));
}

describe('connect arguments', () => {
  it('infers the pattern from the scheme unless --pattern is given', () => {
    assert.equal(parseConnectArgs(['ws://h/x'], env()).options.pattern, 'ws');
    assert.equal(parseConnectArgs(['wss://h/x'], env()).options.pattern, 'ws');
    assert.equal(parseConnectArgs(['https://h/x'], env()).options.pattern, 'http');
    assert.equal(parseConnectArgs(['http://h/x', '--pattern', 'sse'], env()).options.pattern, 'sse');
    assert.equal(parseConnectArgs(['--pattern=poll', 'http://h/x'], env()).options.pattern, 'poll');
  });

  it('maps the general and request flags onto ConnectOptions', () => {
    const cmd = parseConnectArgs(
      ['ws://h/x', '-H', 'X-A: 1', '--header', 'X-B:two words', '--send', 'a', '--send', 'b', '--count', '3', '--duration=500', '--no-reconnect', '--insecure', '--format', 'ndjson', '--preview-limit', '100', '--ping-interval', '1000', '--subprotocol', 'chat', '--id-field', '$.seq', '--fail-on', 'anomaly', '--timeout', '2000'],
      env(),
    );
    assert.deepEqual(cmd.options, {
      pattern: 'ws',
      url: 'ws://h/x',
      headers: { 'X-A': '1', 'X-B': 'two words' },
      send: ['a', 'b'],
      count: 3,
      durationMs: 500,
      reconnect: { enabled: false },
      tls: { insecure: true },
      previewLimit: 100,
      ws: { pingIntervalMs: 1000 },
      protocols: ['chat'],
      idField: '$.seq',
      connectTimeoutMs: 2000,
    });
    assert.equal(cmd.format, 'ndjson');
    assert.equal(cmd.failOn, 'anomaly');
    const http = parseConnectArgs(['http://h/', '-X', 'post', '-d', '{"a":1}', '--reconnect'], env());
    assert.equal(http.options.method, 'POST');
    assert.equal(parseConnectArgs(['http://h/', '-XDELETE'], env()).options.method, 'DELETE', 'curl-style -XMETHOD');
    assert.equal(http.options.body, '{"a":1}');
    assert.deepEqual(http.options.reconnect, { enabled: true });
  });

  it('maps the reconnect policy flags', () => {
    assert.deepEqual(parseConnectArgs(['ws://h/', '--reconnect-attempts', '3', '--reconnect-delay', '100', '--reconnect-max-delay', '2000', '--reconnect'], env()).options.reconnect, { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2000, enabled: true });
  });

  it('routes --timeout, --interval and --idle-timeout by pattern', () => {
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'long-poll', '--timeout', '30000', '--idle-timeout', '60000'], env()).options.longPoll, { timeoutMs: 30000, idleTimeoutMs: 60000 });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'async', '--timeout', '9000', '--interval', '250'], env()).options.async, { timeoutMs: 9000, pollIntervalMs: 250 });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'poll', '--interval', '100'], env()).options.poll, { intervalMs: 100 });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'sse', '--idle-timeout', '5000'], env()).options.sse, { idleTimeoutMs: 5000 });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'stream', '--idle-timeout', '5000'], env()).options.stream, { idleTimeoutMs: 5000 });
  });

  it('maps the polling, long-polling, streaming and async detail flags', () => {
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'poll', '--change', 'hash', '--timestamp-field', '$.changedAt', '--timestamp-header', 'X-Changed-At'], env()).options.poll, { change: 'hash', timestampField: '$.changedAt', timestampHeader: 'X-Changed-At' });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'long-poll', '--cursor-field', '$.cursor', '--cursor-header', 'X-Cursor', '--cursor-param', 'after', '--use-etag'], env()).options.longPoll, { cursorField: '$.cursor', cursorHeader: 'X-Cursor', cursorParam: 'after', useEtag: true });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'stream', '--split', 'chunks'], env()).options.stream, { split: 'chunks' });
    assert.deepEqual(parseConnectArgs(['http://h/', '--pattern', 'async', '--status-field', '$.state', '--done-value', 'ok', '--done-value', 'bad', '--operation-url-field', '$.href'], env()).options.async, { statusField: '$.state', doneValues: ['ok', 'bad'], operationUrlField: '$.href' });
    usageError(['http://h/', '--pattern', 'long-poll', '--cursor-field', 'cursor'], /needs a JSON path starting with \$/);
    usageError(['http://h/', '--pattern', 'poll', '--change', 'magic'], /--change must be/);
    usageError(['http://h/', '--pattern', 'poll', '--cursor-field', '$.c'], /--cursor-field applies to the long-poll pattern, not poll/);
  });

  it('maps the MQTT flags, applying --qos and --retain whatever their position', () => {
    const o = parseConnectArgs(
      ['mqtt://h:1883', '--subscribe', 'feed/#', '--subscribe', 'a/b:2', '--publish', 'x/y=hello=world', '--qos', '1', '--retain', '--mqtt-version', '4', '--client-id', 'me', '--username', 'u', '--password-env', 'MQTT_PW'],
      env({ MQTT_PW: 'pw-from-env' }),
    ).options;
    assert.equal(o.pattern, 'mqtt');
    assert.deepEqual(o.mqtt, {
      subscribe: [
        { topic: 'feed/#', qos: 1 },
        { topic: 'a/b', qos: 2 },
      ],
      publish: [{ topic: 'x/y', payload: 'hello=world', qos: 1, retain: true }],
      protocolVersion: 4,
      clientId: 'me',
      username: 'u',
      password: 'pw-from-env',
    });
    usageError(['mqtt://h', '--password-env', 'MISSING'], /environment variable MISSING is not set/);
    usageError(['mqtt://h', '--qos', '3'], /--qos must be from 0 to 2/);
    usageError(['mqtt://h', '--publish', 'no-equals'], /--publish needs topic=payload/);
  });

  it('maps the MQTT 5 request/response flags', () => {
    const o = parseConnectArgs(['mqtt://h', '--request-topic', 'demo/request', '--request-payload', 'ping', '--response-topic', 'me/answers', '--requests', '3', '--request-interval', '50', '--request-timeout', '900'], env()).options;
    assert.deepEqual(o.mqtt?.request, { topic: 'demo/request', payload: 'ping', responseTopic: 'me/answers', count: 3, intervalMs: 50, timeoutMs: 900 });
    usageError(['mqtt://h', '--requests', '2'], /need --request-topic/);
    usageError(['mqtt://h', '--request-topic', 't', '--mqtt-version', '4'], /needs MQTT 5/);
  });

  it('maps the webhook flags, with the secret from the environment', () => {
    const cmd = parseConnectArgs(
      ['--pattern', 'webhook', '--listen', '127.0.0.1:0', '--reply-status', '503', '--reply-body', 'busy', '--reply-delay', '100', '--hmac-secret-env', 'HOOK_SECRET', '--hmac-alg', 'sha1', '--hmac-header', 'X-Hub-Signature'],
      env({ HOOK_SECRET: 's3cret' }),
    );
    assert.equal(cmd.options.url, 'http://127.0.0.1:0/');
    assert.deepEqual(cmd.options.webhook, {
      listen: '127.0.0.1:0',
      reply: { status: 503, body: 'busy', delayMs: 100 },
      hmac: { header: 'X-Hub-Signature', algorithm: 'sha1', secret: 's3cret', prefix: 'sha1=' },
    });
    usageError(['--pattern', 'webhook', '--hmac-alg', 'sha256'], /need --hmac-secret-env/);
    usageError(['--pattern', 'webhook', '--listen', 'host:port'], /--listen: .*port must be a number/);
  });

  it('reads certificate files and reports unreadable ones as usage errors', () => {
    const o = parseConnectArgs(['wss://h/', '--cacert', 'ca.pem', '--cert', 'c.pem', '--key', 'k.pem'], env({}, { 'ca.pem': 'CA', 'c.pem': 'CERT', 'k.pem': 'KEY' })).options;
    assert.deepEqual(o.tls, { ca: 'CA', cert: 'CERT', key: 'KEY' });
    usageError(['wss://h/', '--cacert', 'missing.pem'], /--cacert: cannot read missing\.pem/);
  });

  it('rejects bad input with one clear line', () => {
    usageError(['ws://h/', '--nope'], /unknown option --nope/);
    usageError(['ws://h/', '-Z'], /unknown option -Z/);
    usageError(['ws://h/', '--count'], /--count needs a value/);
    usageError(['ws://h/', '--count', '0'], /--count must be at least 1/);
    usageError(['ws://h/', '--count', '1', '--count', '2'], /--count given more than once/);
    usageError(['ws://h/', '--insecure=yes'], /--insecure takes no value/);
    usageError(['ws://h/', '--reconnect', '--no-reconnect'], /contradict/);
    usageError(['ws://h/', '-H', 'no colon'], /-H needs 'Name: value'/);
    usageError(['ws://h/', '--pattern', 'carrier-pigeon'], /--pattern must be one of/);
    usageError(['ws://h/', 'ws://other/'], /one URL expected/);
    usageError([], /missing URL/);
    usageError(['ftp://h/'], /Unsupported URL scheme "ftp:"/);
    usageError(['nonsense'], /Invalid URL/);
    usageError(['http://h/', '--pattern', 'ws'], /Unsupported URL scheme "http:" here; expected ws: or wss:/);
    usageError(['ws://h/', '--interval', '10'], /--interval applies to the poll\/async patterns, not ws/);
    usageError(['http://h/', '--send', 'x'], /--send applies to the patterns that can send \(ws, mqtt, tcp, udp, socketio, redis, smtp, nats, imap, grpc, graphql, kafka, amqp\), not http/);
  });

  it('--help wins over everything else', () => {
    assert.equal(parseConnectArgs(['--help'], env()).help, true);
    assert.equal(parseConnectArgs(['ws://h/', '-h'], env()).help, true);
  });
});

describe('demo arguments', () => {
  it('has loopback defaults and parses every flag', () => {
    assert.deepEqual(parseDemoArgs([], env()), { host: '127.0.0.1', port: 8080, mqttPort: 1883, grpcPort: 50051, rate: 1, help: false });
    const d = parseDemoArgs(['--port', '0', '--mqtt-port', '0', '--grpc-port', '0', '--rate', '2.5/s', '--webhook-url', 'http://127.0.0.1:9/h', '--webhook-secret', 'x', '--host', '::1'], env());
    assert.deepEqual(d, { host: '::1', port: 0, mqttPort: 0, grpcPort: 0, rate: 2.5, webhookUrl: 'http://127.0.0.1:9/h', webhookSecret: 'x', help: false });
    assert.equal(parseDemoArgs(['--no-mqtt'], env()).mqttPort, false);
    assert.throws(() => parseDemoArgs(['--no-mqtt', '--mqtt-port', '1'], env()), /contradict/);
    assert.equal(parseDemoArgs(['--no-grpc'], env()).grpcPort, false);
    assert.throws(() => parseDemoArgs(['--no-grpc', '--grpc-port', '1'], env()), /--no-grpc and --grpc-port contradict/);
    assert.throws(() => parseDemoArgs(['--grpc-port', '70000'], env()), /--grpc-port must be from 0 to 65535/);
    assert.throws(() => parseDemoArgs(['--port', '70000'], env()), /--port must be from 0 to 65535/);
    assert.throws(() => parseDemoArgs(['--rate', 'fast'], env()), /--rate needs events per second/);
    assert.throws(() => parseDemoArgs(['--webhook-url', 'ftp://x/'], env()), /--webhook-url: Unsupported URL scheme/);
    assert.throws(() => parseDemoArgs(['--webhook-secret', 'x'], env()), /--webhook-secret needs --webhook-url/);
  });
});

describe('help text', () => {
  it('gives every flag a unique long and short name', () => {
    for (const table of [CONNECT_FLAGS, DEMO_FLAGS] as const) {
      const names = table.map((f) => f.name);
      assert.equal(new Set(names).size, names.length, `duplicate names: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`);
      const shorts = table.flatMap((f) => (f.short ? [f.short] : []));
      assert.equal(new Set(shorts).size, shorts.length);
    }
  });

  it('lists every flag of both tables', () => {
    const connect = flagHelp(CONNECT_FLAGS);
    for (const f of CONNECT_FLAGS) assert.ok(connect.includes(`--${f.name}`), f.name);
    const demo = flagHelp(DEMO_FLAGS);
    for (const f of DEMO_FLAGS) assert.ok(demo.includes(`--${f.name}`), f.name);
  });
});

describe('connect --help for flags several patterns share', () => {
  it('lists each value form once with the patterns that take it, and leads each part of the help with its patterns', async () => {
    const { CONNECT_FLAGS } = await import('../../../src/cli/args');
    const flag = (name: string) => CONNECT_FLAGS.find((f) => f.name === name)!;
    const sub = flag('subscribe');
    assert.equal(sub.value, 'topic[:qos] (mqtt) | channel (redis) | subject (nats)');
    assert.match(sub.help, /^mqtt: Subscribe once connected.* redis: Channels to SUBSCRIBE.* nats: Subjects/);
    // Every value form appears once, whatever the number of patterns merged.
    for (const f of CONNECT_FLAGS) {
      const parts = (f.value ?? '').split(' | ');
      assert.equal(new Set(parts).size, parts.length, `--${f.name}: ${f.value}`);
      assert.doesNotMatch(f.value ?? '', /\) \(/, `--${f.name}: no pattern list after another: ${f.value}`);
    }
    assert.match(flag('username').help, /^mqtt: User name\. redis: /);
  });
});

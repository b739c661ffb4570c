// The docs' options tables are generated from the descriptors: a stale page, an option without a
// description, or a CLI flag that claims an option path the schemas do not have all fail here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONNECT_FLAGS, flagsByOptionPath, parseConnectArgs } from '../../../src/cli/args';
import { validateProfile, type Profile } from '../../../src/shared/profile';
import { PATTERN_DESCRIPTORS } from '../../../src/patterns';
import { beginMarker, endMarker, optionRows, optionsTable, renderOptionTables } from '../../../src/patterns/optionsDocs';

const pagesDir = join(__dirname, '..', '..', '..', 'docs', 'patterns');
const pages = readdirSync(pagesDir).filter((n) => n.endsWith('.md'));
const withOptions = PATTERN_DESCRIPTORS.filter((d) => 'options' in d && d.options);

describe('options tables in the docs', () => {
  it('every committed pattern page is what the descriptors generate (run npm run schema when this fails)', () => {
    const flags = flagsByOptionPath();
    let tables = 0;
    for (const name of pages) {
      const text = readFileSync(join(pagesDir, name), 'utf8');
      const { text: fresh, ids } = renderOptionTables(text, flags);
      tables += ids.length;
      assert.equal(text, fresh, `docs/patterns/${name} is stale`);
    }
    assert.equal(tables, withOptions.length, 'one generated table per pattern with options');
  });

  it('every pattern with options has its table on some page', () => {
    const all = pages.map((n) => readFileSync(join(pagesDir, n), 'utf8')).join('\n');
    for (const d of withOptions) {
      assert.ok(all.includes(beginMarker(d.id)) && all.includes(endMarker(d.id)), `docs/patterns has the options table of ${d.id}`);
    }
  });

  it('every option says what it does', () => {
    const missing = withOptions.flatMap((d) => optionRows(d.id).filter((r) => r.description.trim() === '').map((r) => r.path));
    assert.deepEqual(missing, []);
  });

  it('every option path a CLI flag claims exists in the schemas, and the table names the flag there', () => {
    const paths = new Set(withOptions.flatMap((d) => optionRows(d.id).map((r) => r.path)));
    const claimed = CONNECT_FLAGS.flatMap((f) => (f.fills ?? []).map((p) => ({ flag: f.name, path: p })));
    assert.ok(claimed.length > 30, `flags claim option paths (${claimed.length})`);
    assert.deepEqual(claimed.filter((c) => !paths.has(c.path)), [], 'flags that claim paths no schema has');
    const mqttTable = optionsTable('mqtt', flagsByOptionPath());
    assert.match(mqttTable, /\| `mqtt\.subscribe` \| array of objects \| `--subscribe topic\[:qos\]` \|/);
    assert.match(optionsTable('tcp', flagsByOptionPath()), /\| `tcp\.split` \| `lines`, `length`, `chunks` \| `--split lines\\\|length\\\|chunks` \|/);
  });

  it('a begin marker without its end is an error, not a guess', () => {
    assert.throws(() => renderOptionTables(`x\n${beginMarker('ws')}\nno end`), /no end marker/);
  });
});

describe('hand-written connect flags agree with the schemas', () => {
  // A sample invocation per flag that sets pattern options: [url, pattern, value]. A new flag with `fills`
  // and no sample fails the first test, so every flag is checked against the descriptors' schemas.
  const SAMPLES: Record<string, [string, string, string?]> = {
    'idle-timeout': ['http://h/e', 'sse', '5000'],
    'ping-interval': ['ws://h/', 'ws', '1000'],
    'pong-timeout': ['ws://h/', 'ws', '500'],
    interval: ['http://h/p', 'poll', '1500'],
    change: ['http://h/p', 'poll', 'etag'],
    'timestamp-field': ['http://h/p', 'poll', '$.at'],
    'timestamp-header': ['http://h/p', 'poll', 'X-Changed'],
    'cursor-field': ['http://h/l', 'long-poll', '$.cursor'],
    'cursor-header': ['http://h/l', 'long-poll', 'X-Cursor'],
    'cursor-param': ['http://h/l', 'long-poll', 'since'],
    'use-etag': ['http://h/l', 'long-poll'],
    split: ['http://h/s', 'stream', 'lines'],
    'status-field': ['http://h/j', 'async', '$.state'],
    'done-value': ['http://h/j', 'async', 'finished'],
    'operation-url-field': ['http://h/j', 'async', '$.href'],
    listen: ['http://127.0.0.1:8081/', 'webhook', '127.0.0.1:0'],
    'reply-status': ['http://127.0.0.1:8081/', 'webhook', '202'],
    'reply-body': ['http://127.0.0.1:8081/', 'webhook', 'ok'],
    'reply-delay': ['http://127.0.0.1:8081/', 'webhook', '10'],
    'hmac-secret-env': ['http://127.0.0.1:8081/', 'webhook', 'HOOK_SECRET'],
    'hmac-header': ['http://127.0.0.1:8081/', 'webhook', 'X-Sig'],
    'hmac-alg': ['http://127.0.0.1:8081/', 'webhook', 'sha1'],
    subscribe: ['mqtt://h', 'mqtt', 'feed/#:1'],
    publish: ['mqtt://h', 'mqtt', 'cmd=hello'],
    'request-topic': ['mqtt://h', 'mqtt', 'rpc'],
    'request-payload': ['mqtt://h', 'mqtt', 'ping'],
    'response-topic': ['mqtt://h', 'mqtt', 'rpc/reply'],
    requests: ['mqtt://h', 'mqtt', '3'],
    'request-interval': ['mqtt://h', 'mqtt', '100'],
    'request-timeout': ['mqtt://h', 'mqtt', '1000'],
    qos: ['mqtt://h', 'mqtt', '1'],
    retain: ['mqtt://h', 'mqtt'],
    'mqtt-version': ['mqtt://h', 'mqtt', '4'],
    'client-id': ['mqtt://h', 'mqtt', 'c1'],
    keepalive: ['mqtt://h', 'mqtt', '30'],
    username: ['mqtt://h', 'mqtt', 'u'],
    'password-env': ['mqtt://h', 'mqtt', 'MQTT_PASS'],
    eol: ['tcp://h:7', 'tcp', 'lf'],
    'length-bytes': ['tcp://h:7', 'tcp', '2'],
    'length-endian': ['tcp://h:7', 'tcp', 'le'],
    'greeting-wait': ['tcp://h:7', 'tcp', '0'],
    'half-close': ['tcp://h:7', 'tcp'],
    alpn: ['tls://h:443', 'tcp', 'h2'],
    path: ['http://h:3000/', 'socketio', '/io/'],
    auth: ['http://h:3000/', 'socketio', '{"token":"t"}'],
    query: ['http://h:3000/', 'socketio', 'room=1'],
    transport: ['http://h:3000/', 'socketio', 'websocket'],
    emit: ['http://h:3000/chat', 'socketio', 'echo={"x":1}'],
    ack: ['http://h:3000/', 'socketio'],
    'ack-timeout': ['http://h:3000/', 'socketio', '500'],
    psubscribe: ['redis://h', 'redis', 'news.*'],
    'publish-channel': ['redis://h', 'redis', 'news'],
    stream: ['redis://h', 'redis', 'orders'],
    from: ['redis://h', 'redis', '0'],
    group: ['redis://h', 'redis', 'billing'],
    consumer: ['redis://h', 'redis', 'c1'],
    'create-group': ['redis://h', 'redis'],
    batch: ['redis://h', 'redis', '10'],
    block: ['redis://h', 'redis', '1000'],
    db: ['redis://h', 'redis', '2'],
    'auth-env': ['http://h:3000/', 'socketio', 'SIO_AUTH'],
    starttls: ['smtp://h', 'smtp', 'require'],
    ehlo: ['smtp://h', 'smtp', 'client.test'],
    'auth-user': ['smtp://h', 'smtp', 'alice'],
    'auth-mechanism': ['smtp://h', 'smtp', 'login'],
    'mail-from': ['smtp://h', 'smtp', 'a@x.test'],
    rcpt: ['smtp://h', 'smtp', 'b@x.test'],
    subject: ['smtp://h', 'smtp', 'hi'],
    body: ['smtp://h', 'smtp', 'hello'],
    'keep-open': ['smtp://h', 'smtp'],
    'reply-timeout': ['smtp://h', 'smtp', '5000'],
    'max-reply-bytes': ['smtp://h', 'smtp', '1048576'],
    'queue-group': ['nats://h', 'nats', 'workers'],
    'publish-subject': ['nats://h', 'nats', 'orders.new'],
    'request-subject': ['nats://h', 'nats', 'svc.echo'],
    'client-name': ['nats://h', 'nats', 'debug'],
    'token-env': ['nats://h', 'nats', 'MQTT_PASS'],
    select: ['imap://h', 'imap', 'INBOX'],
    topic: ['kafka://h', 'kafka', 'orders'],
    commit: ['kafka://h', 'kafka'],
    produce: ['kafka://h', 'kafka', 'orders:k=v'],
    'produce-topic': ['kafka://h', 'kafka', 'orders'],
    'sasl-mechanism': ['kafka://h', 'kafka', 'scram-sha-256'],
    'max-bytes': ['kafka://h', 'kafka', '1048576'],
    'max-wait': ['kafka://h', 'kafka', '500'],
    fetch: ['imap://h', 'imap', '1:3 (FLAGS)'],
    method: ['grpc://h:50051', 'grpc', 'pkg.Feed/Get'],
    proto: ['grpc://h:50051', 'grpc', 'feed.proto'],
    'import-path': ['grpc://h:50051', 'grpc', 'protos'],
    deadline: ['grpc://h:50051', 'grpc', '500'],
    'keep-sending': ['grpc://h:50051', 'grpc'],
    http2: ['https://h/items', 'http'],
    repeat: ['https://h/items', 'http', '10'],
    parallel: ['https://h/items', 'http', '4'],
    'max-message-size': ['grpc://h:50051', 'grpc', '1024'],
    bind: ['amqp://h/', 'amqp', 'amq.topic:orders.#'],
    queue: ['amqp://h/', 'amqp', 'work'],
    prefetch: ['amqp://h/', 'amqp', '10'],
    'publish-to': ['amqp://h/', 'amqp', 'amq.topic/orders.new'],
    'content-type': ['amqp://h/', 'amqp', 'application/json'],
    'message-id': ['amqp://h/', 'amqp', 'm-1'],
    'correlation-id': ['amqp://h/', 'amqp', 'c-1'],
    'reply-to': ['amqp://h/', 'amqp', 'replies'],
    expiration: ['amqp://h/', 'amqp', '60000'],
    persistent: ['amqp://h/', 'amqp'],
    property: ['amqp://h/', 'amqp', 'tenant=eu'],
    'request-to': ['amqp://h/', 'amqp', 'amq.direct/svc'],
    vhost: ['amqp://h/', 'amqp', 'prod'],
    heartbeat: ['amqp://h/', 'amqp', '10'],
    data: ['ws://h:4000/graphql', 'graphql', 'subscription { ticks { seq } }'],
    variables: ['http://h:4000/graphql', 'graphql', '{"n":1}'],
    'operation-name': ['http://h:4000/graphql', 'graphql', 'Who'],
    'graphql-method': ['http://h:4000/graphql', 'graphql', 'GET'],
    'graphql-protocol': ['ws://h:4000/graphql', 'graphql', 'graphql-ws'],
    'init-payload': ['ws://h:4000/graphql', 'graphql', '{"token":"t"}'],
    'init-payload-env': ['ws://h:4000/graphql', 'graphql', 'SIO_AUTH'],
    'resume-variable': ['ws://h:4000/graphql', 'graphql', 'after'],
    'resume-field': ['ws://h:4000/graphql', 'graphql', '$.data.ticks.seq'],
  };
  const env = { env: { HOOK_SECRET: 'k', MQTT_PASS: 'p', SIO_AUTH: '{"token":"t"}' }, readFile: () => '' };
  const withFills = CONNECT_FLAGS.filter((f) => (f.fills ?? []).length > 0);

  it('every flag that sets a pattern option has a sample here', () => {
    assert.deepEqual(withFills.map((f) => f.name).filter((n) => !(n in SAMPLES)), []);
  });

  for (const f of withFills) {
    it(`--${f.name}: the options it produces are a valid profile by the descriptors' schemas`, () => {
      const [url, pattern, value] = SAMPLES[f.name];
      // Flags that only qualify another (qos, retain, MQTT's request details) need what they qualify.
      const extra = ['qos', 'retain'].includes(f.name) ? ['--publish', 'cmd=x'] : pattern === 'mqtt' && /^request-|^response-topic$|^requests$/.test(f.name) && f.name !== 'request-topic' ? ['--request-topic', 'rpc'] : f.name === 'hmac-header' || f.name === 'hmac-alg' ? ['--hmac-secret-env', 'HOOK_SECRET'] : [];
      const cmd = parseConnectArgs([url, '--pattern', pattern, `--${f.name}`, ...(value === undefined ? [] : [value]), ...extra], env);
      const profile = { name: 'sample', ...cmd.options } as unknown as Profile;
      const errors = validateProfile(profile).filter((p) => p.severity === 'error');
      assert.deepEqual(errors, [], JSON.stringify(cmd.options));
      // And it set one of the paths it claims.
      const set = (f.fills ?? []).some((path) => {
        let v: unknown = cmd.options;
        for (const seg of path.replace(/\[\]/g, '').split('.')) v = Array.isArray(v) ? v[0]?.[seg] : (v as Record<string, unknown> | undefined)?.[seg];
        return v !== undefined;
      });
      assert.ok(set, `--${f.name} sets one of ${(f.fills ?? []).join(', ')}: ${JSON.stringify(cmd.options)}`);
    });
  }
});

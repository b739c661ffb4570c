import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesAsText,
  controlMeta,
  jsonSafeProperties,
  publishMeta,
  reasonText,
  topicFilterProblem,
  topicNameProblem,
} from '../../../src/core/mqttPackets';

describe('mqtt packet wording', () => {
  it('puts CONNACK codes in words per protocol version', () => {
    assert.equal(reasonText('connack', 0, 4), 'Connection accepted');
    assert.equal(reasonText('connack', 4, 4), 'Bad user name or password');
    assert.equal(reasonText('connack', 5, 4), 'Not authorized');
    assert.equal(reasonText('connack', 0, 5), 'Success');
    assert.equal(reasonText('connack', 0x86, 5), 'Bad User Name or Password');
    assert.equal(reasonText('connack', 0x87, 5), 'Not authorized');
    assert.equal(reasonText('connack', 0x9c, 5), 'Use another server');
    assert.equal(reasonText('connack', 77, 4), 'Unknown return code 77');
  });

  it('reads code 0 as the packet means it', () => {
    assert.equal(reasonText('disconnect', 0, 5), 'Normal disconnection');
    assert.equal(reasonText('suback', 0, 4), 'Granted QoS 0');
    assert.equal(reasonText('suback', 0x80, 4), 'Failure');
    assert.equal(reasonText('suback', 0x87, 5), 'Not authorized');
    assert.equal(reasonText('puback', 0x10, 5), 'No matching subscribers');
  });

  it('never puts a password in CONNECT meta', () => {
    const meta = controlMeta(
      { cmd: 'connect', protocolVersion: 5, clientId: 'c', clean: true, keepalive: 30, username: 'u', password: Buffer.from('p4ss') },
      5,
    );
    assert.equal(meta.passwordSet, true);
    assert.ok(!JSON.stringify(meta).includes('p4ss'));
    assert.ok(!('password' in meta));
  });

  it('makes properties JSON-safe: text when valid UTF-8, else base64 with a marker', () => {
    const props = jsonSafeProperties({
      correlationData: Buffer.from('abc'),
      authenticationData: Buffer.from([0xff, 0xfe]),
      userProperties: Object.assign(Object.create(null) as object, { a: '1' }),
      contentType: 'text/plain',
      absent: undefined,
    })!;
    assert.deepEqual(props, {
      correlationData: 'abc',
      authenticationData: Buffer.from([0xff, 0xfe]).toString('base64'),
      authenticationDataEncoding: 'base64',
      userProperties: { a: '1' },
      contentType: 'text/plain',
    });
    assert.equal(Object.getPrototypeOf(props.userProperties), Object.prototype);
    assert.equal(jsonSafeProperties(undefined), undefined);
    assert.equal(jsonSafeProperties({}), undefined);
  });

  it('describes payloads and PUBLISH fields', () => {
    assert.deepEqual(bytesAsText(Buffer.from('héllo')), { text: 'héllo', encoding: 'utf8' });
    assert.deepEqual(bytesAsText(Buffer.from([0xc3])), { text: 'ww==', encoding: 'base64' });
    assert.deepEqual(publishMeta({ cmd: 'publish', qos: 0, retain: true, messageId: 9 }), { packet: 'publish', qos: 0, retain: true });
    assert.deepEqual(publishMeta({ cmd: 'publish', qos: 2, retain: false, dup: true, messageId: 9 }), { packet: 'publish', qos: 2, retain: false, messageId: 9, dup: true });
  });

  it('validates topic filters and topic names', () => {
    for (const ok of ['#', '+', 'a/+/b', '+/+/#', 'a/b/#', '/leading', 'a//b']) assert.equal(topicFilterProblem(ok), undefined, ok);
    for (const bad of ['', 'a/#/b', 'sport/tennis#', 'a/b+', '##']) assert.ok(topicFilterProblem(bad), bad);
    assert.equal(topicNameProblem('a/b/c'), undefined);
    assert.ok(topicNameProblem('a/+'));
    assert.ok(topicNameProblem('a/#'));
    assert.ok(topicNameProblem(''));
  });
});

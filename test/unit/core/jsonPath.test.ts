import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJsonPath, parseJsonPath, readJsonPath, scalarText } from '../../../src/core/jsonPath';

describe('jsonPath', () => {
  it('parses dotted, indexed and quoted steps', () => {
    assert.deepEqual(parseJsonPath('$.a.b[0]'), ['a', 'b', 0]);
    assert.deepEqual(parseJsonPath("$['odd key'].c[-1]"), ['odd key', 'c', -1]);
    assert.deepEqual(parseJsonPath('a.b'), ['a', 'b']);
    assert.deepEqual(parseJsonPath('$'), []);
    assert.deepEqual(parseJsonPath('$["x\\"y"]'), ['x"y']);
  });

  it('rejects malformed paths with a one-line message', () => {
    for (const bad of ['', '$.', '$.a..b', '$[x]', "$['open", '$a', '$.a[0']) {
      assert.throws(() => parseJsonPath(bad), (e: Error) => e.message.startsWith('Invalid JSON path') || e.message === 'Empty JSON path');
    }
  });

  it('reads values and gives undefined for missing steps', () => {
    const doc = { a: { b: [10, 20, { c: 'x' }] }, n: null };
    assert.equal(getJsonPath(doc, '$.a.b[1]'), 20);
    assert.equal(getJsonPath(doc, '$.a.b[-1].c'), 'x');
    assert.equal(getJsonPath(doc, '$.a.missing'), undefined);
    assert.equal(getJsonPath(doc, '$.n.x'), undefined);
    assert.equal(getJsonPath(doc, '$.a[0]'), undefined, 'an index into an object');
    assert.equal(getJsonPath(doc, '$.a.b.length'), undefined, 'no properties of arrays');
    assert.equal(getJsonPath({}, '$.constructor'), undefined, 'no inherited properties');
  });

  it('reads from JSON text and tolerates non-JSON', () => {
    assert.equal(readJsonPath('{"cursor":"abc"}', '$.cursor'), 'abc');
    assert.equal(readJsonPath('not json', '$.cursor'), undefined);
    assert.equal(scalarText(42), '42');
    assert.equal(scalarText({}), undefined);
  });
});

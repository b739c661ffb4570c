// The docs' options tables are generated from the descriptors: a stale page, an option without a
// description, or a CLI flag that claims an option path the schemas do not have all fail here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONNECT_FLAGS, flagsByOptionPath } from '../../../src/cli/args';
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

// Writes what the pattern descriptors generate: schemas/wirescope.schema.json (src/patterns/profileSchema.ts)
// and the options tables of docs/patterns/*.md (src/patterns/optionsDocs.ts, between their marker comments).
// usage: tsx scripts/generateSchema.ts [--check]   (--check: exit 1 when a committed file is stale)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagsByOptionPath } from '../src/cli/args';
import { renderOptionTables } from '../src/patterns/optionsDocs';
import { profilesFileJsonSchema } from '../src/patterns/profileSchema';

const root = join(__dirname, '..');
const check = process.argv.includes('--check');
const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const outputs: Array<{ file: string; text: string }> = [
  { file: join(root, 'schemas', 'wirescope.schema.json'), text: JSON.stringify(profilesFileJsonSchema(), null, 2) + '\n' },
];
const flags = flagsByOptionPath();
const pages = join(root, 'docs', 'patterns');
for (const name of readdirSync(pages).filter((n) => n.endsWith('.md')).sort()) {
  const file = join(pages, name);
  const { text, ids } = renderOptionTables(read(file), flags);
  if (ids.length) outputs.push({ file, text });
}

let stale = 0;
for (const { file, text } of outputs) {
  if (read(file) === text) continue;
  const rel = file.slice(root.length + 1);
  if (check) {
    console.error(`${rel} is stale: run npm run schema (or npm run build) and commit it`);
    stale++;
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${rel}`);
  }
}
if (stale) process.exit(1);

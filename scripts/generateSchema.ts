// Writes schemas/wirescope.schema.json from the pattern descriptors (src/patterns/profileSchema.ts).
// usage: tsx scripts/generateSchema.ts [--check]   (--check: exit 1 when the committed file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesFileJsonSchema } from '../src/patterns/profileSchema';

const file = join(__dirname, '..', 'schemas', 'wirescope.schema.json');
const text = JSON.stringify(profilesFileJsonSchema(), null, 2) + '\n';
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch {
  // No file yet: written below, or stale under --check.
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('schemas/wirescope.schema.json is stale: run npm run schema (or npm run build) and commit it');
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(file, text);
  console.log('wrote schemas/wirescope.schema.json');
}

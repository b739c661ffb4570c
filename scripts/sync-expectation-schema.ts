/**
 * Writes the expectation schema of src/shared/expectations.ts (the one definition) into
 * schemas/wirescope.schema.json as `definitions.expectation`. Run after changing the expectations:
 *   node --import tsx scripts/sync-expectation-schema.ts
 * test/unit/core/expectationsSchema.test.ts fails while the two differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPECTATION_JSON_SCHEMA } from '../src/shared/expectations';

const file = join(__dirname, '..', 'schemas', 'wirescope.schema.json');
const schema = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, unknown> };
schema.definitions.expectation = EXPECTATION_JSON_SCHEMA;
writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
console.log(`wrote definitions.expectation to ${file}`);

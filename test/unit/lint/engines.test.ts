// The declared Node engines are true: every package npm installs for Wirescope (dependencies and
// devDependencies, as package-lock.json records them) accepts every Node version that package.json's
// engines.node admits, so `npm install` prints no EBADENGINE on a supported Node; and the Node running
// the tests is one of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

test('every locked package accepts the whole engines.node range of package.json', () => {
  const declared = pkg.engines.node;
  assert.ok(semver.validRange(declared), `engines.node is a range: ${declared}`);
  const narrower: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    const node = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
    if (!path || !node || entry.optional) continue;
    checked++;
    if (!semver.subset(declared, node)) narrower.push(`${path.replace(/^node_modules\//, '')} wants node ${node}`);
  }
  assert.ok(checked > 10, `the lock records engines for many packages (${checked})`);
  assert.deepEqual(narrower, [], `packages that need more than engines.node ${declared}`);
});

test('the lock records the same engines.node as package.json, and this Node satisfies it', () => {
  const rootEntry = lock.packages[''];
  assert.deepEqual(rootEntry.engines && !Array.isArray(rootEntry.engines) ? rootEntry.engines.node : undefined, pkg.engines.node);
  assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), `Node ${process.versions.node} satisfies ${pkg.engines.node}`);
});

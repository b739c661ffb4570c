/**
 * What the workbench scenario files share: connecting a workspace profile from the palette (and the
 * name of the session it started), and scenarios that leave a screenshot when they fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { waitUntil, type Workbench } from './harness';

export interface WorkbenchSteps {
  /** Connect a workspace profile from the palette and return the inspector showing its session. */
  connect(profile: string): Promise<Frame>;
  /** The name of the session the last connect() started ("SSE feed", or "SSE feed #2" when one runs). */
  lastName(): string;
  /** A test that leaves a screenshot of the workbench in test-results/e2e when it fails. */
  scenario(name: string, fn: () => Promise<void>): void;
}

export function workbenchSteps(workbench: () => Workbench | undefined): WorkbenchSteps {
  let lastName = '';
  const wb = (): Workbench => {
    const w = workbench();
    if (!w) throw new Error('the workbench did not start');
    return w;
  };
  return {
    async connect(profile) {
      const before = new Set((await wb().revealState()).sessions.map((s) => s.id));
      await wb().palette('Wirescope: Connect to Profile…', profile);
      // Sessions of one profile get distinct names: the new session is "profile" or "profile #N".
      const started = await waitUntil(`a new session of "${profile}"`, async () => (await wb().revealState()).sessions.find((s) => !before.has(s.id)), 20_000, 300);
      assert.ok(started.name === profile || started.name.startsWith(`${profile} #`), `the new session is named after its profile (${started.name})`);
      lastName = started.name;
      const frame = await wb().inspector(30_000);
      await waitUntil(`the inspector to show "${started.name}"`, async () => (await frame.locator('#session-name').textContent())?.trim() === started.name, 20_000);
      return frame;
    },
    lastName: () => lastName,
    scenario(name, fn) {
      test(name, async () => {
        try {
          await fn();
        } catch (e) {
          await workbench()?.screenshot(`fail-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
          throw e;
        }
      });
    },
  };
}

/** The extension's settings (`wirescope.*`), read in one place. */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ManagerSettings } from './sessionManager';

export type ExtensionSettings = ManagerSettings & { batchIntervalMs: number; demoPort: number };

/** Read the extension's settings. */
export function readSettings(context: vscode.ExtensionContext): ExtensionSettings {
  const c = vscode.workspace.getConfiguration('wirescope');
  return {
    maxEvents: c.get<number>('log.maxEvents', 1_000_000),
    maxBytes: c.get<number>('log.maxBytes', 256 * 1024 * 1024),
    previewLimit: c.get<number>('log.previewLimit', 64 * 1024),
    revealAuthHeaders: c.get<boolean>('revealAuthHeaders', false),
    capture: {
      enabled: c.get<boolean>('capture.enabled', false),
      maxBytes: c.get<number>('capture.maxBytes', 512 * 1024 * 1024),
      dir: join(context.globalStorageUri.fsPath, 'captures'),
    },
    batchIntervalMs: c.get<number>('inspector.batchIntervalMs', 33),
    demoPort: c.get<number>('demo.port', 0),
  };
}

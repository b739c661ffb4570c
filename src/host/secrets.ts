/**
 * Secrets live only in VS Code's SecretStorage (the OS keychain), under names that profiles refer to.
 * Missing ones are asked for with a password input box and stored. Values never go to files or logs.
 */
import * as vscode from 'vscode';
import { SECRET_NAME } from '../shared/profile';

const KEY_PREFIX = 'wirescope.secret:';

export class SecretStore {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async get(name: string): Promise<string | undefined> {
    return this.storage.get(KEY_PREFIX + name);
  }

  async store(name: string, value: string): Promise<void> {
    if (!SECRET_NAME.test(name)) throw new Error(`Invalid secret name "${name}"`);
    await this.storage.store(KEY_PREFIX + name, value);
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(KEY_PREFIX + name);
  }

  /**
   * The stored value, or ask the user for it (password box) and store it.
   * Undefined when the user cancels.
   */
  async getOrAsk(name: string, forWhat: string): Promise<string | undefined> {
    const have = await this.get(name);
    if (have !== undefined) return have;
    const value = await vscode.window.showInputBox({
      title: `Wirescope: secret "${name}"`,
      prompt: `Enter the secret "${name}" for ${forWhat}. It is kept in VS Code's secret storage, never in a file.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return undefined;
    await this.store(name, value);
    return value;
  }
}

// Lint, including the layer rules of docs/architecture.md: the engine, shared types, CLI and demo
// never import 'vscode'; shared/ and webview/ never import Node or host-side libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeOnly = ['ws', 'mqtt', 'eventsource', 'aedes', 'node:*', 'fs', 'net', 'http', 'https', 'tls', 'crypto', 'path', 'os', 'child_process'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.vscode-test/**', 'test-results/**', '*.vsix', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/core/**', 'src/shared/**', 'src/cli/**', 'src/demo/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/host may import vscode.' }] }],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', ...nodeOnly, '../core/*', '../host/*'], message: 'src/shared is imported by the webview: no Node, vscode or engine imports.' }] }],
    },
  },
  {
    files: ['webview/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', ...nodeOnly, '../src/core/*', '../src/host/*'], message: 'The webview is DOM-only: import from src/shared only.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);

// Lint, including the zone rules of docs/architecture.md: the engine, shared types, CLI and demo
// never import 'vscode'; shared/ and webview/ never import Node, the engine or host-side libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import zones from './scripts/eslint-zones.mjs';

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
    // The zone rules (scripts/eslint-zones.mjs): each import is resolved against its file, so the
    // verdict does not depend on how many '../' a path has. test/unit/lint/zones.test.ts plants violations.
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { zones },
    rules: { 'zones/boundaries': 'error' },
  },
  {
    files: ['webview/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);

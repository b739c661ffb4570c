#!/usr/bin/env node
// Runs the bundled CLI; `npm run build` produces dist/cli.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS shim
require('../dist/cli.js');

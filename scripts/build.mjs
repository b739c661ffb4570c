// Bundles the outputs with esbuild: extension host (cjs, vscode external), CLI (node), webview (browser),
// and the demo's MQTT broker (aedes), Socket.IO server (socket.io), gRPC server (grpc-js) and GraphQL servers as their own bundles, which the extension and
// the CLI load on demand.
import * as esbuild from 'esbuild';
import { mkdirSync, copyFileSync, existsSync, statSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const quiet = process.argv.includes('--quiet');
const production = process.argv.includes('--production');
// For the bench's before/after figure only: the demo broker inlined into the main bundles, as it used to be.
const inlineDemo = process.argv.includes('--inline-demo');
/** Where the bundles go (default dist/; the bench builds its "before" figure elsewhere). */
const outRoot = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';

/** The demo broker's own bundle, next to extension.js and cli.js. */
const DEMO_BROKER_BUNDLE = 'demo-mqtt-broker.js';
/** The demo's Socket.IO server (socket.io), its own bundle too. */
const DEMO_SOCKETIO_BUNDLE = 'demo-socketio.js';
/** The demo's gRPC server (@grpc/grpc-js, @grpc/reflection), its own bundle too. */
const DEMO_GRPC_BUNDLE = 'demo-grpc.js';
/** The demo's GraphQL servers (graphql, graphql-http, graphql-ws, graphql-sse, subscriptions-transport-ws), its own bundle too. */
const DEMO_GRAPHQL_BUNDLE = 'demo-graphql.js';
/** Module of src/demo/ loaded on demand by demoBackend.ts -> its bundle. */
const DEMO_ON_DEMAND = { './mqttBroker': DEMO_BROKER_BUNDLE, './socketioFeed': DEMO_SOCKETIO_BUNDLE, './grpcFeed': DEMO_GRPC_BUNDLE, './graphqlFeed': DEMO_GRAPHQL_BUNDLE };

/**
 * `import('./mqttBroker')`, `import('./socketioFeed')`, `import('./grpcFeed')` and `import('./graphqlFeed')` in
 * src/demo/demoBackend.ts become requires of separate bundles at run time, so that aedes, socket.io, grpc-js and the
 * GraphQL servers are evaluated, and shipped in the main bundles, only by the demo.
 */
const demoBrokerOnDemand = {
  name: 'demo-broker-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/(mqttBroker|socketioFeed|grpcFeed|graphqlFeed)$/ }, (args) =>
      args.importer.replaceAll('\\', '/').endsWith('src/demo/demoBackend.ts') ? { path: `./${DEMO_ON_DEMAND[args.path]}`, external: true } : undefined,
    );
  },
};
const nodePlugins = inlineDemo ? [] : [demoBrokerOnDemand];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: quiet ? 'warning' : 'info',
  absWorkingDir: root,
  legalComments: 'none',
};

const targets = [
  {
    ...common,
    entryPoints: { extension: 'src/host/extension.ts' },
    outdir: outRoot,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    plugins: nodePlugins,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: outRoot,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    plugins: nodePlugins,
  },
  ...(inlineDemo
    ? []
    : [
        {
          ...common,
          entryPoints: Object.fromEntries(Object.entries(DEMO_ON_DEMAND).map(([mod, bundle]) => [bundle.replace(/\.js$/, ''), `src/demo/${mod.slice(2)}.ts`])),
          outdir: outRoot,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          external: ['vscode', 'bufferutil', 'utf-8-validate'],
        },
      ]),
  {
    ...common,
    entryPoints: { inspector: 'webview/main.ts', profileForm: 'webview/profileForm/main.ts', compare: 'webview/compare/main.ts' },
    outdir: join(outRoot, 'webview'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css' },
  },
].filter((t) => Object.values(t.entryPoints).every((p) => existsSync(join(root, p))));

mkdirSync(resolve(root, outRoot, 'webview'), { recursive: true });
const css = join(root, 'webview/inspector.css');
// The GraphQL completion list appears in the composer and in the profile form: one source, appended to both stylesheets.
const completionsCssFile = join(root, 'webview/graphqlCompletions.css');
const completionsCss = existsSync(completionsCssFile) ? `\n${readFileSync(completionsCssFile, 'utf8')}` : '';
// The inspector's icons are VS Code's codicons: their font ships next to the stylesheet (loaded
// under the CSP's font-src), and their CSS goes first in inspector.css (one stylesheet, one link).
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
if (existsSync(css)) {
  // The font URL loses its cache-busting query: webview resource loaders map URLs to files by path.
  const iconCss = existsSync(join(codicons, 'codicon.css')) ? readFileSync(join(codicons, 'codicon.css'), 'utf8').replace(/codicon\.ttf\?[0-9a-f]+/g, 'codicon.ttf') : '';
  if (iconCss) copyFileSync(join(codicons, 'codicon.ttf'), resolve(root, outRoot, 'webview/codicon.ttf'));
  writeFileSync(resolve(root, outRoot, 'webview/inspector.css'), `${iconCss}\n${readFileSync(css, 'utf8')}${completionsCss}`);
}
const compareCss = join(root, 'webview/compare/compare.css');
if (existsSync(compareCss)) copyFileSync(compareCss, resolve(root, outRoot, 'webview/compare.css'));
const formCss = join(root, 'webview/profileForm/profileForm.css');
if (existsSync(formCss)) writeFileSync(resolve(root, outRoot, 'webview/profileForm.css'), `${readFileSync(formCss, 'utf8')}${completionsCss}`);

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  if (!quiet) {
    for (const f of readdirSync(resolve(root, outRoot), { recursive: true })) {
      const p = resolve(root, outRoot, String(f));
      if (String(f).endsWith('.js')) console.log(`  ${String(f).padEnd(28)} ${(statSync(p).size / 1024).toFixed(1)} KiB`);
    }
  }
}

// The zone rules of docs/architecture.md as one ESLint rule. Every import specifier (static import,
// export ... from, dynamic import(), require()) is resolved against the importing file, so a relative
// path reaches the same verdict at any depth: `../../src/core/x` from webview/profileForm/ is as
// forbidden as `../src/core/x` from webview/.
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Packages that need Node (or the extension host) to run. */
const NODE_PACKAGES = ['ws', 'mqtt', 'mqtt-packet', 'eventsource', 'aedes', 'undici', 'vscode'];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * zone (folder, repo-relative) -> what files in it must not import.
 * `dirs`: repo folders; `packages`: bare specifiers (and their subpaths); `node`: Node built-ins.
 */
export const ZONES = {
  'src/core': { dirs: ['src/host', 'src/cli', 'src/demo', 'webview'], packages: ['vscode'], why: 'src/core is the pure Node engine: no vscode, host, CLI, demo or webview imports' },
  'src/shared': { dirs: ['src/core', 'src/host', 'src/cli', 'src/demo', 'webview'], packages: NODE_PACKAGES, node: true, why: 'src/shared is imported by the webview: no Node, vscode or engine imports' },
  'src/cli': { dirs: ['src/host', 'webview'], packages: ['vscode'], why: 'the CLI runs without VS Code: no vscode, host or webview imports' },
  'src/demo': { dirs: ['src/host', 'src/cli', 'webview'], packages: ['vscode'], why: 'the demo backend runs without VS Code: no vscode, host, CLI or webview imports' },
  'src/host': { dirs: ['webview'], packages: [], why: 'the host loads the webview as a bundle, never as a module' },
  webview: { dirs: ['src/core', 'src/host', 'src/cli', 'src/demo'], packages: NODE_PACKAGES, node: true, why: 'the webview is DOM-only: import from src/shared and webview/ only' },
};

/** `@vscode/webview-ui-toolkit` goes through one module, so that replacing it is a one-file change. */
const TOOLKIT = '@vscode/webview-ui-toolkit';
const TOOLKIT_MODULE = 'webview/ui/toolkit.ts';

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join('/');
const inside = (file, dir) => file === dir || file.startsWith(dir + '/');

function zoneOf(file) {
  let best;
  for (const z of Object.keys(ZONES)) if (inside(file, z) && (!best || z.length > best.length)) best = z;
  return best;
}

function bareName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The problem with `spec` imported from `file` (repo-relative), or undefined. */
export function zoneProblem(file, spec) {
  if (bareName(spec) === TOOLKIT && file !== TOOLKIT_MODULE) return `${TOOLKIT} is used only through ${TOOLKIT_MODULE}`;
  const zone = zoneOf(file);
  if (!zone) return undefined;
  const rule = ZONES[zone];
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = rel(path.resolve(ROOT, path.dirname(file), spec));
    const hit = rule.dirs.find((d) => inside(target, d));
    return hit ? `${file} must not import ${hit}/ (${target}): ${rule.why}` : undefined;
  }
  if (rule.node && BUILTINS.has(spec)) return `${file} must not import the Node module "${spec}": ${rule.why}`;
  const name = bareName(spec);
  if (rule.packages.includes(name)) return `${file} must not import "${name}": ${rule.why}`;
  return undefined;
}

const rule = {
  meta: { type: 'problem', docs: { description: 'Zone rules of docs/architecture.md' }, schema: [] },
  create(context) {
    const file = rel(path.resolve(context.filename ?? context.getFilename()));
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const problem = zoneProblem(file, source.value);
      if (problem) context.report({ node, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : undefined),
      TSImportEqualsDeclaration: (node) => check(node, node.moduleReference?.expression),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') check(node, node.arguments[0]);
      },
    };
  },
};

export default { rules: { boundaries: rule } };

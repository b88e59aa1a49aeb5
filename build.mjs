// One build script for every bundle: host (VS Code extension host, cjs, 'vscode' external),
// server (the engine as a language server), cli (ipctap), webview (browser).
import * as esbuild from 'esbuild';
import { existsSync, chmodSync, mkdirSync, copyFileSync, cpSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['msgpackr-extract'] };

const entries = [
  { ...node, entryPoints: ['extension/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: ['extension/host/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'msgpackr-extract'] },
  { ...node, entryPoints: ['extension/server/main.ts'], outfile: 'dist/server.js' },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/src/main.ts'], outfile: 'dist/webview.js' },
].filter((e) => existsSync(e.entryPoints[0]));

mkdirSync('dist', { recursive: true });
// Static assets the manifest points at: the .vscode/ipctap.json schema and the ipctap grammar.
for (const dir of ['schema', 'syntaxes']) if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
// The panel's stylesheet is plain CSS, copied next to dist/webview.js.
if (existsSync('webview/src/styles.css')) copyFileSync('webview/src/styles.css', 'dist/webview.css');
if (watch) {
  for (const e of entries) await (await esbuild.context(e)).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build(e)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
}

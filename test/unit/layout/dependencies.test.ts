// The layering rules of the source tree, checked over every relative import (type-only imports
// included): the engine never reaches up into a front end, the host never imports the engine, the
// webview never imports the engine or the host, cli/ and server/ reach the engine only through its
// front door (extension/engine/index.ts), and no module imports itself in a circle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?'(\.{1,2}\/[^']*)'|import\(\s*'(\.{1,2}\/[^']*)'\s*\)/g;

/** Relative imports of a file, resolved to repository paths (unresolvable ones as written). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const base = normalize(join(dirname(file), spec));
    const found = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => p.endsWith('.ts') && existsSync(join(root, p)));
    out.push(found ?? base);
  }
  return out;
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of [...sources('extension'), ...sources('webview')]) g.set(f, importsOf(f));
  return g;
}

const under = (file: string, dir: string) => !relative(dir, file).startsWith('..');

/** Layering violations, as "importer -> imported: rule" lines. */
export function violations(g: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, tos] of g) {
    for (const to of tos) {
      const say = (rule: string) => out.push(`${from} -> ${to}: ${rule}`);
      if (under(from, 'extension/engine') && ['extension/cli', 'extension/server', 'extension/host'].some((d) => under(to, d))) say('the engine imports a front end');
      if (under(from, 'extension/host') && under(to, 'extension/engine')) say('the host runs the engine as a separate process and never imports it');
      if (under(from, 'webview') && (under(to, 'extension/engine') || under(to, 'extension/host'))) say('the webview imports only extension/shared');
      if ((under(from, 'extension/cli') || under(from, 'extension/server')) && under(to, 'extension/engine') && to !== 'extension/engine/index.ts') {
        say('front ends use the engine through extension/engine/index.ts');
      }
      if (under(from, 'extension/shared') && !under(to, 'extension/shared')) say('extension/shared depends on nothing else');
    }
  }
  return out;
}

/** Import cycles (strongly connected components of more than one module, or a self-import). */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('every relative import resolves to a source file', () => {
  const g = graph();
  assert.ok(g.size > 100, `found only ${g.size} modules`);
  const missing = [...g].flatMap(([from, tos]) => tos.filter((t) => !g.has(t) && !existsSync(join(root, t))).map((t) => `${from} -> ${t}`));
  assert.deepEqual(missing, []);
});

test('no module imports upward across the layers', () => {
  assert.deepEqual(violations(graph()), []);
});

test('no import cycles', () => {
  assert.deepEqual(cycles(graph()), []);
});

test('the checks catch what they are for', () => {
  const g = new Map<string, string[]>([
    ['extension/engine/a.ts', ['extension/cli/main.ts']],
    ['extension/cli/main.ts', ['extension/engine/session.ts']],
    ['extension/host/x.ts', ['extension/engine/index.ts']],
    ['webview/src/app.ts', ['extension/engine/types.ts', 'extension/shared/webview.ts']],
    ['extension/shared/webview.ts', []],
    ['extension/engine/session.ts', ['extension/engine/a.ts']],
  ]);
  assert.equal(violations(g).length, 4);
  assert.deepEqual(cycles(g), [['extension/cli/main.ts', 'extension/engine/a.ts', 'extension/engine/session.ts']]);
});

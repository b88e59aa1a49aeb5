// The manual's links: every relative link in README.md and docs/*.md names a file that exists,
// and every #anchor names a heading of that file (GitHub's heading ids), so moving or renaming a
// page or a section shows up here rather than as a dead link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

function manualFiles(): string[] {
  const docs = join(root, 'docs');
  const pages = readdirSync(docs)
    .filter((n) => n.endsWith('.md'))
    .map((n) => join(docs, n));
  return [join(root, 'README.md'), ...pages];
}

/** Markdown without fenced code blocks and inline code spans (links there are examples, not links). */
function prose(md: string): string {
  return md.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The targets of inline links and images: [text](target) and ![alt](target). */
export function linkTargets(md: string): string[] {
  const out: string[] = [];
  for (const m of prose(md).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]!);
  return out;
}

/** GitHub's ids for a file's headings: lower case, punctuation dropped, spaces to hyphens, -1 -2 … for repeats. */
export function headingIds(md: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = md.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

test('every relative link in README.md and docs/*.md points to an existing file and heading', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of manualFiles()) {
    const md = readFileSync(file, 'utf8');
    for (const target of linkTargets(md)) {
      if (isExternal(target)) continue;
      checked++;
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(root, file)}: (${target})`;
      if (!existsSync(dest)) {
        broken.push(`${where} — no such file`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith('.md') && statSync(dest).isFile()) {
        if (!headingIds(readFileSync(dest, 'utf8')).has(anchor)) broken.push(`${where} — no heading #${anchor} in ${relative(root, dest)}`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} relative links found: is the link pattern still right?`);
  assert.deepEqual(broken, []);
});

test('the heading ids follow GitHub: punctuation dropped, spaces to hyphens, repeats numbered', () => {
  const ids = headingIds('# Shared memory watch: `npm run bench -- shm`\n## Trace all I/O (`--trace`)\n## Notes\n## Notes\n');
  assert.deepEqual([...ids], ['shared-memory-watch-npm-run-bench----shm', 'trace-all-io---trace', 'notes', 'notes-1']);
  assert.deepEqual(linkTargets('see [a](docs/a.md#x), ![b](media/b.png "t") and `[c](not/a/link.md)`\n```\n[d](nor/this.md)\n```\n'), ['docs/a.md#x', 'media/b.png']);
});

test('README.md is a short manual that starts with the demo and test commands', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const lines = readme.split('\n').length;
  assert.ok(lines <= 220, `README.md has ${lines} lines; move detail into docs/`);
  const firstBlock = /```[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.match(firstBlock, /^npm ci && npm start\b/m);
  assert.match(firstBlock, /^npm ci && npm test\b/m);
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.ok(scripts.start && scripts.test, 'package.json has the start and test scripts the README names');
});

test("the README's images ship in the .vsix, whose README shows them from the extension's folder", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const images = [...prose(readme).matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !isExternal(t));
  const kept = readFileSync(join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).trim());
  const ships = (path: string) => kept.some((k) => k === path || (k.endsWith('/**') && path.startsWith(k.slice(0, -2))));
  assert.deepEqual(
    images.filter((i) => !ships(i)),
    [],
    'add them to .vscodeignore as !PATH',
  );
  const packageScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.package ?? '';
  if (images.length) assert.match(packageScript, /--no-rewrite-relative-links/, 'vsce refuses relative images without a repository URL unless told not to rewrite them');
});

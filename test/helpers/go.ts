// Builds a Go fixture program from test/fixtures/go/<name> once per content hash and returns the
// binary's path. Binaries are cached under the OS temp dir (outside the repo).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../fixtures/go');

export function goBinary(name: string): string {
  const dir = join(root, name);
  if (!existsSync(dir)) throw new Error(`no Go fixture ${name} in ${root}`);
  return buildGoDir(dir, 'ipctap-go-fixtures', name);
}

/** Build the Go program in `dir` into <tmpdir>/<cache>/<name>-<hash of its .go files>, once. */
export function buildGoDir(dir: string, cache: string, name: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.go')) h.update(f).update(readFileSync(join(dir, f)));
  const outDir = join(tmpdir(), cache);
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}-${h.digest('hex').slice(0, 12)}`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('go', ['build', '-o', tmp, '.'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0' },
    });
    execFileSync('mv', [tmp, out]);
  }
  return out;
}

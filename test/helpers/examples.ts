// Builds a Go example program from examples/go/<name> once per content hash (outside the repo),
// like go.ts does for test fixtures.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const examplesDir = resolve(__dirname, '../../examples');

export function exampleBinary(name: string): string {
  const dir = join(examplesDir, 'go', name);
  if (!existsSync(dir)) throw new Error(`no Go example ${name} in ${dir}`);
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.go')) h.update(f).update(readFileSync(join(dir, f)));
  const outDir = join(tmpdir(), 'ipctap-go-examples');
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

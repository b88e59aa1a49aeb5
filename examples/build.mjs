// Builds the Go example programs into examples/bin/ (GOPATH mode, standard library only).
//   node examples/build.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, 'bin');
mkdirSync(bin, { recursive: true });
for (const name of readdirSync(join(here, 'go'))) {
  const src = join(here, 'go', name);
  const out = join(bin, name);
  const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs));
  let built = 0;
  try {
    built = statSync(out).mtimeMs;
  } catch {}
  if (built > newest) continue;
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: src,
    stdio: 'inherit',
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0' },
  });
  console.log(`built examples/bin/${name}`);
}

// The decoders as the product runs them: bundled by esbuild with build.mjs's settings, not as
// tsx transforms each file for the benchmark process (tsx adds a getter per imported binding
// and a __name call per function it creates, which cost 15-25 % on small-message corpora).
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as Registry from '../../extension/engine/decoders/core/registry';

export interface BundledDecoders {
  resolveDecoder: typeof Registry.resolveDecoder;
}

let loaded: BundledDecoders | undefined;

export function bundledDecoders(): BundledDecoders {
  if (loaded) return loaded;
  const root = resolve(__dirname, '../..');
  const out = buildSync({
    stdin: { contents: "export { resolveDecoder } from './extension/engine/decoders/core/registry';", resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['msgpackr-extract'],
    write: false,
    logLevel: 'warning',
  });
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-decoders-'));
  try {
    const file = join(dir, 'decoders.js');
    writeFileSync(file, out.outputFiles[0]!.contents);
    loaded = require(file) as BundledDecoders;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return loaded;
}

// Builds a Go example program from examples/go/<name> once per content hash (outside the repo),
// like go.ts does for test fixtures.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildGoDir } from './go';

export const examplesDir = resolve(__dirname, '../../examples');

export function exampleBinary(name: string): string {
  const dir = join(examplesDir, 'go', name);
  if (!existsSync(dir)) throw new Error(`no Go example ${name} in ${dir}`);
  return buildGoDir(dir, 'ipctap-go-examples', name);
}

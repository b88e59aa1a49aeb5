// Deterministic capture content shared by the integration tests and their child writer.
import type { Chunk, Direction, EventRecord } from '../../extension/engine/types';

export type Item = { chunk: Chunk } | { event: EventRecord };

export function makeItems(n: number, seed: number, firstMono = 0): Item[] {
  let s = seed >>> 0;
  const r = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const dirs: Direction[] = ['c2s', 's2c', 'stdout'];
  const items: Item[] = [];
  let mono = firstMono;
  for (let i = 0; i < n; i++) {
    mono += 1 + Math.floor(r() * 100);
    const ts = 1_760_000_000_000_000 + mono;
    if (r() < 0.05) {
      items.push({ event: { kind: 'open', conn: i, tap: 'unix:/tmp/a.sock', from: 'client', to: 'server', ts, mono } });
    } else {
      const len = r() < 0.02 ? 200_000 + Math.floor(r() * 100_000) : Math.floor(r() * 2000);
      const data = Buffer.alloc(len);
      for (let j = 0; j < len; j += 7) data[j] = Math.floor(r() * 256);
      items.push({ chunk: { conn: i % 4, dir: dirs[i % 3]!, ts, mono, data } });
    }
  }
  return items;
}

// The difference between two snapshots of the same memory: the byte ranges that changed, with
// runs closer than `gap` bytes merged into one range (a counter's low byte and its next byte
// changing is one change, not two). Equal blocks are skipped with a native compare (64 KiB at a
// time, then 4 KiB within one that differs), so an idle 64 MiB segment costs 1024 memcmp calls.

export interface ByteSpan {
  offset: number;
  length: number;
}

const BIG = 65536;
const BLOCK = 4096;

export function diffSnapshots(prev: Uint8Array, cur: Uint8Array, gap = 8): ByteSpan[] {
  const n = Math.min(prev.length, cur.length);
  const a = Buffer.from(prev.buffer, prev.byteOffset, n);
  const b = Buffer.from(cur.buffer, cur.byteOffset, n);
  const out: ByteSpan[] = [];
  let runStart = -1;
  let runEnd = -1; // exclusive end of the last differing byte seen
  for (let block = 0; block < n; block += BLOCK) {
    if ((block & (BIG - 1)) === 0) {
      const bigEnd = Math.min(n, block + BIG);
      if (a.compare(b, block, bigEnd, block, bigEnd) === 0) {
        block = bigEnd - BLOCK; // (the loop adds BLOCK)
        continue;
      }
    }
    const end = Math.min(n, block + BLOCK);
    if (a.compare(b, block, end, block, end) === 0) continue;
    for (let i = block; i < end; i++) {
      if (a[i] === b[i]) continue;
      if (runStart >= 0 && i - runEnd < gap) {
        runEnd = i + 1;
      } else {
        if (runStart >= 0) out.push({ offset: runStart, length: runEnd - runStart });
        runStart = i;
        runEnd = i + 1;
      }
    }
  }
  if (runStart >= 0) out.push({ offset: runStart, length: runEnd - runStart });
  // A length change (a file that grew or shrank) counts as a change of the bytes past the shorter one.
  if (prev.length !== cur.length) {
    const lo = n;
    const hi = Math.max(prev.length, cur.length);
    const last = out[out.length - 1];
    if (last && lo - (last.offset + last.length) < gap) last.length = hi - last.offset;
    else out.push({ offset: lo, length: hi - lo });
  }
  return out;
}

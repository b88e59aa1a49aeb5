// Two conversations as text for a side-by-side (diff) view: each message as its summary, its
// decoded value (pretty JSON) and a hex dump of its first bytes, in aligned order, so that VS
// Code's diff editor lines them up and highlights what differs, in the values and in the bytes.
// Row ids are left out (they differ between captures for equal messages).
import type { CaptureDiff, FrameRow } from '../engine';
import { prettyJson, toJson } from '../engine';
import type { SideBySide } from '../shared/requests';

/** Messages rendered per side at most (a long capture still opens quickly). */
const MAX_MESSAGES = 5000;
/** Bytes of each message in its hex dump. */
const HEX_BYTES = 256;

/** `  0000  48 65 6c …  |Hel…|` lines, 16 bytes each, of the first HEX_BYTES bytes. */
export function hexLines(data: Uint8Array): string {
  const out: string[] = [];
  const n = Math.min(data.length, HEX_BYTES);
  for (let at = 0; at < n; at += 16) {
    const row = data.subarray(at, Math.min(at + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`  ${at.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (data.length > n) out.push(`  … ${data.length - n} more bytes`);
  return out.length ? out.join('\n') + '\n' : '';
}

export function frameText(f: FrameRow | undefined, absent: string): string {
  if (!f) return `${absent}\n`;
  // (a line's text is its summary already)
  const decoded = f.decoded === undefined || f.decoded === null || f.decoded === f.summary ? '' : prettyJson(toJson(f.decoded)) + '\n';
  return `${f.dir} ${f.summary}${f.error ? `  [${f.error}]` : ''}\n${decoded}${hexLines(f.data)}`;
}

/** The aligned pairs (original, other) as two texts; a side without its message gets a marker. */
export function pairsText(pairs: { a?: FrameRow; b?: FrameRow; label?: string }[]): SideBySide {
  const a: string[] = [];
  const b: string[] = [];
  for (const p of pairs.slice(0, MAX_MESSAGES)) {
    if (p.label) {
      a.push(p.label + '\n');
      b.push(p.label + '\n');
    }
    if (p.a || !p.label) a.push(frameText(p.a, '(none)'));
    if (p.b || !p.label) b.push(frameText(p.b, '(none)'));
  }
  if (pairs.length > MAX_MESSAGES) {
    const more = `… ${pairs.length - MAX_MESSAGES} more (ipctap diff shows all)\n`;
    a.push(more);
    b.push(more);
  }
  return { a: a.join('\n'), b: b.join('\n') };
}

/** A capture comparison side by side: per connection and direction, the aligned messages; a
 *  message on one side only is left out of the other (the diff shows it as added or removed). */
export function diffSides(d: CaptureDiff, rowsA: Map<number, FrameRow>, rowsB: Map<number, FrameRow>): SideBySide {
  const a: string[] = [];
  const b: string[] = [];
  let n = 0;
  for (const c of d.conns) {
    const label = `── connection ${c.connA} ↔ ${c.connB}, ${c.dir} ──\n`;
    a.push(label);
    b.push(label);
    for (const m of c.messages) {
      if (++n > MAX_MESSAGES) break;
      if (m.kind !== 'only-b') a.push(frameText(rowsA.get(m.a), `#${m.a}`));
      if (m.kind !== 'only-a') b.push(frameText(rowsB.get(m.b), `#${m.b}`));
    }
  }
  for (const c of d.unmatchedA) a.push(`── connection ${c} only in A ──\n`);
  for (const c of d.unmatchedB) b.push(`── connection ${c} only in B ──\n`);
  if (n > MAX_MESSAGES) {
    a.push(`… more (ipctap diff shows all)\n`);
    b.push(`… more (ipctap diff shows all)\n`);
  }
  return { a: a.join('\n'), b: b.join('\n') };
}

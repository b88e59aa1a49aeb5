// Two conversations as text for a side-by-side (diff) view: each message as its summary and its
// decoded value (pretty JSON), in aligned order, so that VS Code's diff editor lines them up and
// highlights what differs. Row ids are left out (they differ between captures for equal messages).
import type { CaptureDiff, FrameRow } from '../engine';
import { toJson } from '../engine';
import type { SideBySide } from '../shared/requests';
import { prettyJson } from './json-pretty';

/** Messages rendered per side at most (a long capture still opens quickly). */
const MAX_MESSAGES = 5000;

export function frameText(f: FrameRow | undefined, absent: string): string {
  if (!f) return `${absent}\n`;
  // (a line's text is its summary already)
  const decoded = f.decoded === undefined || f.decoded === null || f.decoded === f.summary ? '' : prettyJson(toJson(f.decoded)) + '\n';
  return `${f.dir} ${f.summary}${f.error ? `  [${f.error}]` : ''}\n${decoded}`;
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

// Drawing a Flow (engine/flow.ts): as a text sequence diagram for a terminal, and as SVG for a
// bug report.
import type { Flow } from '../engine';
export { flowSvg } from '../shared/flow-svg';

const COL_MIN = 12;
const COL_MAX = 34;

function relTime(us: number, t0: number): string {
  const s = (us - t0) / 1e6;
  return `+${s.toFixed(6)}`.padStart(11);
}

/** The diagram as text: lifelines as columns, each item on its own line with its label. */
export function flowText(flow: Flow, opts: { width?: number } = {}): string {
  const lines: string[] = [];
  if (flow.lifelines.length === 0) return 'nothing to draw (no frames or process events)';
  const widths = flow.lifelines.map((l) => Math.max(COL_MIN, Math.min(COL_MAX, l.label.length + 2)));
  const centers: number[] = [];
  let x = 0;
  for (const w of widths) {
    centers.push(x + (w >> 1));
    x += w;
  }
  const total = x;
  const index = new Map(flow.lifelines.map((l, i) => [l.id, i]));
  const pad = ' '.repeat(12);
  lines.push(pad + flow.lifelines.map((l, i) => center(l.label.slice(0, widths[i]! - 1), widths[i]!)).join(''));
  const t0 = flow.items[0]?.ts ?? 0;
  const labelRoom = Math.max(20, (opts.width ?? 160) - 12 - total - 2);
  for (const it of flow.items) {
    const row: string[] = Array.from({ length: total }, (_, i) => (centers.includes(i) ? '|' : ' '));
    let label: string;
    if (it.kind === 'arrow') {
      const a = centers[index.get(it.from)!]!;
      const b = centers[index.get(it.to)!]!;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      for (let i = lo + 1; i < hi; i++) row[i] = '-';
      if (a === b) row[a] = 'o';
      else if (a < b) row[hi - 1] = '>';
      else row[lo + 1] = '<';
      label = `#${it.id} ${it.label}${it.latency ? ` (${it.latency})` : ''}${it.error ? ' [error]' : ''}`;
    } else {
      const at = centers[index.get(it.at)!]!;
      if (it.from !== undefined) {
        const f = centers[index.get(it.from)!]!;
        const [lo, hi] = f < at ? [f, at] : [at, f];
        for (let i = lo + 1; i < hi; i++) row[i] = '~';
        if (f < at) row[hi - 1] = '>';
        else if (f > at) row[lo + 1] = '<';
      }
      row[at] = '*';
      label = `#${it.id} ${it.label}`;
    }
    lines.push(`${relTime(it.ts, t0)} ${row.join('')}  ${label.length > labelRoom ? label.slice(0, labelRoom - 1) + '…' : label}`);
  }
  const ends = flow.lifelines.map((l, i) => center(l.end ? `(${l.end})` : '', widths[i]!)).join('');
  if (ends.trim()) lines.push(pad + ends);
  if (flow.hidden) lines.push(`(${flow.hidden} transport frame${flow.hidden === 1 ? '' : 's'} hidden: type definitions, greetings, settings; --all shows them)`);
  if (flow.truncated) lines.push(`(${flow.truncated} more not drawn)`);
  return lines.join('\n');
}

function center(s: string, w: number): string {
  const left = Math.max(0, (w - s.length) >> 1);
  return (' '.repeat(left) + s).padEnd(w);
}

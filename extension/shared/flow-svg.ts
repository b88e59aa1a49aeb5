// A flow (lifelines and items) as a standalone SVG document, for a bug report: the CLI's
// `read --flow --svg` writes the whole flow, the panel's Flow tab exports the part in view.
// Every captured string is escaped as XML text.
import type { FlowLifeline, FlowWireItem } from './views';

/** Arrow colours by connection (conn % length), the same the panel's list and Flow tab use. */
export const CONN_PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#e377c2'];

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** Bytes as the flow labels them: "512 B", "48 KiB", "3.5 MiB". */
export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  const k = n / 1024;
  if (k < 1024) return `${k < 10 ? k.toFixed(1).replace(/\.0$/, '') : Math.round(k)} KiB`;
  const m = k / 1024;
  return `${m < 10 ? m.toFixed(1).replace(/\.0$/, '') : Math.round(m)} MiB`;
}

/** A group's label: "12 chunks, 48 KiB". */
export function groupText(count: number, bytes: number): string {
  return `${count} chunks, ${sizeText(bytes)}`;
}

/** The diagram as a standalone SVG document. */
export function flowSvg(flow: { lifelines: FlowLifeline[]; items: FlowWireItem[] }): string {
  const colW = 200;
  const rowH = 26;
  const top = 60;
  const left = 90;
  const n = flow.lifelines.length;
  const width = left + Math.max(1, n) * colW + 40;
  const height = top + flow.items.length * rowH + 60;
  const x = new Map(flow.lifelines.map((l, i) => [l.id, left + i * colW + colW / 2]));
  const t0 = flow.items[0]?.ts ?? 0;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`,
    '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  for (const l of flow.lifelines) {
    const cx = x.get(l.id)!;
    out.push(`<rect x="${cx - colW / 2 + 10}" y="10" width="${colW - 20}" height="28" rx="4" fill="#f3f3f3" stroke="#888"/>`);
    out.push(`<text x="${cx}" y="29" text-anchor="middle">${esc(l.label.slice(0, 26))}</text>`);
    out.push(`<line x1="${cx}" y1="38" x2="${cx}" y2="${height - 30}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    if (l.end) out.push(`<text x="${cx}" y="${height - 14}" text-anchor="middle" fill="#a00">${esc(l.end)}</text>`);
  }
  flow.items.forEach((it: FlowWireItem, i) => {
    const y = top + i * rowH + rowH / 2;
    out.push(`<text x="8" y="${y + 4}" fill="#777">${esc(((it.ts - t0) / 1e3).toFixed(3))}ms</text>`);
    if (it.kind === 'arrow' || it.kind === 'group') {
      const a = x.get(it.from)!;
      const b = x.get(it.to)!;
      const colour = it.kind === 'arrow' && it.error ? '#d62728' : CONN_PALETTE[it.conn % CONN_PALETTE.length]!;
      const width = it.kind === 'group' ? 3 : 1.5;
      out.push(`<line x1="${a}" y1="${y}" x2="${b}" y2="${y}" stroke="${colour}" stroke-width="${width}" marker-end="url(#a)"/>`);
      const label = it.kind === 'group' ? `#${it.id}… ${groupText(it.count, it.bytes)}` : `#${it.id} ${it.label}${it.latency ? ` (${it.latency})` : ''}`;
      out.push(`<text x="${Math.min(a, b) + 6}" y="${y - 4}" fill="${colour}">${esc(label.length > 60 ? label.slice(0, 59) + '…' : label)}</text>`);
    } else {
      const cx = x.get(it.at)!;
      if (it.from !== undefined) out.push(`<line x1="${x.get(it.from)!}" y1="${y}" x2="${cx}" y2="${y}" stroke="#ff7f0e" stroke-dasharray="2 2" marker-end="url(#a)"/>`);
      out.push(`<circle cx="${cx}" cy="${y}" r="5" fill="#ff7f0e"/>`);
      out.push(`<text x="${cx + 8}" y="${y - 4}" fill="#c05000">${esc(`#${it.id} ${it.label}`)}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// Text for the list's cells. Pure.
import type { WireRow } from '../../../extension/shared/webview';
import { eventSummary } from '../../../extension/shared/event-summary';

/** Relative time: µs since the session started → seconds with 6 decimals. */
export function relTime(monoUs: number): string {
  if (!Number.isFinite(monoUs)) return '';
  const sign = monoUs < 0 ? '-' : '';
  const us = Math.abs(Math.round(monoUs));
  return `${sign}${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

export function latency(us: number): string {
  if (us < 1000) return `${us} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(us < 1e7 ? 3 : 1)} s`;
}

const ARROWS: Record<string, string> = { c2s: '→ c2s', s2c: '← s2c', stdin: '→ stdin', stdout: '← stdout', stderr: '← stderr' };
export function dirText(dir: string | undefined): string {
  return dir === undefined ? '' : (ARROWS[dir] ?? dir);
}

export function sizeText(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

/** The summary column: the decoder's summary for frames, a sentence for events. */
export function summaryText(row: WireRow): string {
  if (row.type === 'event') return eventSummary(row);
  return row.error && !row.summary ? `error: ${row.error}` : row.summary;
}

/** A short text preview of a frame's bytes for the conversation view (printable ASCII, '·' else). */
export function textPreview(data: Uint8Array, max = 160): string {
  let s = '';
  for (let i = 0; i < data.length && s.length < max; i++) {
    const b = data[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 10 ? '⏎' : '·';
  }
  return data.length > max ? s + '…' : s;
}

// One row of the frame list (table view) and of the conversation view. Text only.
import type { WireRow } from '../../../extension/shared/webview';
import { applicationError } from '../../../extension/shared/filter';
import { el, type Doc } from '../dom';
import { dirText, latency, relTime, sizeText, summaryText, textPreview } from './cells';
import { fromBase64 } from '../base64';
import { connClass } from '../flow/flow-layout';

export const ROW_HEIGHT = 22;
export const CONVERSATION_ROW_HEIGHT = 56;

export interface RowMarks {
  selectedId?: number;
  /** The selected row's request or reply. */
  pairedId?: number;
}

function rowClasses(row: WireRow, marks: RowMarks, base: string): string {
  const cls = [base, row.type === 'event' ? `event ev-${row.kind}` : `frame dir-${row.dir}`];
  if (row.type === 'frame' && (row.error || replyError(row) !== undefined)) cls.push('error');
  if (row.type === 'event' && (row.kind === 'error' || row.kind === 'capture-dropped')) cls.push('error');
  if (row.id === marks.selectedId) cls.push('selected');
  if (row.id === marks.pairedId) cls.push('paired');
  return cls.join(' ');
}

/** The error a peer reported in a frame (net/rpc error reply, JSON-RPC error, gRPC status). */
export function replyError(row: Extract<WireRow, { type: 'frame' }>): string | undefined {
  // Only messages that can carry one are parsed.
  if (!/"(error|status)"/.test(row.decodedJson)) return undefined;
  try {
    return applicationError(JSON.parse(row.decodedJson));
  } catch {
    return undefined;
  }
}

/** Placeholder while a row's page is on its way. */
export function renderLoadingRow(doc: Doc, index: number): HTMLElement {
  return el(doc, 'div', { class: 'row loading', role: 'row', 'data-index': index, 'data-testid': 'loading-row' }, el(doc, 'span', { class: 'c-num' }, '…'));
}

export function renderListRow(doc: Doc, index: number, row: WireRow | undefined, marks: RowMarks): HTMLElement {
  if (!row) return renderLoadingRow(doc, index);
  const selected = row.id === marks.selectedId;
  const common = {
    class: rowClasses(row, marks, 'row'),
    role: 'row',
    'aria-selected': selected ? 'true' : 'false',
    'data-id': row.id,
    'data-index': index,
  };
  if (row.type === 'event') {
    return el(
      doc,
      'div',
      { ...common, 'data-testid': 'event-row', 'data-kind': row.kind },
      el(doc, 'span', { class: 'c-num' }, row.id),
      el(doc, 'span', { class: 'c-time' }, relTime(row.mono)),
      el(doc, 'span', { class: 'c-conn' }, row.conn !== undefined ? String(row.conn) : ''),
      el(doc, 'span', { class: 'c-dir' }, row.dir ? dirText(row.dir) : ''),
      el(doc, 'span', { class: 'c-proto' }, row.kind),
      el(doc, 'span', { class: 'c-len' }, ''),
      el(doc, 'span', { class: 'c-summary', 'data-testid': 'summary', title: summaryText(row) }, summaryText(row)),
    );
  }
  const pairNote =
    row.pair?.role === 'response' && row.pair.latencyUs !== undefined
      ? el(doc, 'span', { class: 'latency', title: `reply to #${row.pair.request ?? '?'}` }, `↩ ${latency(row.pair.latencyUs)}`)
      : null;
  return el(
    doc,
    'div',
    { ...common, 'data-testid': 'frame-row', 'data-conn': row.conn, 'data-dir': row.dir },
    el(doc, 'span', { class: 'c-num' }, row.id),
    el(doc, 'span', { class: 'c-time' }, relTime(row.mono)),
    el(doc, 'span', { class: `c-conn ${connClass(row.conn)}`, title: row.tap }, String(row.conn)),
    el(doc, 'span', { class: 'c-dir' }, dirText(row.dir)),
    el(doc, 'span', { class: 'c-proto' }, row.proto),
    el(doc, 'span', { class: 'c-len' }, sizeText(row.len)),
    el(doc, 'span', { class: 'c-summary', 'data-testid': 'summary', title: summaryText(row) }, pairNote, summaryText(row)),
  );
}

/** Conversation view: client-side frames on the left, server-side on the right. */
export function renderConversationRow(doc: Doc, index: number, row: WireRow | undefined, marks: RowMarks): HTMLElement {
  if (!row) return renderLoadingRow(doc, index);
  const side = row.type === 'event' ? 'middle' : row.dir === 'c2s' || row.dir === 'stdin' ? 'left' : 'right';
  const head = row.type === 'event' ? `#${row.id}  ${relTime(row.mono)}` : `#${row.id}  ${relTime(row.mono)}  ${dirText(row.dir)}  ${row.proto}  ${sizeText(row.len)} B`;
  const body = row.type === 'event' ? '' : textPreview(fromBase64(row.data));
  return el(
    doc,
    'div',
    {
      class: rowClasses(row, marks, `conv-row ${side}`),
      role: 'row',
      'aria-selected': row.id === marks.selectedId ? 'true' : 'false',
      'data-id': row.id,
      'data-index': index,
      'data-testid': row.type === 'event' ? 'event-row' : 'frame-row',
    },
    el(
      doc,
      'div',
      { class: 'bubble' },
      el(doc, 'div', { class: 'conv-head' }, head),
      el(doc, 'div', { class: 'conv-summary', 'data-testid': 'summary' }, summaryText(row)),
      body ? el(doc, 'div', { class: 'conv-body' }, body) : null,
    ),
  );
}

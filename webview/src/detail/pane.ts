// The detail pane for the selected row: header, actions, decoded tree and hex dump.
import { tapLabel } from '../../../extension/shared/tap-label';
import { PANEL_SIGNALS, type WireRow } from '../../../extension/shared/webview';
import { button, dropdown, dropdownValue } from '../components/index';
import { el, type Doc } from '../dom';
import { dirText, latency, relTime, summaryText } from '../list/cells';
import { renderHex } from './hex-view';
import type { JNode } from './lossless-json';
import { changedRanges, highlightFor } from './field-ranges';
import { renderTree } from './tree-view';

export interface PeerChoice {
  pid: number;
  label: string;
}

export interface DetailModel {
  row?: WireRow;
  /** The session's processes (to name a process's stdio tap). */
  processes?: readonly { pid: number; name: string }[];
  /** The selected index has no row yet (its page is loading). */
  loading?: boolean;
  tree?: JNode;
  treeError?: string;
  bytes?: Uint8Array;
  expanded: ReadonlySet<string>;
  selectedPath?: string;
  hexMaxLines: number;
  /** Bytes per hex line (16, or 8 in a narrow pane). */
  hexPerLine?: number;
  /** The request of a reply (or the reply of a request) when known. */
  pair?: { id: number; role: 'request' | 'response'; latencyUs?: number };
  peers: readonly PeerChoice[];
  /** Signal waiting for a second click (SIGKILL). */
  peerConfirm?: { pid: number; signal: string };
  live: boolean;
}

export interface DetailActions {
  toggle(path: string): void;
  selectPath(path: string): void;
  moreHex(): void;
  goToRow(id: number): void;
  replay(): void;
  editAndSend(): void;
  copyHex(): void;
  copyBase64(): void;
  copyJson(): void;
  followConnection(): void;
  signalPeer(pid: number, signal: string): void;
}

function header(doc: Doc, m: DetailModel, row: WireRow, act: DetailActions): HTMLElement {
  const h = el(doc, 'div', { class: 'd-header', 'data-testid': 'detail-header' });
  if (row.type === 'event') {
    h.appendChild(el(doc, 'span', { class: 'd-title' }, `#${row.id}  event ${row.kind}  at ${relTime(row.mono)} s`));
  } else {
    h.appendChild(
      el(
        doc,
        'span',
        { class: 'd-title' },
        `#${row.id}  conn ${row.conn} ${dirText(row.dir)}  ${row.proto}  ${row.len} bytes  at ${relTime(row.mono)} s  (${tapLabel(row.tap, m.processes)})`,
      ),
    );
  }
  h.appendChild(el(doc, 'div', { class: 'd-summary', 'data-testid': 'detail-summary' }, summaryText(row)));
  if (row.type === 'frame' && row.error) h.appendChild(el(doc, 'div', { class: 'd-error', 'data-testid': 'detail-error' }, `Could not decode: ${row.error}`));
  if (m.pair) {
    const label =
      m.pair.role === 'request'
        ? `reply to request #${m.pair.id}${m.pair.latencyUs !== undefined ? ` after ${latency(m.pair.latencyUs)}` : ''}`
        : `request answered by #${m.pair.id}${m.pair.latencyUs !== undefined ? ` after ${latency(m.pair.latencyUs)}` : ''}`;
    const id = m.pair.id;
    h.appendChild(
      el(
        doc,
        'div',
        { class: 'd-pair' },
        button(doc, label, { appearance: 'icon', testid: 'pair-link', title: `Go to #${id}`, attrs: { 'data-id': id }, onClick: () => act.goToRow(id) }),
      ),
    );
  }
  return h;
}

function actions(doc: Doc, m: DetailModel, row: WireRow, act: DetailActions): HTMLElement {
  const bar = el(doc, 'div', { class: 'd-actions', role: 'toolbar' });
  if (row.type === 'frame') {
    bar.appendChild(button(doc, 'Replay from here', { testid: 'replay', title: `Replay connection ${row.conn} from this frame`, onClick: () => act.replay() }));
    if (row.dir === 'c2s' || row.dir === 'stdin')
      bar.appendChild(
        button(doc, 'Edit and Send…', { testid: 'edit-send', title: `Edit this message and send it after connection ${row.conn}'s setup`, onClick: () => act.editAndSend() }),
      );
    bar.appendChild(button(doc, 'Copy as hex', { testid: 'copy-hex', onClick: () => act.copyHex() }));
    bar.appendChild(button(doc, 'Copy as base64', { testid: 'copy-base64', onClick: () => act.copyBase64() }));
    bar.appendChild(
      button(doc, 'Follow connection', { testid: 'follow-connection', title: `Show connection ${row.conn} as a conversation`, onClick: () => act.followConnection() }),
    );
  }
  bar.appendChild(button(doc, 'Copy as JSON', { testid: 'copy-json', onClick: () => act.copyJson() }));
  if (m.peers.length && m.live) {
    const pidSel = dropdown(
      doc,
      m.peers.map((p) => ({ value: String(p.pid), label: p.label })),
      {
        value: String(m.peerConfirm?.pid ?? m.peers[0]!.pid),
        testid: 'peer-pid',
        title: 'Peer process',
      },
    );
    const sigSel = dropdown(
      doc,
      PANEL_SIGNALS.map((s) => ({ value: s, label: s })),
      { value: m.peerConfirm?.signal ?? 'SIGTERM', testid: 'peer-signal', title: 'Signal' },
    );
    const label = m.peerConfirm ? `Confirm ${m.peerConfirm.signal} to pid ${m.peerConfirm.pid}` : 'Send signal to this peer';
    bar.appendChild(
      el(
        doc,
        'span',
        { class: 'peer-signal' },
        pidSel,
        sigSel,
        button(doc, label, {
          appearance: m.peerConfirm ? 'primary' : 'secondary',
          testid: 'peer-signal-send',
          onClick: () => act.signalPeer(Number(dropdownValue(pidSel)), dropdownValue(sigSel)),
        }),
      ),
    );
  }
  return bar;
}

export function renderDetail(doc: Doc, m: DetailModel, act: DetailActions): HTMLElement {
  const pane = el(doc, 'div', { class: 'detail', 'data-testid': 'detail-pane' });
  const row = m.row;
  if (!row) {
    pane.appendChild(el(doc, 'div', { class: 'd-empty muted' }, m.loading ? 'Loading…' : 'Select a row to see its decoded value and bytes.'));
    return pane;
  }
  pane.appendChild(header(doc, m, row, act));
  pane.appendChild(actions(doc, m, row, act));
  const body = el(doc, 'div', { class: 'd-body' });
  const treeBox = el(doc, 'div', { class: 'd-tree' });
  if (m.tree) {
    const rangePaths = new Set((row.type === 'frame' ? (row.ranges ?? []) : []).map((r) => r.path));
    const tree = renderTree(doc, m.tree, { expanded: m.expanded, selectedPath: m.selectedPath, rangePaths });
    tree.addEventListener('click', (ev) => {
      const t = ev.target as Element | null;
      const item = t?.closest?.('[data-path]');
      if (!item) return;
      const path = item.getAttribute('data-path') ?? '';
      if (t?.closest?.('[data-toggle]')) act.toggle(path);
      else act.selectPath(path);
    });
    treeBox.appendChild(tree);
  } else if (m.treeError) {
    treeBox.appendChild(el(doc, 'div', { class: 'd-error' }, m.treeError));
  } else {
    treeBox.appendChild(el(doc, 'div', { class: 'muted' }, 'No decoded value.'));
  }
  body.appendChild(treeBox);
  if (row.type === 'frame' && m.bytes) {
    const hexBox = el(doc, 'div', { class: 'd-hex' });
    const highlight = highlightFor(row.ranges, m.selectedPath);
    hexBox.appendChild(renderHex(doc, m.bytes, { maxLines: m.hexMaxLines, highlight, marks: changedRanges(row.ranges), perLine: m.hexPerLine }));
    const shown = m.hexMaxLines * (m.hexPerLine ?? 16);
    if (m.bytes.length > shown) {
      hexBox.appendChild(
        el(doc, 'div', { class: 'h-more' }, `${m.bytes.length - shown} more bytes `, button(doc, 'Show more', { testid: 'hex-more', onClick: () => act.moreHex() })),
      );
    }
    body.appendChild(hexBox);
  }
  pane.appendChild(body);
  return pane;
}

// Keeps the detail pane in step with the selection: parses the selected row once, tracks the
// expanded tree nodes and the selected field, and runs the pane's actions.
import type { WireRow } from '../../../extension/shared/webview';
import type { SessionDetail } from '../../../extension/shared/requests';
import { errText } from '../errors';
import type { HostLink } from '../host';
import type { findPair } from '../list/pairs';
import { fromBase64 } from '../base64';
import { renderDetail } from './pane';
import { el, setChildren, type Doc } from '../dom';
import { bytesPerLineFor, toHexString } from './hex-layout';
import { HEX_PAGE_LINES } from './hex-view';
import { jsonText, parseJsonTree, type JNode } from './lossless-json';
import { needsConfirm } from '../processes';
import { peerChoices } from '../list/pairs';

/** What the detail pane needs from the panel (the App provides it). */
export interface DetailHost {
  readonly session?: SessionDetail;
  readonly live: boolean;
  fieldPath: string | undefined;
  request: HostLink['request'];
  selectedRow(): WireRow | undefined;
  isSelectionLoading(): boolean;
  pairOfSelection(): ReturnType<typeof findPair>;
  followConnection(conn: number | undefined): void;
  sendSignal(pid: number, signal: string): Promise<void>;
  notice(text: string, isError: boolean): void;
  refreshRows(): void;
  goToRow(id: number): Promise<boolean>;
  /** Runs a request, telling the user its error (and `done` when given); undefined on error. */
  call<T>(p: Promise<T>, done?: string): Promise<T | undefined>;
}

import { defaultExpanded } from './tree-view';

export class DetailController {
  readonly root: HTMLElement;
  pairedId: number | undefined;
  private rowId: number | undefined;
  private tree: JNode | undefined;
  private treeError: string | undefined;
  private bytes: Uint8Array | undefined;
  private expanded = new Set<string>();
  private hexMaxLines = HEX_PAGE_LINES;
  private peerConfirm: { pid: number; signal: string } | undefined;
  private askedConns = new Set<number>();
  private lastKey = '';

  constructor(
    private readonly doc: Doc,
    private readonly app: DetailHost,
  ) {
    this.root = el(doc, 'div', { class: 'detail-box' });
  }

  private load(row: WireRow): void {
    this.rowId = row.id;
    this.tree = undefined;
    this.treeError = undefined;
    this.hexMaxLines = HEX_PAGE_LINES;
    this.peerConfirm = undefined;
    try {
      if (row.type === 'frame') {
        this.tree = parseJsonTree(row.decodedJson ?? 'null');
        this.bytes = fromBase64(row.data);
      } else {
        const { type: _t, ...fields } = row;
        this.tree = parseJsonTree(JSON.stringify(fields));
        this.bytes = undefined;
      }
    } catch (err) {
      this.treeError = `The decoded value is not valid JSON: ${errText(err)}`;
    }
    if (this.tree?.kind === 'null') this.tree = undefined;
    this.expanded = this.tree ? defaultExpanded(this.tree) : new Set();
    const path = this.app.fieldPath;
    if (path) for (let p = path; p.includes('/'); p = p.slice(0, p.lastIndexOf('/'))) this.expanded.add(p.slice(0, p.lastIndexOf('/')));
  }

  /** Re-render for the current selection; nothing happens when nothing it shows changed. */
  update(): void {
    const row = this.app.selectedRow();
    const key = `${row?.id}|${this.app.isSelectionLoading()}|${this.app.pairOfSelection()?.id}|${this.app.live}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (row && row.id !== this.rowId) {
      if (this.rowId !== undefined) this.app.fieldPath = undefined;
      this.load(row);
      if (row.type === 'frame' && !this.app.session?.connectionList?.some((c) => c.conn === row.conn) && !this.askedConns.has(row.conn)) {
        // A connection newer than our session snapshot: fetch its peers once.
        this.askedConns.add(row.conn);
        void this.app.request('session/get', {}).then(
          (s) => {
            if (this.app.session) this.app.session.connectionList = s.connectionList;
            if (this.app.selectedRow()?.id === this.rowId) this.render();
          },
          () => undefined,
        );
      }
    }
    if (!row) this.rowId = undefined;
    const pair = this.app.pairOfSelection();
    if (pair?.id !== this.pairedId) {
      this.pairedId = pair?.id;
      this.app.refreshRows();
    }
    this.render();
  }

  private render(): void {
    const row = this.app.selectedRow();
    const s = this.app.session;
    const pane = renderDetail(
      this.doc,
      {
        row,
        loading: this.app.isSelectionLoading(),
        tree: this.tree,
        treeError: this.treeError,
        bytes: this.bytes,
        expanded: this.expanded,
        selectedPath: this.app.fieldPath,
        hexMaxLines: this.hexMaxLines,
        hexPerLine: this.perLine,
        processes: s?.processes,
        pair: this.app.pairOfSelection(),
        peers: peerChoices(row, s?.connectionList ?? [], s?.processes ?? []),
        peerConfirm: this.peerConfirm,
        live: this.app.live,
      },
      {
        toggle: (path) => {
          if (this.expanded.has(path)) this.expanded.delete(path);
          else this.expanded.add(path);
          this.render();
        },
        selectPath: (path) => {
          this.app.fieldPath = path;
          this.render();
        },
        moreHex: () => {
          this.hexMaxLines += HEX_PAGE_LINES;
          this.render();
        },
        goToRow: (id) => void this.app.goToRow(id).then((ok) => ok || this.app.notice(`Row #${id} is hidden by the filter.`, false)),
        replay: () => {
          if (row?.type !== 'frame') return;
          void this.app.call(this.app.request('replay/start', { conn: row.conn, fromId: row.id })).then((r) => {
            if (!r) return;
            const diff = r.responses.filter((x) => x.mark !== 'same').length;
            this.app.notice(
              r.allSame
                ? `Replayed connection ${row.conn} as connection ${r.conn}: every response the same.`
                : `Replayed connection ${row.conn} as connection ${r.conn}: ${diff} of ${r.responses.length} responses differ or are missing.`,
              !r.allSame,
            );
          });
        },
        editAndSend: () => {
          if (row?.type === 'frame') void this.app.call(this.app.request('edit/open', { id: row.id }));
        },
        copyHex: () => this.copy(this.bytes ? toHexString(this.bytes) : '', 'hex'),
        copyBase64: () => this.copy(row?.type === 'frame' ? row.data : '', 'base64'),
        copyJson: () => this.copy(this.tree ? jsonText(this.tree) : 'null', 'JSON'),
        followConnection: () => {
          if (row?.type === 'frame') this.app.followConnection(row.conn);
        },
        signalPeer: (pid, signal) => {
          if (!Number.isFinite(pid) || !signal) return;
          if (needsConfirm(signal) && (this.peerConfirm?.pid !== pid || this.peerConfirm.signal !== signal)) {
            this.peerConfirm = { pid, signal };
            this.render();
            return;
          }
          this.peerConfirm = undefined;
          void this.app.sendSignal(pid, signal).then(() => this.render());
        },
      },
    );
    // Keep the tree's and the hex dump's scroll positions across re-renders.
    const keep = ['.d-tree', '.d-hex'].map((sel) => this.root.querySelector?.(sel)?.scrollTop ?? 0);
    setChildren(this.doc, this.root, pane);
    ['.d-tree', '.d-hex'].forEach((sel, i) => {
      const e = this.root.querySelector?.(sel);
      if (e && keep[i]) e.scrollTop = keep[i]!;
    });
    this.watchWidth();
  }

  /** 16 bytes a hex line when they fit the hex pane, else 8 (measured; 16 where nothing can be). */
  private perLine = 16;
  private resize: ResizeObserver | undefined;

  private fitHex(): boolean {
    const box = this.root.querySelector?.('.d-hex') as HTMLElement | null | undefined;
    const off = box?.querySelector('.h-off') as HTMLElement | null | undefined;
    if (!box || !off || typeof getComputedStyle !== 'function') return false;
    const cs = getComputedStyle(box);
    const width = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    // The offset column: 8 monospace characters.
    const charPx = off.getBoundingClientRect().width / 8;
    const want = bytesPerLineFor(width, charPx);
    if (want === this.perLine) return false;
    this.perLine = want;
    return true;
  }

  /** Re-lay the hex dump when the pane's width crosses what 16 bytes a line need. */
  private watchWidth(): void {
    if (this.fitHex()) this.render();
    if (this.resize || typeof ResizeObserver !== 'function') return;
    this.resize = new ResizeObserver(() => {
      if (this.fitHex()) this.render();
    });
    this.resize.observe(this.root);
  }

  private copy(text: string, what: string): void {
    void this.app.call(this.app.request('clipboard/write', { text }), `Copied as ${what} (${text.length} characters).`);
  }
}

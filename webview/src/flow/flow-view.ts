// The Flow tab: the session as a sequence diagram, one lifeline (column) per process or endpoint,
// one row per frame (an arrow from sender to receiver, labelled with its summary and, for a
// reply, the latency since its request) or per event (signals, exits, connection errors).
// Items come from the engine by range under the list's filter (flow/get); only the rows in view
// are in the DOM (the list's VirtualList). Text only: every label is a Text node.
import type { FlowGetResult, FlowLifeline, FlowWireItem } from '../../../extension/shared/views';
import { flowSvg } from '../../../extension/shared/flow-svg';
import { button } from '../components/index';
import { el, setChildren, setText, type Doc } from '../dom';
import { errText } from '../errors';
import { VirtualList } from '../list/list';
import { RowCache } from '../list/row-cache';
import { FLOW_ROW_HEIGHT, columns, foldText, shapeOf, timeText, type Columns } from './flow-layout';

export interface FlowHost {
  /** The list's filter text as sent to the engine (with after:N). */
  readonly filter: string;
  readonly transport: boolean;
  setTransport(on: boolean): void;
  readonly selectedId: number | undefined;
  /** The connection Follow Connection shows (its arrows are highlighted). */
  readonly followConn: number | undefined;
  fetch(start: number, count: number, transport: boolean, findId?: number): Promise<FlowGetResult>;
  /** An arrow or mark was clicked: select its row. */
  select(rowId: number): void;
  exportSvg(svg: string): void;
  notice(text: string, isError: boolean): void;
}

/** Draw times (ms) of the last frames drawn, newest last, for measuring in a browser. */
const DRAW_LOG = 2000;

export class FlowView {
  readonly root: HTMLElement;
  private readonly cache = new RowCache<FlowWireItem | null>();
  private readonly list: VirtualList;
  private readonly header: HTMLElement;
  private readonly countBox: HTMLElement;
  private readonly transportBox: HTMLInputElement;
  private readonly emptyBox: HTMLElement;
  private lifelines: FlowLifeline[] = [];
  private cols: Columns = columns([], 800);
  private laidOutWidth = 0;
  private t0 = 0;
  private tailBusy = false;
  readonly drawTimes: number[] = [];
  /** Rows drawn, by index, reused while their item, its predecessor and the selection are the same. */
  private readonly drawn = new Map<number, { node: HTMLElement; item: FlowWireItem | null | undefined; prev: unknown; selected: boolean; followed: boolean }>();
  /** The row whose arrow was last scrolled to (reveal), so a redraw does not scroll again. */
  private revealed: number | undefined;
  active = false;

  constructor(
    private readonly doc: Doc & Document,
    private readonly host: FlowHost,
  ) {
    this.list = new VirtualList(
      doc,
      FLOW_ROW_HEIGHT,
      {
        render: (i) => this.renderRow(i),
        need: (first, end) => this.need(first, end),
        key: () => undefined,
        click: (i) => {
          const it = this.cache.get(i);
          if (it) this.host.select(it.id);
        },
        scrolled: () => this.syncHeader(),
        drawn: (ms) => {
          this.drawTimes.push(ms);
          if (this.drawTimes.length > DRAW_LOG) this.drawTimes.splice(0, this.drawTimes.length - DRAW_LOG);
          // Readable from the page for measuring (the e2e run reports these figures).
          (globalThis as { __ipctapFlowDrawMs?: number[] }).__ipctapFlowDrawMs = this.drawTimes;
        },
      },
      { testid: 'flow-list', label: 'flow diagram', className: 'flow-scroller' },
    );
    this.transportBox = el(doc, 'input', { type: 'checkbox', 'data-testid': 'flow-transport', id: 'flow-transport' });
    this.transportBox.addEventListener('change', () => this.host.setTransport(this.transportBox.checked));
    this.countBox = el(doc, 'span', { class: 'flow-count', 'data-testid': 'flow-count' });
    this.header = el(doc, 'div', { class: 'flow-header', 'data-testid': 'flow-header' });
    this.emptyBox = el(doc, 'div', { class: 'empty-state', role: 'status', 'data-testid': 'flow-empty' });
    this.emptyBox.hidden = true;
    const controls = el(
      doc,
      'div',
      { class: 'flow-controls' },
      el(
        doc,
        'label',
        { for: 'flow-transport', title: 'Gob type definitions, ZMTP greetings and commands, HTTP/2 SETTINGS, WINDOW_UPDATE and PING' },
        this.transportBox,
        ' Transport frames',
      ),
      el(doc, 'span', { class: 'flow-axis', title: 'One row per message; gaps of a second or more are folded and marked ⋯' }, 'Time: compressed'),
      this.countBox,
      button(doc, 'Export SVG…', { testid: 'flow-export', title: 'Save the part of the flow in view as an SVG image', onClick: () => this.exportVisible() }),
    );
    this.root = el(doc, 'div', { class: 'flow-pane', 'data-testid': 'flow-view' }, controls, this.header, this.list.scroller, this.emptyBox);
    // Columns follow the view's width (the panel resized, the detail pane dragged).
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        const w = this.list.scroller.clientWidth;
        if (w > 0 && Math.abs(w - this.laidOutWidth) > 1 && this.lifelines.length) {
          const lines = this.lifelines;
          this.lifelines = [];
          this.setLifelines(lines);
        }
      }).observe(this.list.scroller);
    }
  }

  /** Forget the items (the filter or the transport option changed) and draw from the top. */
  reset(): void {
    this.revealed = undefined;
    this.cache.reset();
    this.drawn.clear();
    this.list.setTotal(0);
    this.transportBox.checked = this.host.transport;
    if (this.active)
      void this.fetchPage(0).then(() => {
        this.list.scrollToIndex(0);
        this.reveal();
      });
  }

  show(): void {
    this.active = true;
    this.transportBox.checked = this.host.transport;
    this.revealed = undefined;
    if (this.cache.total < 0) this.reset();
    else {
      this.refresh();
      this.reveal();
    }
    this.list.schedule();
  }

  /** New rows may have arrived (live): ask for the page where new items would land. */
  refresh(): void {
    if (!this.active || this.tailBusy) return;
    this.tailBusy = true;
    const page = Math.floor(Math.max(0, this.cache.total) / this.cache.pageSize);
    void this.fetchPage(page).finally(() => (this.tailBusy = false));
  }

  /** Redraw the rows in view (the selection or the followed connection changed). */
  redraw(): void {
    if (this.active) this.list.schedule();
  }

  /**
   * Scroll the selected row's arrow into view (the middle) and draw it selected. The flow's
   * positions differ from the list's (events, hidden transport frames), so the engine finds it.
   */
  reveal(): void {
    const id = this.host.selectedId;
    if (!this.active || id === undefined || id === this.revealed) return this.redraw();
    const gen = this.cache.generation;
    void this.host.fetch(0, 0, this.host.transport, id).then(
      (r) => {
        if (gen !== this.cache.generation || id !== this.host.selectedId || r.found === undefined || r.found < 0) return this.redraw();
        this.revealed = id;
        if (r.total !== this.list.count) this.list.setTotal(r.total);
        const { first, end } = this.list.rendered();
        if (r.found < first + 1 || r.found >= end - 1) this.list.scrollToIndex(Math.max(0, r.found - Math.floor(this.list.pageRows() / 2)));
        this.list.schedule();
      },
      () => this.redraw(),
    );
  }

  private need(first: number, end: number): void {
    for (const i of this.drawn.keys()) if (i < first - 100 || i >= end + 100) this.drawn.delete(i);
    for (const p of this.cache.missingPages(first, end)) void this.fetchPage(p);
    this.cache.evict(first, end);
  }

  private fetchPage(page: number): Promise<void> {
    const gen = this.cache.generation;
    this.cache.markRequested(page);
    const ps = this.cache.pageSize;
    return this.host.fetch(page * ps, ps, this.host.transport).then(
      (r) => {
        if (gen !== this.cache.generation) return;
        this.setLifelines(r.lifelines);
        if (r.t0 !== undefined) this.t0 = r.t0;
        if (!this.cache.fill(gen, page, r.items, r.total)) return;
        if (r.total !== this.list.count) this.list.setTotal(r.total);
        setText(this.countBox, `${r.total.toLocaleString('en-US')} item${r.total === 1 ? '' : 's'}`);
        this.countBox.setAttribute('data-count', String(r.total));
        setText(this.emptyBox, r.total === 0 ? (this.host.filter ? 'Nothing in the flow under this filter.' : 'No messages or process events yet.') : '');
        this.emptyBox.hidden = r.total !== 0;
        this.list.schedule();
      },
      (err: unknown) => {
        this.cache.failed(gen, page);
        this.host.notice(`Could not load the flow: ${errText(err)}`, true);
      },
    );
  }

  private setLifelines(lines: FlowLifeline[]): void {
    const same =
      lines.length === this.lifelines.length && lines.every((l, i) => l.id === this.lifelines[i]!.id && l.label === this.lifelines[i]!.label && l.end === this.lifelines[i]!.end);
    if (same) return;
    this.lifelines = lines;
    this.drawn.clear();
    this.laidOutWidth = this.list.scroller.clientWidth;
    this.cols = columns(lines, this.laidOutWidth || 800);
    const heads = lines.map((l) => {
      const h = el(
        this.doc,
        'div',
        { class: 'flow-lifeline', 'data-testid': 'flow-lifeline', 'data-id': l.id, title: l.end ? `${l.label} (${l.end})` : l.label },
        el(this.doc, 'span', { class: 'fl-name' }, l.label),
        l.end ? el(this.doc, 'span', { class: 'fl-end', 'data-testid': 'flow-lifeline-end' }, l.end) : null,
      );
      h.style.left = `${this.cols.x.get(l.id)! - this.cols.colWidth / 2 + 4}px`;
      h.style.width = `${this.cols.colWidth - 8}px`;
      return h;
    });
    const inner = el(this.doc, 'div', { class: 'flow-header-inner' }, ...heads);
    inner.style.width = `${this.cols.width}px`;
    setChildren(this.doc, this.header, inner);
    // The lifelines: one thin line down the middle of each column, drawn as the scroller's
    // background (scrolling with the content) rather than as elements in every row.
    const sc = this.list.scroller.style;
    const half = this.cols.colWidth / 2;
    sc.backgroundImage = `repeating-linear-gradient(to right, transparent 0 ${half - 0.5}px, var(--ipctap-lifeline) ${half - 0.5}px ${half + 0.5}px, transparent ${half + 0.5}px ${this.cols.colWidth}px)`;
    // Tiles 1 px high repeated down (one image as tall as the content would be too big to paint).
    sc.backgroundSize = `${lines.length * this.cols.colWidth}px 1px`;
    sc.backgroundPosition = `${this.cols.x.size ? [...this.cols.x.values()][0]! - half : 0}px 0`;
    this.syncHeader();
    this.list.schedule();
  }

  private syncHeader(): void {
    this.header.scrollLeft = this.list.scroller.scrollLeft;
  }

  private renderRow(i: number): HTMLElement {
    const it = this.cache.get(i);
    const prev = i > 0 ? this.cache.get(i - 1) : undefined;
    const selected = it != null && it.id === this.host.selectedId;
    const followed = it != null && it.kind === 'arrow' && it.conn === this.host.followConn;
    const had = this.drawn.get(i);
    if (had && had.item === it && had.prev === prev && had.selected === selected && had.followed === followed && it !== undefined) return had.node;
    const node = this.drawRow(i, it, prev);
    this.drawn.set(i, { node, item: it, prev, selected, followed });
    return node;
  }

  private drawRow(i: number, it: FlowWireItem | null | undefined, prev: FlowWireItem | null | undefined): HTMLElement {
    const d = this.doc;
    const row = el(d, 'div', { class: 'flow-row', role: 'row', 'data-index': i });
    row.style.width = `${this.cols.width}px`;
    if (it === undefined) {
      row.classList.add('loading');
      row.setAttribute('data-testid', 'flow-loading');
      return row;
    }
    if (it === null) return row;
    const shape = shapeOf(it, this.cols);
    row.setAttribute('data-id', String(it.id));
    row.setAttribute('data-testid', it.kind === 'arrow' ? 'flow-arrow' : 'flow-mark');
    if (it.id === this.host.selectedId) {
      row.classList.add('selected');
      row.setAttribute('aria-selected', 'true');
    }
    if (it.kind === 'arrow' && it.conn === this.host.followConn) {
      row.classList.add('followed');
      row.setAttribute('data-followed', 'true');
    }
    const fold = foldText(prev?.ts, it.ts);
    row.appendChild(el(d, 'span', { class: 'f-time' }, timeText(it.ts, this.t0)));
    if (fold) row.appendChild(el(d, 'span', { class: 'f-fold', title: 'time folded' }, fold));
    if (!shape) return row;
    const place = (e: HTMLElement, left: number, width?: number): HTMLElement => {
      e.style.left = `${left}px`;
      if (width !== undefined) e.style.width = `${width}px`;
      return e;
    };
    if (shape.kind === 'mark') {
      if (shape.from !== undefined)
        row.appendChild(place(el(d, 'div', { class: `f-signal ${shape.from < shape.at ? 'right' : 'left'}` }), Math.min(shape.from, shape.at), Math.abs(shape.at - shape.from)));
      row.appendChild(place(el(d, 'div', { class: `f-dot${shape.signal ? ' signal' : ''}` }), shape.at - 5));
      row.appendChild(place(el(d, 'span', { class: 'f-label mark', 'data-testid': 'flow-label', title: shape.text }, shape.text), shape.labelLeft, shape.labelWidth));
      return row;
    }
    row.classList.add(shape.colour);
    if (shape.kind === 'self') row.appendChild(place(el(d, 'div', { class: 'f-self' }), shape.left));
    else row.appendChild(place(el(d, 'div', { class: `f-arrow ${shape.dir}` }), shape.left, shape.width));
    const label = el(
      d,
      'span',
      { class: 'f-label', 'data-testid': 'flow-label', title: shape.latency ? `${shape.text} (${shape.latency})` : shape.text },
      shape.latency ? el(d, 'span', { class: 'f-latency', 'data-testid': 'flow-latency' }, `↩ ${shape.latency} `) : null,
      shape.text,
    );
    row.appendChild(place(label, shape.labelLeft, shape.labelWidth));
    return row;
  }

  /** The items in view as an SVG document (the same drawing as `ipctap read --flow --svg`). */
  visibleSvg(): string {
    const { first, end } = this.list.rendered();
    const items: FlowWireItem[] = [];
    for (let i = Math.max(0, first); i < end; i++) {
      const it = this.cache.get(i);
      if (it) items.push(it);
    }
    const used = new Set<string>();
    for (const it of items) {
      if (it.kind === 'arrow') used.add(it.from).add(it.to);
      else {
        used.add(it.at);
        if (it.from) used.add(it.from);
      }
    }
    return flowSvg({ lifelines: this.lifelines.filter((l) => used.has(l.id) || l.id.startsWith('pid:')), items });
  }

  private exportVisible(): void {
    if (this.list.count === 0) {
      this.host.notice('Nothing in view to export.', true);
      return;
    }
    this.host.exportSvg(this.visibleSvg());
  }
}

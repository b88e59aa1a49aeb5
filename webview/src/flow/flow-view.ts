// The Flow tab: the session as a sequence diagram, one lifeline (column) per process or endpoint,
// one row per frame (an arrow from sender to receiver, labelled with its summary and, for a
// reply, the latency since its request), per event (signals, exits, connection errors) or per
// group of raw chunks. Items come from the engine by range under the list's filter (flow/get).
//
// Drawing is virtualized with a fixed pool of row elements: a row scrolled out of view is handed
// to a row scrolling in, and only the text and attributes that differ are written. A draw (one
// per animation frame at most) reads the scroll position first and then only writes, so the
// browser lays out once per frame. Pages of items are asked for ahead of the rows in view.
// Text only: every label is a Text node.
import type { FlowGetResult, FlowLifeline, FlowWireItem } from '../../../extension/shared/views';
import { flowSvg } from '../../../extension/shared/flow-svg';
import { button } from '../components/index';
import { el, setChildren, setText, shownText, type Doc } from '../dom';
import { errText } from '../errors';
import { RowCache } from '../list/row-cache';
import { FLOW_ROW_HEIGHT, FlowAxis, columns, foldText, shapeOf, timeText, type Columns } from './flow-layout';
import { svgToPng } from './png';

/** What the Flow tab asks the engine for (the host adds the filter). */
export interface FlowQuery {
  start: number;
  count: number;
  transport: boolean;
  axis: 'compressed' | 'time';
  group: boolean;
  expanded: number[];
  findId?: number;
  indexStep?: number;
}

export interface FlowHost {
  /** The list's filter text as sent to the engine (with after:N). */
  readonly filter: string;
  readonly transport: boolean;
  setTransport(on: boolean): void;
  /** Proportional time axis (else compressed: one row per item). */
  readonly proportional: boolean;
  setProportional(on: boolean): void;
  /** Runs of raw chunks drawn as one arrow. */
  readonly groupChunks: boolean;
  setGroupChunks(on: boolean): void;
  readonly selectedId: number | undefined;
  /** The connection Follow Connection shows (its arrows are highlighted). */
  readonly followConn: number | undefined;
  fetch(q: FlowQuery): Promise<FlowGetResult>;
  /** An arrow or mark was clicked: select its row. */
  select(rowId: number): void;
  exportSvg(svg: string): void;
  /** A PNG image, base64. */
  exportPng(base64: string): void;
  notice(text: string, isError: boolean): void;
}

/** Figures of the last draws, newest last, for measuring in a browser. */
const DRAW_LOG = 2000;
/** Rows drawn beyond the viewport on each side. */
const OVERSCAN = 4;

/** A pooled row: its elements, made once, and what was last written into them. */
interface RowNode {
  row: HTMLElement;
  time: Text;
  fold: HTMLElement;
  foldText: Text;
  line: HTMLElement;
  dot: HTMLElement;
  label: HTMLElement;
  latency: HTMLElement;
  latencyText: Text;
  text: Text;
  /** Position shown, and what was drawn there (reused while all of it is the same). */
  index: number;
  item: FlowWireItem | null | undefined;
  prev: FlowWireItem | null | undefined;
  selected: boolean;
  followed: boolean;
  layout: number;
  y: number;
  width: number;
}

/** Measurements the e2e run reads from the page. */
interface FlowMetrics {
  __ipctapFlowDrawMs?: number[];
  __ipctapFlowDrawRows?: number[];
  __ipctapFlowFrameMs?: number[];
}

export class FlowView {
  readonly root: HTMLElement;
  private readonly cache = new RowCache<FlowWireItem | null>();
  readonly scroller: HTMLElement;
  private readonly content: HTMLElement;
  private readonly rowsBox: HTMLElement;
  private readonly header: HTMLElement;
  private readonly countBox: HTMLElement;
  private readonly transportBox: HTMLInputElement;
  private readonly timeBox: HTMLInputElement;
  private readonly groupBox: HTMLInputElement;
  private readonly emptyBox: HTMLElement;
  private readonly linesBox: HTMLElement;
  private shownLeft = NaN;
  private lifelines: FlowLifeline[] = [];
  private cols: Columns = columns([], 800);
  /** Bumped when what every row's drawing depends on changes (columns, t0). */
  private layoutGen = 0;
  private laidOutWidth = 0;
  private viewHeight = 0;
  private t0 = 0;
  private tailBusy = false;
  private readonly axis = new FlowAxis(FLOW_ROW_HEIGHT);
  /** Groups shown expanded, by their first row id. */
  private readonly expanded = new Set<number>();
  /** Rows in use, by position; rows free for reuse. */
  private readonly used = new Map<number, RowNode>();
  private readonly free: RowNode[] = [];
  /** Unscaled y the rows' own offsets are measured from (moved when the view goes far). */
  private base = 0;
  /** Unscaled y of the viewport's top as last scrolled to by the view (see realTop). */
  private anchor = 0;
  private ownScrollTop: number | undefined;
  private frame = 0;
  private lastFirst = 0;
  private lastEnd = 0;
  readonly drawTimes: number[] = [];
  readonly drawRows: number[] = [];
  readonly frameTimes: number[] = [];
  private frameWatch = 0;
  /** The row whose arrow was last scrolled to (reveal), so a redraw does not scroll again. */
  private revealed: number | undefined;
  active = false;

  constructor(
    private readonly doc: Doc & Document,
    private readonly host: FlowHost,
  ) {
    this.rowsBox = el(doc, 'div', { class: 'flow-rows', role: 'rowgroup' });
    this.content = el(doc, 'div', { class: 'list-content flow-content' }, this.rowsBox);
    this.scroller = el(doc, 'div', { class: 'list-scroller flow-scroller', tabindex: 0, role: 'grid', 'aria-label': 'flow diagram', 'data-testid': 'flow-list' }, this.content);
    this.scroller.addEventListener('scroll', () => {
      this.syncHeader();
      this.schedule();
    });
    this.scroller.addEventListener('click', (ev) => {
      const r = (ev.target as Element | null)?.closest?.('[data-index]');
      if (r) this.clicked(Number(r.getAttribute('data-index')));
    });
    const box = (testid: string, on: (checked: boolean) => void): HTMLInputElement => {
      const b = el(doc, 'input', { type: 'checkbox', 'data-testid': testid, id: testid });
      b.addEventListener('change', () => on(b.checked));
      return b;
    };
    this.transportBox = box('flow-transport', (on) => this.host.setTransport(on));
    this.timeBox = box('flow-proportional', (on) => this.host.setProportional(on));
    this.groupBox = box('flow-group-chunks', (on) => this.host.setGroupChunks(on));
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
      el(
        doc,
        'label',
        { for: 'flow-group-chunks', title: 'Consecutive raw chunks of one connection and direction as one arrow ("12 chunks, 48 KiB"); click it to expand' },
        this.groupBox,
        ' Group chunks',
      ),
      el(
        doc,
        'label',
        {
          for: 'flow-proportional',
          title: 'Space rows by the time between them (gaps of a second or more folded and marked ⋯); unticked, one row per message',
        },
        this.timeBox,
        ' Proportional time',
      ),
      this.countBox,
      button(doc, 'Export SVG…', { testid: 'flow-export', title: 'Save the part of the flow in view as an SVG image', onClick: () => this.exportVisible() }),
      button(doc, 'Export PNG…', { testid: 'flow-export-png', title: 'Save the part of the flow in view as a PNG image', onClick: () => void this.exportVisiblePng() }),
    );
    this.linesBox = el(doc, 'div', { class: 'flow-lines' });
    const body = el(doc, 'div', { class: 'flow-body' }, el(doc, 'div', { class: 'flow-lines-clip', 'aria-hidden': 'true' }, this.linesBox), this.scroller);
    this.root = el(doc, 'div', { class: 'flow-pane', 'data-testid': 'flow-view' }, controls, this.header, body, this.emptyBox);
    // Columns follow the view's width (the panel resized, the detail pane dragged); the height
    // is read here rather than in every draw.
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        this.viewHeight = this.scroller.clientHeight;
        const w = this.scroller.clientWidth;
        if (w > 0 && Math.abs(w - this.laidOutWidth) > 1 && this.lifelines.length) {
          const lines = this.lifelines;
          this.lifelines = [];
          this.setLifelines(lines);
        }
        this.schedule();
      }).observe(this.scroller);
    }
  }

  private syncBoxes(): void {
    this.transportBox.checked = this.host.transport;
    this.timeBox.checked = this.host.proportional;
    this.groupBox.checked = this.host.groupChunks;
  }

  private query(start: number, count: number, extra: Partial<FlowQuery> = {}): FlowQuery {
    return {
      start,
      count,
      transport: this.host.transport,
      axis: this.host.proportional ? 'time' : 'compressed',
      group: this.host.groupChunks,
      expanded: this.host.groupChunks ? [...this.expanded] : [],
      ...extra,
    };
  }

  /** Forget the items (the filter or an option changed) and draw from the top. */
  reset(): void {
    this.revealed = undefined;
    this.forget();
    this.syncBoxes();
    if (this.active)
      void this.fetchPage(0).then(() => {
        this.scrollToIndex(0);
        this.reveal();
      });
  }

  /** Forget the items; with keepPlace, the flow keeps its length and scroll position until the
   *  engine answers (a group expanded or collapsed: the rows above it stay where they are). */
  private forget(keepPlace = false): void {
    this.cache.reset();
    for (const n of this.used.values()) n.item = undefined;
    if (keepPlace) {
      this.schedule();
      return;
    }
    this.axis.time = this.host.proportional;
    this.axis.index = [];
    this.axis.offEnd = 0;
    this.setTotal(0);
  }

  show(): void {
    this.active = true;
    this.syncBoxes();
    this.revealed = undefined;
    this.viewHeight = this.scroller.clientHeight;
    if (this.cache.total < 0) this.reset();
    else {
      this.refresh();
      this.reveal();
    }
    this.schedule();
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
    if (this.active) this.schedule();
  }

  get count(): number {
    return this.axis.total;
  }

  private pageRows(): number {
    return Math.max(1, Math.floor(this.vh() / FLOW_ROW_HEIGHT));
  }

  /** The viewport's height (as last observed; ten rows before it is known). */
  private vh(): number {
    return this.viewHeight || this.scroller.clientHeight || FLOW_ROW_HEIGHT * 10;
  }

  /**
   * Scroll the selected row's arrow into view (the middle) and draw it selected. The flow's
   * positions differ from the list's (events, hidden transport frames), so the engine finds it.
   */
  reveal(): void {
    const id = this.host.selectedId;
    if (!this.active || id === undefined || id === this.revealed) return this.redraw();
    const gen = this.cache.generation;
    void this.host.fetch(this.query(0, 0, { findId: id })).then(
      (r) => {
        if (gen !== this.cache.generation || id !== this.host.selectedId || r.found === undefined || r.found < 0) return this.redraw();
        this.revealed = id;
        this.takeExtent(r);
        if (r.found < this.lastFirst + OVERSCAN + 1 || r.found >= this.lastEnd - OVERSCAN - 1) this.scrollToIndex(Math.max(0, r.found - Math.floor(this.pageRows() / 2)));
        this.schedule();
      },
      () => this.redraw(),
    );
  }

  scrollToIndex(index: number): void {
    const vh = this.vh();
    this.scrollToReal(this.axis.realY(index, this.known), vh);
    this.schedule();
  }

  /**
   * Unscaled y of the viewport's top. With a million rows the content is scaled (one scrollTop
   * pixel is several real ones), so the position the view itself scrolled to is kept exact
   * here; a scroll from elsewhere (the scrollbar dragged) is mapped from scrollTop.
   */
  private realTop(vh: number, scrollTop = this.scroller.scrollTop): number {
    if (this.ownScrollTop !== undefined && Math.abs(scrollTop - this.ownScrollTop) < 1) return Math.min(this.anchor, Math.max(0, this.axis.realHeight() - vh));
    this.ownScrollTop = undefined;
    this.anchor = this.axis.toReal(scrollTop, vh);
    return this.anchor;
  }

  private scrollToReal(real: number, vh: number): void {
    this.anchor = Math.max(0, Math.min(real, this.axis.realHeight() - vh));
    this.scroller.scrollTop = this.axis.toScroll(this.anchor, vh);
    this.ownScrollTop = this.scroller.scrollTop;
    this.schedule();
  }

  private wheeling = false;
  private readonly onWheel = (ev: Event): void => this.wheel(ev as WheelEvent);

  /** The wheel scrolls by real pixels, as on a short flow, even when the content is scaled. */
  private wheel(ev: WheelEvent): void {
    const vh = this.vh();
    if (ev.ctrlKey || !ev.deltaY || this.axis.contentHeight() >= this.axis.realHeight()) return;
    ev.preventDefault();
    const unit = ev.deltaMode === 1 ? FLOW_ROW_HEIGHT : ev.deltaMode === 2 ? vh : 1;
    if (ev.deltaX) this.scroller.scrollLeft += ev.deltaX * unit;
    this.scrollToReal(this.realTop(vh) + ev.deltaY * unit, vh);
  }

  private readonly known = (f: number): number | undefined => {
    const it = this.cache.get(f);
    return it?.off;
  };

  private clicked(index: number): void {
    const it = this.cache.get(index);
    if (!it) return;
    if (it.kind === 'group') {
      if (this.expanded.has(it.id)) this.expanded.delete(it.id);
      else this.expanded.add(it.id);
      // Positions after the group move; the group itself stays where it is.
      this.forget(true);
      void this.fetchPage(Math.floor(index / this.cache.pageSize));
      return;
    }
    this.host.select(it.id);
  }

  /** Pages for the rows in view and a page either side, so a scroll rarely waits. */
  private need(first: number, end: number): void {
    const ps = this.cache.pageSize;
    const lo = Math.max(0, first - ps);
    const hi = Math.min(Math.max(this.axis.total, end), end + ps);
    for (const p of this.cache.missingPages(lo, hi)) void this.fetchPage(p);
    this.cache.evict(lo, hi);
  }

  private fetchPage(page: number): Promise<void> {
    const gen = this.cache.generation;
    this.cache.markRequested(page);
    const ps = this.cache.pageSize;
    // The proportional axis needs the index where rows are not loaded: with the first page and
    // the tail (the flow grows), not with every page.
    const withIndex = this.host.proportional && (page === 0 || this.axis.index.length === 0 || page * ps >= this.axis.total - ps);
    return this.host.fetch(this.query(page * ps, ps, withIndex ? { indexStep: ps } : {})).then(
      (r) => {
        if (gen !== this.cache.generation) return;
        this.setLifelines(r.lifelines);
        if (r.t0 !== undefined && r.t0 !== this.t0) {
          this.t0 = r.t0;
          this.layoutGen++;
        }
        if (!this.cache.fill(gen, page, r.items, r.total)) return;
        this.takeExtent(r);
        // (written only when they change: a write here makes the next draw lay the toolbar out)
        if (this.countBox.getAttribute('data-count') !== String(r.total)) {
          setText(this.countBox, `${r.total.toLocaleString('en-US')} item${r.total === 1 ? '' : 's'}`);
          this.countBox.setAttribute('data-count', String(r.total));
        }
        const empty = r.total === 0 ? (this.host.filter ? 'Nothing in the flow under this filter.' : 'No messages or process events yet.') : '';
        if (this.emptyBox.textContent !== empty) setText(this.emptyBox, empty);
        if (this.emptyBox.hidden !== (r.total !== 0)) this.emptyBox.hidden = r.total !== 0;
        this.schedule();
      },
      (err: unknown) => {
        this.cache.failed(gen, page);
        this.host.notice(`Could not load the flow: ${errText(err)}`, true);
      },
    );
  }

  /** The flow's length (and on the proportional axis its index), keeping the rows in view. */
  private takeExtent(r: FlowGetResult): void {
    const vh = this.vh();
    const real = this.realTop(vh);
    const before = this.axis.realHeight();
    if (r.index) {
      this.axis.index = r.index;
      this.axis.step = this.cache.pageSize;
    }
    if (r.offEnd !== undefined) this.axis.offEnd = r.offEnd;
    if (r.total !== this.axis.total) {
      this.axis.total = r.total;
      this.scroller.setAttribute('aria-rowcount', String(r.total));
    }
    if (this.axis.realHeight() !== before) this.applyHeight(real);
  }

  private setTotal(n: number): void {
    const vh = this.vh();
    const real = this.realTop(vh);
    this.axis.total = n;
    this.scroller.setAttribute('aria-rowcount', String(n));
    this.applyHeight(real);
  }

  private applyHeight(real: number): void {
    const h = this.axis.contentHeight();
    this.content.style.height = `${h}px`;
    // The wheel is handled here only while the content is scaled: a wheel listener that may
    // cancel makes every wheel event wait for this thread, which a short flow does not need.
    const scaled = h < this.axis.realHeight();
    if (scaled !== this.wheeling) {
      this.wheeling = scaled;
      if (scaled) this.scroller.addEventListener('wheel', this.onWheel, { passive: false });
      else this.scroller.removeEventListener('wheel', this.onWheel);
    }
    // Scaled content maps the same scrollTop to other rows: keep the same rows in view.
    if (h < this.axis.realHeight()) this.scrollToReal(real, this.vh());
    this.schedule();
  }

  private setLifelines(lines: FlowLifeline[]): void {
    const same =
      lines.length === this.lifelines.length && lines.every((l, i) => l.id === this.lifelines[i]!.id && l.label === this.lifelines[i]!.label && l.end === this.lifelines[i]!.end);
    if (same) return;
    this.lifelines = lines;
    this.layoutGen++;
    this.laidOutWidth = this.scroller.clientWidth;
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
    this.content.style.width = `${this.cols.width}px`;
    // The lifelines: one thin line down the middle of each column, in a layer behind the
    // scroller that only follows it sideways. (Painted as the scroller's own background, they
    // made every scroll step repaint the whole view.)
    setChildren(
      this.doc,
      this.linesBox,
      ...lines.map((l) => {
        const line = el(this.doc, 'div', { class: 'flow-lifeline-line' });
        line.style.left = `${this.cols.x.get(l.id)! - 0.5}px`;
        return line;
      }),
    );
    this.syncHeader();
    this.schedule();
  }

  private syncHeader(): void {
    const left = this.scroller.scrollLeft;
    if (left === this.shownLeft) return;
    this.shownLeft = left;
    this.header.scrollLeft = left;
    this.linesBox.style.transform = `translateX(${-left}px)`;
  }

  /** Draw on the next animation frame (coalesced). */
  schedule(): void {
    if (this.frame || !this.active) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: FrameRequestCallback) => setTimeout(() => f(Date.now()), 16) as unknown as number;
    this.frame = raf((now) => {
      this.frame = 0;
      this.draw(now);
    });
  }

  /** Draw the rows in view: reads first (scroll position), then writes only. */
  draw(frameStart?: number): void {
    const measuring = typeof performance !== 'undefined';
    const t0 = measuring ? performance.now() : 0;
    const vh = this.vh();
    const scrollTop = this.scroller.scrollTop;
    const ax = this.axis;
    let touched = 0;
    let first = 0;
    let end = 0;
    if (ax.total > 0) {
      const real = this.realTop(vh, scrollTop);
      first = Math.max(0, ax.positionAt(real, this.known) - OVERSCAN);
      end = first;
      const bottom = real + vh + OVERSCAN * FLOW_ROW_HEIGHT;
      while (end < ax.total && (end - first < OVERSCAN * 2 || ax.realY(end, this.known) < bottom)) end++;
      // Rows sit at (their y − base) inside the rows box, which sits at base on screen: while
      // scrolling only the box moves, and rows are written when they change.
      const firstY = ax.realY(first, this.known);
      let rebase = false;
      if (Math.abs(firstY - this.base) > 100_000) {
        this.base = firstY;
        rebase = true;
      }
      this.rowsBox.style.transform = `translateY(${scrollTop - real + this.base}px)`;
      // The pool holds as many rows as the viewport can ever show (rows are at least a row
      // height apart), made at once: scrolling then never adds an element.
      const pool = Math.ceil(vh / FLOW_ROW_HEIGHT) + 3 + 2 * OVERSCAN;
      for (let k = this.used.size + this.free.length; k < pool; k++) this.free.push(this.makeRow());
      for (const [i, n] of this.used) {
        if (i < first || i >= end) {
          this.used.delete(i);
          this.free.push(n);
        }
      }
      for (let i = first; i < end; i++) {
        let n = this.used.get(i);
        if (!n) {
          n = this.free.pop() ?? this.makeRow();
          this.used.set(i, n);
        }
        if (n.row.hidden) n.row.hidden = false;
        if (this.update(n, i)) touched++;
        const y = Math.round(ax.realY(i, this.known) - this.base);
        if (y !== n.y || rebase) {
          n.y = y;
          n.row.style.transform = `translateY(${y}px)`;
        }
      }
      this.hideFree();
    } else {
      for (const n of this.used.values()) this.free.push(n);
      this.used.clear();
      this.hideFree();
    }
    this.lastFirst = first;
    this.lastEnd = end;
    if (measuring) {
      // The one style and layout pass this frame needs, done here (after every write) so the
      // figure covers it; painting follows on the compositor.
      void this.rowsBox.offsetHeight;
      this.log(this.drawTimes, performance.now() - t0);
      this.log(this.drawRows, touched);
      const g = globalThis as FlowMetrics;
      g.__ipctapFlowDrawMs = this.drawTimes;
      g.__ipctapFlowDrawRows = this.drawRows;
      g.__ipctapFlowFrameMs = this.frameTimes;
      this.watchFrame(frameStart);
    }
    if (end > first) this.need(first, end);
  }

  /** Rows the view has no use for now: hidden, and nothing in them found by a test or a reader. */
  private hideFree(): void {
    for (const n of this.free) {
      if (n.row.hidden) continue;
      n.row.hidden = true;
      n.index = -1;
      n.item = undefined;
      setAttr(n.row, 'data-testid', undefined);
      setAttr(n.row, 'data-index', undefined);
      setAttr(n.row, 'aria-rowindex', undefined);
      setAttr(n.row, 'data-id', undefined);
      setAttr(n.label, 'data-testid', undefined);
      setAttr(n.latency, 'data-testid', undefined);
    }
  }

  private log(a: number[], x: number): void {
    a.push(x);
    if (a.length > DRAW_LOG) a.splice(0, a.length - DRAW_LOG);
  }

  /** The time from this frame's start to the next frame's: a long frame (work the draw left for
   *  the browser, or anything else on the page) shows here even when the draw itself was short. */
  private watchFrame(frameStart: number | undefined): void {
    if (frameStart === undefined || typeof requestAnimationFrame !== 'function' || this.frameWatch) return;
    this.frameWatch = requestAnimationFrame((next) => {
      this.frameWatch = 0;
      this.log(this.frameTimes, next - frameStart);
    });
  }

  private makeRow(): RowNode {
    const d = this.doc;
    const time = d.createTextNode('');
    const foldText = d.createTextNode('');
    const latencyText = d.createTextNode('');
    const text = d.createTextNode('');
    const fold = el(d, 'span', { class: 'f-fold', title: 'time folded' }, foldText);
    const latency = el(d, 'span', { class: 'f-latency' }, latencyText);
    const label = el(d, 'span', { class: 'f-label' }, latency, text);
    const line = el(d, 'div', {});
    const dot = el(d, 'div', { class: 'f-dot' });
    const row = el(d, 'div', { class: 'flow-row', role: 'row' }, el(d, 'span', { class: 'f-time' }, time), fold, line, dot, label);
    row.style.height = `${FLOW_ROW_HEIGHT}px`;
    row.hidden = true;
    this.rowsBox.appendChild(row);
    return {
      row,
      time,
      fold,
      foldText,
      line,
      dot,
      label,
      latency,
      latencyText,
      text,
      index: -1,
      item: undefined,
      prev: undefined,
      selected: false,
      followed: false,
      layout: -1,
      y: NaN,
      width: NaN,
    };
  }

  /** Write row i into a pooled row when what it shows differs; true when it was written. */
  private update(n: RowNode, i: number): boolean {
    const it = this.cache.get(i);
    const prev = i > 0 ? this.cache.get(i - 1) : undefined;
    const selected = it != null && it.kind !== 'group' && it.id === this.host.selectedId;
    const followed = it != null && it.kind !== 'mark' && it.conn === this.host.followConn;
    if (n.index === i && n.item === it && n.prev === prev && n.selected === selected && n.followed === followed && n.layout === this.layoutGen && it !== undefined) return false;
    const indexChanged = n.index !== i;
    n.index = i;
    n.item = it;
    n.prev = prev;
    n.selected = selected;
    n.followed = followed;
    n.layout = this.layoutGen;
    const r = n.row;
    if (indexChanged) {
      r.setAttribute('data-index', String(i));
      // Pooled rows are in the DOM in no particular order: the grid's order is said here.
      r.setAttribute('aria-rowindex', String(i + 1));
    }
    if (n.width !== this.cols.width) {
      n.width = this.cols.width;
      r.style.width = `${n.width}px`;
    }
    const shape = it ? shapeOf(it, this.cols) : undefined;
    let cls = 'flow-row';
    let testid = '';
    if (it === undefined) {
      cls += ' loading';
      testid = 'flow-loading';
    } else if (it !== null) {
      testid = it.kind === 'arrow' ? 'flow-arrow' : it.kind === 'group' ? 'flow-group' : 'flow-mark';
      if (selected) cls += ' selected';
      if (followed) cls += ' followed';
      if (shape && shape.kind !== 'mark') cls += ` ${shape.colour}`;
      if (it.kind === 'arrow' && it.member) cls += ' member';
      if (it.kind === 'group') cls += it.expanded ? ' group expanded' : ' group';
    }
    setAttr(r, 'class', cls);
    setAttr(r, 'data-testid', testid || undefined);
    setAttr(r, 'data-id', it ? String(it.id) : undefined);
    setAttr(r, 'aria-selected', selected ? 'true' : undefined);
    setAttr(r, 'data-followed', followed ? 'true' : undefined);
    setAttr(r, 'aria-expanded', it?.kind === 'group' ? String(it.expanded) : undefined);
    n.time.data = it ? timeText(it.ts, this.t0) : '';
    const fold = it ? foldText(prev?.ts, it.ts) : undefined;
    n.fold.hidden = !fold;
    n.foldText.data = fold ?? '';
    const place = (e: HTMLElement, left: number, width?: number): void => {
      e.style.left = `${left}px`;
      e.style.width = width !== undefined ? `${width}px` : '';
    };
    n.dot.hidden = !shape || shape.kind !== 'mark';
    n.label.hidden = !shape;
    setAttr(n.label, 'data-testid', shape ? 'flow-label' : undefined);
    if (!shape) {
      n.line.hidden = true;
      return true;
    }
    n.line.hidden = false;
    let latency = '';
    let title = shape.text;
    if (shape.kind === 'mark') {
      if (shape.from !== undefined) {
        setAttr(n.line, 'class', `f-signal ${shape.from < shape.at ? 'right' : 'left'}`);
        place(n.line, Math.min(shape.from, shape.at), Math.abs(shape.at - shape.from));
      } else n.line.hidden = true;
      setAttr(n.dot, 'class', `f-dot${shape.signal ? ' signal' : ''}`);
      place(n.dot, shape.at - 5);
      setAttr(n.label, 'class', 'f-label mark');
    } else {
      if (shape.kind === 'self') {
        setAttr(n.line, 'class', 'f-self');
        place(n.line, shape.left);
      } else {
        setAttr(n.line, 'class', shape.kind === 'group' ? `f-arrow f-group ${shape.dir}` : `f-arrow ${shape.dir}`);
        place(n.line, shape.left, shape.width);
      }
      setAttr(n.label, 'class', 'f-label');
      if (shape.kind !== 'group' && shape.latency) {
        latency = `↩ ${shape.latency} `;
        title = `${shape.text} (${shape.latency})`;
      }
    }
    n.latency.hidden = !latency;
    setAttr(n.latency, 'data-testid', latency ? 'flow-latency' : undefined);
    n.latencyText.data = latency;
    n.text.data = shownText(shape.text);
    setAttr(n.label, 'title', title);
    place(n.label, shape.labelLeft, shape.labelWidth);
    return true;
  }

  /** The items in view as an SVG document (the same drawing as `ipctap read --flow --svg`). */
  visibleSvg(): string {
    const items: FlowWireItem[] = [];
    const vh = this.vh();
    const real = this.realTop(vh);
    for (let i = this.lastFirst; i < this.lastEnd; i++) {
      const y = this.axis.realY(i, this.known);
      // The rows on screen (not the ones drawn ahead above and below it).
      if (y + FLOW_ROW_HEIGHT <= real || y >= real + vh) continue;
      const it = this.cache.get(i);
      if (it) items.push(it);
    }
    const used = new Set<string>();
    for (const it of items) {
      if (it.kind === 'mark') {
        used.add(it.at);
        if (it.from) used.add(it.from);
      } else used.add(it.from).add(it.to);
    }
    return flowSvg({ lifelines: this.lifelines.filter((l) => used.has(l.id) || l.id.startsWith('pid:')), items });
  }

  private exportVisible(): void {
    if (this.axis.total === 0) {
      this.host.notice('Nothing in view to export.', true);
      return;
    }
    this.host.exportSvg(this.visibleSvg());
  }

  private async exportVisiblePng(): Promise<void> {
    if (this.axis.total === 0) {
      this.host.notice('Nothing in view to export.', true);
      return;
    }
    try {
      this.host.exportPng(await svgToPng(this.doc, this.visibleSvg()));
    } catch (err) {
      this.host.notice(`Could not draw the PNG: ${errText(err)}`, true);
    }
  }
}

/** Set or remove an attribute, writing only when it differs. */
function setAttr(e: HTMLElement, name: string, value: string | undefined): void {
  if (value === undefined) {
    if (e.hasAttribute(name)) e.removeAttribute(name);
  } else if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

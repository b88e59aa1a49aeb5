// The virtualized frame list: only the rows in view (plus a few) are in the DOM. Row height is
// fixed; the arithmetic lives in virtual.ts. Rows come from a source that fetches pages on demand.
import { el, type Doc } from '../dom';
import * as V from './scroll-math';

export interface ListHooks {
  /** Render row `index` (the source may not have it yet). */
  render(index: number): HTMLElement;
  /** The rows [first, end) are about to be shown: fetch what is missing. */
  need(first: number, end: number): void;
  /** A navigation key (ArrowUp/Down, PageUp/Down, Home, End) or Enter was pressed. */
  key(key: string, pageRows: number): void;
  /** A row was clicked. */
  click(index: number, ev: MouseEvent): void;
  /** The user scrolled; atEnd tells whether the last row is in view. */
  scrolled(atEnd: boolean): void;
  /** The rows in view were drawn, taking `ms` (performance.now around the draw). */
  drawn?(ms: number): void;
}

/** What the scroller is called (the frame list's by default). */
export interface ListNames {
  testid: string;
  label: string;
  className?: string;
}

export class VirtualList {
  readonly scroller: HTMLElement;
  private readonly content: HTMLElement;
  private readonly rows: HTMLElement;
  private total = 0;
  private frame = 0;
  private lastFirst = -1;
  private lastEnd = -1;
  /** Real (unscaled) position of the viewport top, kept exact across total changes. */
  private anchor = 0;
  /** scrollTop we set ourselves (its scroll event must not move the anchor). */
  private ownScrollTop: number | undefined;

  constructor(
    private readonly doc: Doc,
    private rowHeight: number,
    private readonly hooks: ListHooks,
    names: ListNames = { testid: 'frame-list', label: 'frames' },
  ) {
    this.rows = el(doc, 'div', { class: 'list-rows', role: 'rowgroup' });
    this.content = el(doc, 'div', { class: 'list-content' }, this.rows);
    this.scroller = el(
      doc,
      'div',
      { class: `list-scroller${names.className ? ' ' + names.className : ''}`, tabindex: 0, role: 'grid', 'aria-label': names.label, 'data-testid': names.testid },
      this.content,
    );
    this.scroller.addEventListener('scroll', () => {
      const own = this.ownScrollTop !== undefined && Math.abs(this.scroller.scrollTop - this.ownScrollTop) < 1;
      this.ownScrollTop = undefined;
      if (!own) this.anchor = V.toReal(this.viewport(), this.scroller.scrollTop);
      this.schedule();
      this.hooks.scrolled(this.atEnd());
    });
    this.scroller.addEventListener('keydown', (ev) => {
      const k = (ev as KeyboardEvent).key;
      if (['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End', 'Enter'].includes(k)) {
        ev.preventDefault();
        this.hooks.key(k, this.pageRows());
      }
    });
    this.scroller.addEventListener('click', (ev) => {
      const r = (ev.target as Element | null)?.closest?.('[data-index]');
      if (r) this.hooks.click(Number(r.getAttribute('data-index')), ev as MouseEvent);
    });
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  private viewport(): V.Viewport {
    return { total: this.total, rowHeight: this.rowHeight, viewportHeight: this.scroller.clientHeight || this.rowHeight * 10 };
  }

  get count(): number {
    return this.total;
  }

  pageRows(): number {
    return Math.max(1, Math.floor(this.viewport().viewportHeight / this.rowHeight));
  }

  setRowHeight(h: number): void {
    const top = this.topIndex();
    this.rowHeight = h;
    this.applyHeight();
    this.scrollToIndex(top, 'top');
  }

  /**
   * New row count. The rows in view stay in view: when the content is scaled, the same
   * scrollTop would map to other rows, so scrollTop is moved to keep the real position.
   */
  setTotal(n: number): void {
    if (n === this.total) return;
    const scaledBefore = V.contentHeight(this.viewport()) < this.total * this.rowHeight;
    this.total = Math.max(0, n);
    this.applyHeight();
    const v = this.viewport();
    if (scaledBefore || V.contentHeight(v) < this.total * this.rowHeight) this.setScrollTop(V.toScroll(v, this.anchor), true);
    this.schedule();
  }

  private setScrollTop(s: number, keepAnchor = false): void {
    this.scroller.scrollTop = s;
    if (keepAnchor) this.ownScrollTop = this.scroller.scrollTop;
    else this.anchor = V.toReal(this.viewport(), this.scroller.scrollTop);
  }

  private applyHeight(): void {
    this.content.style.height = `${V.contentHeight(this.viewport())}px`;
  }

  topIndex(): number {
    return V.topIndex(this.viewport(), this.scroller.scrollTop);
  }

  atEnd(): boolean {
    return this.total === 0 || V.isAtEnd(this.viewport(), this.scroller.scrollTop);
  }

  scrollToIndex(index: number, align: 'top' | 'bottom' = 'top'): void {
    this.applyHeight();
    this.setScrollTop(V.scrollTopFor(this.viewport(), index, align));
    this.schedule();
  }

  scrollToEnd(): void {
    this.applyHeight();
    this.setScrollTop(V.maxScrollTop(this.viewport()));
    this.schedule();
  }

  ensureVisible(index: number): void {
    const s = V.ensureVisible(this.viewport(), this.scroller.scrollTop, index);
    if (s !== undefined) this.setScrollTop(s);
    this.schedule();
  }

  focus(): void {
    this.scroller.focus();
  }

  /** Re-render on the next animation frame (coalesced). */
  schedule(): void {
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 16) as unknown as number;
    this.frame = raf(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Re-render now (rows arrived, selection changed). */
  render(): void {
    const t0 = this.hooks.drawn && typeof performance !== 'undefined' ? performance.now() : 0;
    const v = this.viewport();
    const lay = V.layout(v, this.scroller.scrollTop);
    this.lastFirst = lay.first;
    this.lastEnd = lay.end;
    this.rows.style.transform = `translateY(${lay.rowsTop}px)`;
    const out: HTMLElement[] = [];
    for (let i = lay.first; i < lay.end; i++) {
      const r = this.hooks.render(i);
      r.style.height = `${this.rowHeight}px`;
      out.push(r);
    }
    reconcile(this.rows, out);
    if (this.hooks.drawn && typeof performance !== 'undefined') {
      // Reading a layout property makes the browser apply styles and lay the rows out now, so
      // the figure covers that too (painting follows on the compositor).
      void this.rows.offsetHeight;
      this.hooks.drawn(performance.now() - t0);
    }
    if (lay.end > lay.first) this.hooks.need(lay.first, lay.end);
  }

  /** Rows currently rendered [first, end). */
  rendered(): { first: number; end: number } {
    return { first: this.lastFirst, end: this.lastEnd };
  }
}

/** Make `parent`'s children exactly `nodes`, in order, moving only what changed: rows a source
 *  hands back unchanged (the flow reuses its row elements) stay in place while scrolling. */
function reconcile(parent: HTMLElement, nodes: readonly HTMLElement[]): void {
  const want = new Set<Node>(nodes);
  for (let c = parent.firstChild; c;) {
    const next = c.nextSibling;
    if (!want.has(c)) parent.removeChild(c);
    c = next;
  }
  let at = parent.firstChild;
  for (const n of nodes) {
    if (n === at) at = at.nextSibling;
    else parent.insertBefore(n, at);
  }
}

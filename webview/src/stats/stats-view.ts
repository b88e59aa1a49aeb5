// The Statistics tab: per RPC method (calls, errors, latency p50/p90/p99/max and a latency
// histogram drawn as inline SVG bars), and per connection (frames and bytes each way, decode
// errors), from the engine's stats/get. Clicking a method filters the list to it.
import type { MethodStatsWire, StatsGetResult, ThroughputWire } from '../../../extension/shared/views';
import { button } from '../components/index';
import { el, setChildren, svgEl, type Doc } from '../dom';
import { errText } from '../errors';
import { latency } from '../list/cells';
import { connClass } from '../flow/flow-layout';

/** A throughput chart's bars: per step, the height of the bytes sent (up from the middle) and
 *  received (down from it), scaled so the busiest step in either direction is `half` high. */
export function throughputBars(t: ThroughputWire, half: number): { out: number; in: number }[] {
  const max = Math.max(1, ...t.out, ...t.in);
  const n = Math.max(t.out.length, t.in.length);
  return Array.from({ length: n }, (_, i) => ({ out: ((t.out[i] ?? 0) / max) * half, in: ((t.in[i] ?? 0) / max) * half }));
}

/** "100 ms", "1.6 s", "3.4 min": a throughput chart's step. */
function stepText(us: number): string {
  if (us < 1e6) return `${Math.round(us / 1e3)} ms`;
  if (us < 60e6) return `${+(us / 1e6).toFixed(1)} s`;
  return `${+(us / 60e6).toFixed(1)} min`;
}

export type MethodSortKey = 'method' | 'calls' | 'errors' | 'p50Us' | 'p90Us' | 'p99Us' | 'maxUs';

const METHOD_COLUMNS: { key: MethodSortKey; label: string }[] = [
  { key: 'method', label: 'Method' },
  { key: 'calls', label: 'Calls' },
  { key: 'errors', label: 'Errors' },
  { key: 'p50Us', label: 'p50' },
  { key: 'p90Us', label: 'p90' },
  { key: 'p99Us', label: 'p99' },
  { key: 'maxUs', label: 'Max' },
];

/** Methods ordered by a column: names A→Z (or back), numbers largest first (or smallest);
 *  methods without a value (no latency yet) last either way. Ties keep the engine's order. */
export function sortMethods(methods: readonly MethodStatsWire[], key: MethodSortKey, descending: boolean): MethodStatsWire[] {
  const out = methods.map((m, i) => ({ m, i }));
  out.sort((a, b) => {
    if (key === 'method') return (descending ? -1 : 1) * a.m.method.localeCompare(b.m.method) || a.i - b.i;
    const x = a.m[key];
    const y = b.m[key];
    if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
    return (descending ? y - x : x - y) || a.i - b.i;
  });
  return out.map((o) => o.m);
}

/** Bars of a histogram, scaled to the tallest, over the buckets [lo, hi] (so rows compare). */
export function histogramBars(histogram: readonly number[], lo: number, hi: number, height: number): { x: number; h: number; n: number; bucket: number }[] {
  let top = 0;
  for (let i = lo; i <= hi; i++) top = Math.max(top, histogram[i] ?? 0);
  const bars: { x: number; h: number; n: number; bucket: number }[] = [];
  for (let i = lo; i <= hi; i++) {
    const n = histogram[i] ?? 0;
    bars.push({ x: i - lo, h: n === 0 || top === 0 ? 0 : Math.max(1, Math.round((n / top) * height)), n, bucket: i });
  }
  return bars;
}

export interface StatsHost {
  fetch(): Promise<StatsGetResult>;
  /** Show the list filtered to this method. */
  filterMethod(method: string): void;
}

export class StatsView {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private data?: StatsGetResult;
  private sortKey: MethodSortKey = 'calls';
  private descending = true;
  private busy = false;
  private again = false;
  private lastFetch = 0;
  active = false;

  constructor(
    private readonly doc: Doc & Document,
    private readonly host: StatsHost,
  ) {
    this.body = el(doc, 'div', { class: 'stats-body' });
    this.root = el(
      doc,
      'div',
      { class: 'stats-pane', 'data-testid': 'stats-view' },
      el(doc, 'div', { class: 'flow-controls' }, button(doc, 'Refresh', { testid: 'stats-refresh', onClick: () => void this.load() })),
      this.body,
    );
  }

  show(): void {
    this.active = true;
    void this.load();
  }

  /** Rows arrived (live): fetch again, at most once a second while the tab is shown. */
  refresh(): void {
    if (!this.active) return;
    const wait = 1000 - (Date.now() - this.lastFetch);
    if (wait > 0) {
      if (!this.again) {
        this.again = true;
        setTimeout(() => {
          this.again = false;
          this.refresh();
        }, wait);
      }
      return;
    }
    void this.load();
  }

  async load(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.lastFetch = Date.now();
    try {
      this.data = await this.host.fetch();
      this.render();
    } catch (err) {
      setChildren(this.doc, this.body, el(this.doc, 'div', { class: 'empty-state error' }, `Could not load the statistics: ${errText(err)}`));
    } finally {
      this.busy = false;
    }
  }

  sortBy(key: MethodSortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key !== 'method';
    }
    this.render();
  }

  render(): void {
    const d = this.doc;
    const data = this.data;
    if (!data) return;
    setChildren(d, this.body, el(d, 'h3', {}, 'Methods'), this.methodTable(data), el(d, 'h3', {}, 'Connections'), this.connTable(data));
  }

  private methodTable(data: StatsGetResult): HTMLElement {
    const d = this.doc;
    if (data.methods.length === 0)
      return el(
        d,
        'div',
        { class: 'empty-state', 'data-testid': 'stats-no-methods' },
        'No request/response pairs yet (methods are counted for net/rpc, JSON-RPC/LSP/DAP and gRPC).',
      );
    let lo = data.bucketsUs.length;
    let hi = -1;
    for (const m of data.methods)
      m.histogram.forEach((n, i) => {
        if (n > 0) {
          lo = Math.min(lo, i);
          hi = Math.max(hi, i);
        }
      });
    const bound = (i: number) => {
      const b = data.bucketsUs[i];
      return b === null || b === undefined ? `> ${latency(data.bucketsUs[i - 1] ?? 0)}` : `≤ ${latency(b)}`;
    };
    const head = el(
      d,
      'tr',
      {},
      ...METHOD_COLUMNS.map((c) => {
        const th = el(
          d,
          'th',
          {
            class: `sortable${c.key === 'method' ? '' : ' num'}`,
            'data-sort': c.key,
            'data-testid': `stats-sort-${c.key}`,
            'aria-sort': this.sortKey === c.key ? (this.descending ? 'descending' : 'ascending') : 'none',
            tabindex: 0,
          },
          c.label,
          this.sortKey === c.key ? (this.descending ? ' ▾' : ' ▴') : '',
        );
        th.addEventListener('click', () => this.sortBy(c.key));
        th.addEventListener('keydown', (ev) => {
          if ((ev as KeyboardEvent).key === 'Enter') this.sortBy(c.key);
        });
        return th;
      }),
      el(d, 'th', { title: hi >= 0 ? `${bound(lo)} … ${bound(hi)}, 1-2-5 per decade` : undefined }, 'Latency histogram'),
    );
    const lat = (v: number | null) => (v === null ? '–' : latency(v));
    const rows = sortMethods(data.methods, this.sortKey, this.descending).map((m) => {
      const tr = el(
        d,
        'tr',
        { class: 'stats-method', 'data-testid': 'stats-method', 'data-method': m.method, title: `Show ${m.method} in the list`, tabindex: 0 },
        el(d, 'td', { class: 'm-name' }, m.method),
        el(d, 'td', { class: 'num', 'data-testid': 'stats-calls' }, String(m.calls), m.unanswered ? el(d, 'span', { class: 'dim' }, ` +${m.unanswered} open`) : null),
        el(d, 'td', { class: `num${m.errors ? ' error' : ''}` }, String(m.errors)),
        el(d, 'td', { class: 'num' }, lat(m.p50Us)),
        el(d, 'td', { class: 'num' }, lat(m.p90Us)),
        el(d, 'td', { class: 'num' }, lat(m.p99Us)),
        el(d, 'td', { class: 'num' }, lat(m.maxUs)),
        el(d, 'td', { class: 'hist' }, hi >= 0 ? this.histogram(m.histogram, lo, hi, bound) : '–'),
      );
      const go = () => this.host.filterMethod(m.method);
      tr.addEventListener('click', go);
      tr.addEventListener('keydown', (ev) => {
        if ((ev as KeyboardEvent).key === 'Enter') go();
      });
      return tr;
    });
    return el(d, 'table', { class: 'stats-table', 'data-testid': 'stats-methods' }, el(d, 'thead', {}, head), el(d, 'tbody', {}, ...rows));
  }

  private histogram(h: number[], lo: number, hi: number, bound: (i: number) => string): SVGElement {
    const H = 18;
    const W = 7;
    const bars = histogramBars(h, lo, hi, H);
    return svgEl(
      this.doc,
      'svg',
      {
        class: 'histogram',
        width: bars.length * W,
        height: H,
        viewBox: `0 0 ${bars.length * W} ${H}`,
        'data-testid': 'stats-histogram',
        role: 'img',
        'aria-label': 'latency histogram',
      },
      ...bars.map((b) =>
        svgEl(
          this.doc,
          'rect',
          { x: b.x * W, y: H - b.h, width: W - 1, height: b.h, class: b.n ? 'bar' : 'bar empty' },
          svgEl(this.doc, 'title', {}, `${bound(b.bucket)}: ${b.n}`),
        ),
      ),
    );
  }

  /** Bytes each way over time: sent above the middle line, received below, one bar per step. */
  private throughputChart(t: ThroughputWire): Element {
    const H = 24;
    const W = 2;
    const bars = throughputBars(t, H / 2 - 1);
    const steps = Math.max(1, bars.length);
    return svgEl(
      this.doc,
      'svg',
      {
        class: 'throughput-chart',
        'data-testid': 'stats-throughput',
        width: steps * W,
        height: H,
        viewBox: `0 0 ${steps * W} ${H}`,
        role: 'img',
        'aria-label': `bytes each way per ${stepText(t.stepUs)}`,
      },
      svgEl(this.doc, 'title', {}, `Bytes sent (up) and received (down) per ${stepText(t.stepUs)}`),
      svgEl(this.doc, 'line', { x1: 0, y1: H / 2, x2: steps * W, y2: H / 2, class: 'axis' }),
      ...bars.flatMap((b, i) => [
        ...(b.out > 0
          ? [
              svgEl(
                this.doc,
                'rect',
                { x: i * W, y: H / 2 - b.out, width: W - 0.5, height: b.out, class: 'out' },
                svgEl(this.doc, 'title', {}, `→ ${t.out[i]!.toLocaleString('en-US')} B`),
              ),
            ]
          : []),
        ...(b.in > 0
          ? [svgEl(this.doc, 'rect', { x: i * W, y: H / 2, width: W - 0.5, height: b.in, class: 'in' }, svgEl(this.doc, 'title', {}, `← ${t.in[i]!.toLocaleString('en-US')} B`))]
          : []),
      ]),
    );
  }

  private connTable(data: StatsGetResult): HTMLElement {
    const d = this.doc;
    if (data.conns.length === 0) return el(d, 'div', { class: 'empty-state' }, 'No frames yet.');
    const head = el(
      d,
      'tr',
      {},
      ...['Conn', 'Tap', 'Protocols', 'Frames →', 'Bytes →', 'Frames ←', 'Bytes ←', 'Decode errors', 'Throughput'].map((t, i) =>
        el(d, 'th', { class: i >= 3 ? 'num' : undefined }, t),
      ),
    );
    const rows = data.conns.map((c) =>
      el(
        d,
        'tr',
        { 'data-testid': 'stats-conn', 'data-conn': c.conn },
        el(d, 'td', { class: `c-conn ${connClass(c.conn)}` }, String(c.conn)),
        el(d, 'td', {}, c.tap),
        el(d, 'td', {}, c.protos.join(', ')),
        el(d, 'td', { class: 'num' }, c.framesOut.toLocaleString('en-US')),
        el(d, 'td', { class: 'num' }, c.bytesOut.toLocaleString('en-US')),
        el(d, 'td', { class: 'num' }, c.framesIn.toLocaleString('en-US')),
        el(d, 'td', { class: 'num' }, c.bytesIn.toLocaleString('en-US')),
        el(d, 'td', { class: `num${c.decodeErrors ? ' error' : ''}` }, String(c.decodeErrors)),
        el(d, 'td', { class: 'throughput' }, this.throughputChart(c.throughput)),
      ),
    );
    return el(d, 'table', { class: 'stats-table', 'data-testid': 'stats-conns' }, el(d, 'thead', {}, head), el(d, 'tbody', {}, ...rows));
  }
}

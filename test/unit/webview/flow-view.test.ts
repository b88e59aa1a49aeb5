// The Flow tab's layout (columns, arrows, marks, folded gaps) and drawing, and the Statistics
// tab's sorting and histogram bars, in the DOM shim: captured text stays text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowGetResult, FlowLifeline, FlowWireItem, MethodStatsWire } from '../../../extension/shared/views';
import { columns, COL_MIN, FLOW_ROW_HEIGHT, FlowAxis, foldText, GUTTER, PX_PER_SECOND, shapeOf } from '../../../webview/src/flow/flow-layout';
import { FlowView, type FlowQuery } from '../../../webview/src/flow/flow-view';
import { histogramBars, sortMethods, StatsView, throughputBars } from '../../../webview/src/stats/stats-view';
import { addThroughput, THROUGHPUT_STEP_US } from '../../../extension/server/session-stats';
import { THROUGHPUT_BUCKETS } from '../../../extension/shared/views';
import { byTestId, elements, shimDocument } from '../../helpers/dom-shim';

const lines: FlowLifeline[] = [
  { id: 'pid:10', label: 'rpcserver 10', end: 'SIGTERM' },
  { id: 'ep:ipctap', label: 'ipctap (terminal)' },
  { id: 'pid:11', label: 'rpcclient 11' },
];

const arrow = (id: number, from: string, to: string, label: string, extra: Partial<Extract<FlowWireItem, { kind: 'arrow' }>> = {}): FlowWireItem => ({
  kind: 'arrow',
  id,
  ts: 1_000_000 + id,
  from,
  to,
  label,
  conn: 2,
  proto: 'netrpc',
  error: false,
  ...extra,
});

test('columns: one per lifeline in order, as wide as the view allows within bounds', () => {
  const c = columns(lines, GUTTER + 3 * 200);
  assert.equal(c.colWidth, 200);
  assert.deepEqual([...c.x.values()], [GUTTER + 100, GUTTER + 300, GUTTER + 500]);
  assert.equal(c.width, GUTTER + 600);
  assert.equal(columns(lines, 100).colWidth, COL_MIN, 'a narrow view scrolls sideways instead of squeezing');
});

test('shapes: requests point from the client to the server, replies back, marks on their lifeline', () => {
  const c = columns(lines, GUTTER + 600);
  const req = shapeOf(arrow(11, 'pid:11', 'pid:10', 'Arith.Multiply #0 {"A":1,"B":7}'), c)!;
  assert.equal(req.kind, 'arrow');
  assert.ok(req.kind === 'arrow' && req.dir === 'left' && req.left === GUTTER + 100 && req.width === 400);
  assert.equal(req.kind === 'arrow' && req.colour, 'conn-2');
  const reply = shapeOf(arrow(13, 'pid:10', 'pid:11', 'Arith.Multiply #0 7', { latency: '12.75 ms' }), c)!;
  assert.ok(reply.kind === 'arrow' && reply.dir === 'right' && reply.latency === '12.75 ms');
  const err = shapeOf(arrow(23, 'pid:10', 'pid:11', 'Arith.Divide #4 error: divide by zero', { error: true }), c)!;
  assert.equal(err.kind === 'arrow' && err.colour, 'error');
  assert.equal(shapeOf(arrow(5, 'pid:10', 'pid:10', 'self'), c)!.kind, 'self');
  const sig = shapeOf({ kind: 'mark', id: 30, ts: 0, at: 'pid:10', from: 'ep:ipctap', label: 'SIGTERM' }, c)!;
  assert.ok(sig.kind === 'mark' && sig.at === GUTTER + 100 && sig.from === GUTTER + 300 && sig.signal);
  const exit = shapeOf({ kind: 'mark', id: 31, ts: 0, at: 'pid:10', label: 'exit 0' }, c)!;
  assert.ok(exit.kind === 'mark' && !exit.signal && exit.from === undefined);
  assert.equal(shapeOf(arrow(1, 'pid:99', 'pid:10', 'x'), c), undefined, 'an unknown lifeline draws nothing');
});

test('compressed time: gaps of a second or more are folded and marked', () => {
  assert.equal(foldText(undefined, 5), undefined);
  assert.equal(foldText(0, 999_999), undefined);
  assert.equal(foldText(0, 2_500_000), '⋯ 2.5 s');
  assert.equal(foldText(0, 120e6), '⋯ 2.0 min');
});

/** A flow host's options and outputs that a test does not look at. */
const options = {
  filter: '',
  transport: false,
  setTransport: () => undefined,
  proportional: false,
  setProportional: () => undefined,
  groupChunks: false,
  setGroupChunks: () => undefined,
  exportSvg: () => undefined,
  exportPng: () => undefined,
  notice: (t: string) => assert.fail(t),
};

async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the flow view draws the rows in view from flow/get, as text, and a click selects the row', async () => {
  const doc = shimDocument();
  const payload = '<img src=x onerror="alert(1)">';
  const items: FlowWireItem[] = [
    arrow(11, 'pid:11', 'pid:10', `Echo ${payload}`),
    arrow(13, 'pid:10', 'pid:11', 'Echo ok', { latency: '291 µs' }),
    { kind: 'mark', id: 40, ts: 5_000_000, at: 'pid:10', from: 'ep:ipctap', label: 'SIGTERM' },
  ];
  const asked: FlowQuery[] = [];
  const selected: number[] = [];
  const view = new FlowView(doc, {
    ...options,
    selectedId: 13,
    followConn: undefined,
    fetch: async (q): Promise<FlowGetResult> => {
      asked.push(q);
      return { lifelines: lines, items: items.slice(q.start, q.start + q.count), total: items.length, t0: 1_000_000 };
    },
    select: (id) => selected.push(id),
  });
  view.show();
  const rows = await until('rows drawn', () => {
    const r = [...byTestId(view.root, 'flow-arrow'), ...byTestId(view.root, 'flow-mark')];
    return r.length === 3 ? r : undefined;
  });
  assert.deepEqual(asked[0], { start: 0, count: 200, transport: false, axis: 'compressed', group: false, expanded: [] });
  const heads = byTestId(view.root, 'flow-lifeline').map((h) => h.textContent);
  assert.deepEqual(heads, ['rpcserver 10SIGTERM', 'ipctap (terminal)', 'rpcclient 11']);
  const labels = byTestId(view.root, 'flow-label').map((l) => l.textContent);
  assert.ok(labels.includes(`#11 Echo ${payload}`), labels.join(' | '));
  assert.ok(!elements(view.root).some((e) => e.tagName === 'img'), 'markup in a label stays text');
  assert.equal(byTestId(view.root, 'flow-latency')[0]!.textContent, '↩ 291 µs ');
  assert.ok(rows.find((r) => r.getAttribute('data-id') === '13')!.classList.contains('selected'));
  assert.ok(byTestId(view.root, 'flow-mark')[0]!.textContent.includes('⋯ 4.0 s'), 'the long gap before the signal is folded');
  byTestId(view.root, 'flow-label')
    .find((l) => l.textContent.startsWith('#11 '))!
    .dispatch('click');
  assert.deepEqual(selected, [11]);
  const svg = view.visibleSvg();
  assert.match(svg, /^<svg /);
  assert.ok(svg.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;') && !svg.includes('<img'), 'the export escapes captured text');
});

test('selecting a row scrolls the flow to its arrow and marks it; the followed connection is highlighted', async () => {
  const doc = shimDocument();
  // 500 items; every third on connection 3, the rest on 2. Ids are not positions (events between).
  const items: FlowWireItem[] = Array.from({ length: 500 }, (_, i) =>
    arrow(1000 + 2 * i, i % 2 ? 'pid:10' : 'pid:11', i % 2 ? 'pid:11' : 'pid:10', `m${i}`, { conn: i % 3 ? 2 : 3 }),
  );
  const host = {
    ...options,
    selectedId: undefined as number | undefined,
    followConn: undefined as number | undefined,
    finds: [] as number[],
    fetch: async ({ start, count, findId }: FlowQuery): Promise<FlowGetResult> => {
      if (findId !== undefined) host.finds.push(findId);
      const found = findId !== undefined ? items.findIndex((it) => it.id === findId) : undefined;
      return { lifelines: lines, items: items.slice(start, start + count), total: items.length, t0: 1_000_000, ...(found !== undefined ? { found } : {}) };
    },
    select: () => undefined,
  };
  const view = new FlowView(doc, host);
  view.show();
  await until('first rows', () => byTestId(view.root, 'flow-arrow').length > 0 || undefined);
  const drawnIds = () => byTestId(view.root, 'flow-arrow').map((r) => Number(r.getAttribute('data-id')));
  assert.ok(!drawnIds().includes(items[300]!.id));
  host.selectedId = items[300]!.id;
  view.reveal();
  const row = await until('the selected arrow scrolled into view', () => byTestId(view.root, 'flow-arrow').find((r) => r.getAttribute('data-id') === String(items[300]!.id)));
  assert.deepEqual(host.finds, [items[300]!.id]);
  assert.ok(row.classList.contains('selected'));
  assert.equal(byTestId(view.root, 'flow-arrow').filter((r) => r.classList.contains('selected')).length, 1);
  assert.ok(!byTestId(view.root, 'flow-arrow').some((r) => r.classList.contains('followed')), 'nothing followed yet');
  // Revealing the same selection again asks nothing more.
  view.reveal();
  assert.deepEqual(host.finds, [items[300]!.id]);
  // A row the flow does not hold (found -1) leaves the flow where it is.
  host.selectedId = 7;
  view.reveal();
  await until('the find answered', () => host.finds.length === 2 || undefined);
  await until('redrawn without a selection', () => !byTestId(view.root, 'flow-arrow').some((r) => r.classList.contains('selected')) || undefined);
  assert.ok(drawnIds().includes(items[300]!.id));
  // Follow Connection: that connection's arrows are highlighted, the others drawn as before.
  host.followConn = 3;
  view.redraw();
  await until('followed arrows', () => byTestId(view.root, 'flow-arrow').some((r) => r.classList.contains('followed')) || undefined);
  for (const r of byTestId(view.root, 'flow-arrow')) {
    const i = (Number(r.getAttribute('data-id')) - 1000) / 2;
    assert.equal(r.classList.contains('followed'), i % 3 === 0, `item ${i}`);
  }
});

test('statistics: sortable by every column, methods without latencies last; bars scaled to the tallest', () => {
  const m = (method: string, calls: number, p50Us: number | null, errors = 0): MethodStatsWire => ({
    method,
    calls,
    unanswered: 0,
    errors,
    p50Us,
    p90Us: p50Us,
    p99Us: p50Us,
    maxUs: p50Us,
    histogram: [],
  });
  const ms = [m('Arith.Multiply', 3, 800), m('Arith.Divide', 2, 1500, 1), m('Ping', 5, null)];
  assert.deepEqual(
    sortMethods(ms, 'calls', true).map((x) => x.method),
    ['Ping', 'Arith.Multiply', 'Arith.Divide'],
  );
  assert.deepEqual(
    sortMethods(ms, 'p50Us', true).map((x) => x.method),
    ['Arith.Divide', 'Arith.Multiply', 'Ping'],
  );
  assert.deepEqual(
    sortMethods(ms, 'p50Us', false).map((x) => x.method),
    ['Arith.Multiply', 'Arith.Divide', 'Ping'],
  );
  assert.deepEqual(
    sortMethods(ms, 'method', false).map((x) => x.method),
    ['Arith.Divide', 'Arith.Multiply', 'Ping'],
  );
  assert.deepEqual(
    sortMethods(ms, 'errors', true).map((x) => x.method),
    ['Arith.Divide', 'Arith.Multiply', 'Ping'],
  );
  const bars = histogramBars([0, 0, 4, 1, 0, 2], 2, 5, 20);
  assert.deepEqual(
    bars.map((b) => b.h),
    [20, 5, 0, 10],
  );
  assert.deepEqual(
    bars.map((b) => b.x),
    [0, 1, 2, 3],
  );
});

test('the statistics view: a row per method with its histogram as SVG bars; a click asks for the method filter', async () => {
  const doc = shimDocument();
  const filtered: string[] = [];
  const view = new StatsView(doc, {
    fetch: async () => ({
      methods: [
        {
          method: 'Arith.Multiply',
          calls: 5,
          unanswered: 0,
          errors: 0,
          p50Us: 1100,
          p90Us: 1700,
          p99Us: 55000,
          maxUs: 55000,
          histogram: [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        },
        {
          method: '<b>Evil</b>',
          calls: 1,
          unanswered: 1,
          errors: 1,
          p50Us: 700,
          p90Us: 700,
          p99Us: 700,
          maxUs: 700,
          histogram: [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        },
      ],
      bucketsUs: [10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, null],
      conns: [
        {
          conn: 3,
          tap: 'tcp:0=127.0.0.1:7301',
          protos: ['netrpc'],
          framesOut: 12,
          bytesOut: 600,
          framesIn: 12,
          bytesIn: 500,
          decodeErrors: 0,
          throughput: { t0: 0, stepUs: 100_000, out: [600, 0, 0], in: [0, 300, 200] },
        },
      ],
    }),
    filterMethod: (m) => filtered.push(m),
  });
  view.show();
  const rows = await until('method rows', () => {
    const r = byTestId(view.root, 'stats-method');
    return r.length === 2 ? r : undefined;
  });
  assert.deepEqual(
    rows.map((r) => r.getAttribute('data-method')),
    ['Arith.Multiply', '<b>Evil</b>'],
  );
  assert.ok(!elements(view.root).some((e) => e.tagName === 'b'), 'a method name stays text');
  const svg = byTestId(rows[0], 'stats-histogram')[0]!;
  assert.equal(svg.namespaceURI, 'http://www.w3.org/2000/svg');
  // Buckets from the lowest to the highest used by any method: ≤1 ms … ≤100 ms.
  assert.equal(elements(svg).filter((e) => e.tagName === 'rect').length, 7);
  byTestId(view.root, 'stats-sort-calls')[0]!.dispatch('click');
  assert.deepEqual(
    byTestId(view.root, 'stats-method').map((r) => r.getAttribute('data-method')),
    ['<b>Evil</b>', 'Arith.Multiply'],
    'a second click on the sorted column reverses it',
  );
  byTestId(view.root, 'stats-method')[1]!.dispatch('click');
  assert.deepEqual(filtered, ['Arith.Multiply']);
  assert.equal(byTestId(view.root, 'stats-conn').length, 1);
  const chart = byTestId(view.root, 'stats-throughput')[0]!;
  const rects = elements(chart).filter((e) => e.tagName === 'rect');
  assert.deepEqual(
    rects.map((r) => [r.getAttribute('class'), Number(r.getAttribute('x')), Number(r.getAttribute('height'))]),
    [
      ['out', 0, 11],
      ['in', 2, 5.5],
      ['in', 4, 11 / 3],
    ],
    'sent up, received down, one bar per step, scaled to the busiest',
  );
});

test('throughput: bytes each way per step; the step doubles so the chart never has more than 60 steps', () => {
  const t = { t0: 1_000_000, stepUs: THROUGHPUT_STEP_US, out: [] as number[], in: [] as number[] };
  addThroughput(t, 1_000_000, 10, true);
  addThroughput(t, 1_050_000, 5, true);
  addThroughput(t, 1_250_000, 7, false);
  assert.deepEqual([t.stepUs, t.out, t.in], [100_000, [15, 0, 0], [0, 0, 7]]);
  addThroughput(t, 500_000, 1, false); // before the first frame: the first step
  assert.equal(t.in[0], 1);
  addThroughput(t, 1_150_000, 3, false);
  // 6.5 s after t0 needs step 65 at 100 ms: the step doubles to 200 ms, pairs merged.
  addThroughput(t, 7_500_000, 100, true);
  assert.equal(t.stepUs, 200_000);
  assert.ok(t.out.length <= THROUGHPUT_BUCKETS && t.in.length <= THROUGHPUT_BUCKETS);
  assert.deepEqual([t.out[0], t.in[0], t.in[1], t.out[32]], [15, 4, 7, 100]);
  assert.equal(t.out.reduce((a, b) => a + b, 0) + t.in.reduce((a, b) => a + b, 0), 15 + 7 + 1 + 3 + 100, 'no bytes lost in merging');
  // An hour later: still at most 60 steps.
  addThroughput(t, 3_601_000_000, 1, false);
  assert.ok(t.out.length <= THROUGHPUT_BUCKETS && t.in.length <= THROUGHPUT_BUCKETS, `${t.out.length}/${t.in.length}`);
  assert.ok(t.stepUs * THROUGHPUT_BUCKETS > 3_600_000_000);
  assert.deepEqual(throughputBars({ t0: 0, stepUs: 1, out: [4, 2], in: [0, 8] }, 10), [
    { out: 5, in: 0 },
    { out: 2.5, in: 10 },
  ]);
});

test('time axis: compressed is one row height per row; proportional adds the folded time between rows', () => {
  const ax = new FlowAxis(FLOW_ROW_HEIGHT);
  ax.total = 1000;
  assert.equal(ax.realY(10), 10 * FLOW_ROW_HEIGHT);
  assert.equal(ax.positionAt(10 * FLOW_ROW_HEIGHT + 5), 10);
  assert.equal(ax.realHeight(), 1000 * FLOW_ROW_HEIGHT);
  // Proportional: offsets of 1000 items 10 ms apart, except a folded gap (capped at a second) before 500.
  const off = (f: number) => f * 10_000 + (f >= 500 ? 1_000_000 : 0);
  ax.time = true;
  ax.step = 100;
  ax.index = Array.from({ length: 10 }, (_, p) => off(p * 100));
  ax.offEnd = off(999);
  const known = (f: number) => off(f);
  assert.equal(ax.realY(1, known) - ax.realY(0, known), FLOW_ROW_HEIGHT + (10_000 * PX_PER_SECOND) / 1e6);
  assert.equal(ax.realY(500, known) - ax.realY(499, known), FLOW_ROW_HEIGHT + (1_010_000 * PX_PER_SECOND) / 1e6, 'a folded gap is a second tall');
  assert.equal(ax.realHeight(), 1000 * FLOW_ROW_HEIGHT + (off(999) * PX_PER_SECOND) / 1e6);
  for (const f of [0, 1, 99, 100, 101, 499, 500, 777, 999]) {
    assert.equal(ax.positionAt(ax.realY(f, known) + 1, known), f, `row at the top of ${f}`);
    // Rows not loaded: placed from the index, exactly at its points and in order between them.
    if (f > 0) assert.ok(ax.realY(f) >= ax.realY(f - 1) + FLOW_ROW_HEIGHT - 1e-9);
  }
  assert.equal(ax.realY(300), ax.realY(300, known), 'the index gives the exact place of every step-th row');
  assert.equal(ax.positionAt(ax.realY(700) + 1), 700);
  // 1,000,000 rows: the content is capped and scroll positions scaled both ways.
  ax.time = false;
  ax.total = 1_000_000;
  assert.ok(ax.contentHeight() < ax.realHeight());
  const vh = 400;
  const s = ax.toScroll(ax.realY(654_321), vh);
  assert.ok(Math.abs(ax.toReal(s, vh) - ax.realY(654_321)) < 1e-6);
  assert.equal(ax.positionAt(ax.toReal(s, vh) + 1), 654_321);
});

const sameNodes = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

test('drawing reuses a fixed pool of rows: scrolling writes only the rows that came into view', async () => {
  const doc = shimDocument();
  const items: FlowWireItem[] = Array.from({ length: 5000 }, (_, i) => arrow(10 + i, i % 2 ? 'pid:10' : 'pid:11', i % 2 ? 'pid:11' : 'pid:10', `m${i}`));
  const view = new FlowView(doc, {
    ...options,
    selectedId: undefined,
    followConn: undefined,
    fetch: async (q) => ({ lifelines: lines, items: items.slice(q.start, q.start + q.count), total: items.length, t0: 1_000_000 }),
    select: () => undefined,
  });
  view.show();
  await until('rows drawn', () => byTestId(view.root, 'flow-arrow').length > 0 || undefined);
  view.scroller.scrollTop = 100 * FLOW_ROW_HEIGHT;
  view.draw();
  const rowsInDom = () => elements(view.root).filter((e) => (e.getAttribute('class') ?? '').split(' ').includes('flow-row'));
  const pool = rowsInDom();
  const shown = byTestId(view.root, 'flow-arrow').length;
  // Three rows down: three rows written, the same elements in the DOM.
  view.scroller.scrollTop = 103 * FLOW_ROW_HEIGHT;
  view.draw();
  assert.equal(view.drawRows.at(-1), 3);
  assert.ok(sameNodes(rowsInDom(), pool), 'the same row elements');
  assert.equal(byTestId(view.root, 'flow-arrow').length, shown);
  // Nothing moved: nothing written.
  view.draw();
  assert.equal(view.drawRows.at(-1), 0);
  // A jump far away (pages not loaded yet): every row written once, still the same elements.
  view.scroller.scrollTop = 3000 * FLOW_ROW_HEIGHT;
  view.draw();
  assert.ok(view.drawRows.at(-1)! <= pool.length);
  assert.ok(sameNodes(rowsInDom(), pool), 'the same row elements');
  await until('the page there', () => byTestId(view.root, 'flow-label').some((l) => l.textContent === '#3010 m3000') || undefined);
  assert.equal(rowsInDom().length, pool.length);
});

test('proportional rows are spaced by time; a group of chunks is one arrow that expands on click', async () => {
  const doc = shimDocument();
  const group = (expanded: boolean): FlowWireItem => ({
    kind: 'group',
    id: 20,
    lastId: 21,
    ts: 1_500_000,
    from: 'pid:10',
    to: 'pid:11',
    conn: 1,
    count: 2,
    bytes: 73,
    expanded,
    off: 500_000,
  });
  const base: FlowWireItem[] = [arrow(11, 'pid:11', 'pid:10', 'a', { off: 0 }), arrow(12, 'pid:10', 'pid:11', 'b', { off: 100_000 })];
  const chunks: FlowWireItem[] = [
    arrow(20, 'pid:10', 'pid:11', '56 B "listening"', { off: 500_000, member: true }),
    arrow(21, 'pid:10', 'pid:11', '17 B "connected"', { off: 510_000, member: true }),
  ];
  const asked: FlowQuery[] = [];
  const host = {
    ...options,
    proportional: true,
    groupChunks: true,
    selectedId: undefined,
    followConn: undefined,
    fetch: async (q: FlowQuery): Promise<FlowGetResult> => {
      asked.push(q);
      const all = q.expanded.includes(20) ? [...base, group(true), ...chunks] : [...base, group(false)];
      return { lifelines: lines, items: all.slice(q.start, q.start + q.count), total: all.length, t0: 1_000_000, offEnd: all.at(-1)!.off!, ...(q.indexStep ? { index: [0] } : {}) };
    },
    select: () => undefined,
  };
  const view = new FlowView(doc, host);
  view.show();
  const g = await until('the group', () => byTestId(view.root, 'flow-group')[0]);
  assert.equal(asked[0]!.axis, 'time');
  assert.equal(asked[0]!.indexStep, 200);
  assert.ok(g.textContent.includes('▸ #20… 2 chunks, 73 B'), g.textContent);
  const y = (id: number) => Number(/translateY\((-?[\d.]+)px\)/.exec(elements(view.root).find((e) => e.getAttribute('data-id') === String(id))!.style.transform!)![1]);
  assert.equal(y(12) - y(11), FLOW_ROW_HEIGHT + Math.round((100_000 * PX_PER_SECOND) / 1e6));
  assert.equal(y(20) - y(12), FLOW_ROW_HEIGHT + Math.round((400_000 * PX_PER_SECOND) / 1e6));
  g.dispatch('click');
  await until('the chunks', () => byTestId(view.root, 'flow-arrow').length === 4 || undefined);
  assert.deepEqual(asked.at(-1)!.expanded, [20]);
  assert.equal(byTestId(view.root, 'flow-group')[0]!.getAttribute('aria-expanded'), 'true');
  const members = byTestId(view.root, 'flow-arrow').filter((r) => r.classList.contains('member'));
  assert.equal(members.length, 2);
  byTestId(view.root, 'flow-group')[0]!.dispatch('click');
  await until('collapsed again', () => byTestId(view.root, 'flow-arrow').length === 2 || undefined);
  assert.deepEqual(asked.at(-1)!.expanded, []);
});

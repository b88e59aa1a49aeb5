import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as V from '../../../webview/src/list/scroll-math';

test('unscaled: rows sit at index * rowHeight and only the visible ones (+overscan) render', () => {
  const v = { total: 100, rowHeight: 20, viewportHeight: 200 };
  assert.equal(V.contentHeight(v), 2000);
  const a = V.layout(v, 0, 4);
  assert.deepEqual([a.first, a.end, a.rowsTop, a.scaled], [0, 14, 0, false]);
  for (const s of [0, 1, 105, 999, 1800, 5000]) {
    const l = V.layout(v, s, 4);
    assert.equal(l.rowsTop, l.first * 20, `scrollTop ${s}`);
    assert.ok(l.end - l.first <= 200 / 20 + 1 + 8);
  }
  const end = V.layout(v, V.maxScrollTop(v), 0);
  assert.equal(end.end, 100);
  assert.equal(V.layout({ ...v, total: 0 }, 0).end, 0);
  assert.equal(V.layout({ ...v, total: 3 }, 50).end, 3);
});

test('1,000,000 rows: content capped, both ends reachable, rendering stays small', () => {
  const v = { total: 1_000_000, rowHeight: 22, viewportHeight: 600 };
  const ch = V.contentHeight(v);
  assert.equal(ch, V.MAX_CONTENT_HEIGHT);
  assert.ok(ch < 17_000_000, 'under Firefox and Chromium element-height limits');
  const top = V.layout(v, 0, 0);
  assert.equal(top.first, 0);
  assert.equal(top.rowsTop, 0);
  const max = V.maxScrollTop(v);
  const bottom = V.layout(v, max, 0);
  assert.equal(bottom.end, 1_000_000);
  // the last row's bottom edge is the bottom of the viewport
  assert.ok(Math.abs(bottom.rowsTop + (bottom.end - bottom.first) * 22 - (max + 600)) < 1e-6);
  assert.ok(V.isAtEnd(v, max));
  assert.ok(!V.isAtEnd(v, max - 100));
  let prev = -1;
  for (let s = 0; s <= max; s += 99_991) {
    const l = V.layout(v, s, 4);
    assert.ok(l.first >= prev, 'first row never goes back as scrollTop grows');
    prev = l.first;
    assert.ok(l.end - l.first <= Math.ceil(600 / 22) + 1 + 8, 'only a screenful in the DOM');
    // rows rendered cover the viewport
    assert.ok((l.rowsTop <= s && l.rowsTop + (l.end - l.first) * 22 >= s + 600) || l.end === v.total);
  }
});

test('scrollTopFor / topIndex round-trip at whole-pixel scroll positions (as browsers keep them)', () => {
  for (const total of [50, 10_000, 1_000_000, 5_000_000]) {
    const v = { total, rowHeight: 22, viewportHeight: 600 };
    for (const i of [0, 1, Math.floor(total / 3), total - 30, total - 1]) {
      if (i < 0) continue;
      const s = Math.round(V.scrollTopFor(v, i, 'top'));
      const l = V.layout(v, s, 0);
      const last = Math.max(0, total - Math.floor(600 / 22));
      if (i <= last) assert.ok(Math.abs(V.topIndex(v, s) - i) <= 1, `total ${total} index ${i} top ${V.topIndex(v, s)}`);
      assert.ok(l.first <= i && i < l.end, `row ${i} rendered for total ${total}`);
    }
  }
});

test('ensureVisible scrolls only when the row is out of view, and then shows it', () => {
  for (const total of [1000, 1_000_000]) {
    const v = { total, rowHeight: 22, viewportHeight: 220 };
    const s0 = Math.round(V.scrollTopFor(v, 500, 'top'));
    assert.equal(V.ensureVisible(v, s0, 502), undefined);
    for (const target of [499, 515, 0, total - 1]) {
      const s = V.ensureVisible(v, s0, target);
      assert.notEqual(s, undefined, `row ${target} needs a scroll`);
      const l = V.layout(v, Math.round(s!), 0);
      assert.ok(l.first <= target && target < l.end, `row ${target} visible after ensureVisible (total ${total})`);
    }
  }
});

test('keyboard navigation', () => {
  assert.equal(V.navigate('ArrowDown', -1, 10, 5), 0);
  assert.equal(V.navigate('ArrowDown', 9, 10, 5), 9);
  assert.equal(V.navigate('ArrowUp', 0, 10, 5), 0);
  assert.equal(V.navigate('ArrowUp', -1, 10, 5), 9);
  assert.equal(V.navigate('PageDown', 0, 10, 5), 4);
  assert.equal(V.navigate('PageDown', 8, 10, 5), 9);
  assert.equal(V.navigate('PageUp', 8, 10, 5), 4);
  assert.equal(V.navigate('Home', 5, 10, 5), 0);
  assert.equal(V.navigate('End', 5, 10, 5), 9);
  assert.equal(V.navigate('End', 5, 0, 5), undefined);
  assert.equal(V.navigate('x', 5, 10, 5), undefined);
});

test('scaled content: keeping the real position across growth keeps the same rows in view', () => {
  const before = { total: 1_000_000, rowHeight: 22, viewportHeight: 600 };
  const after = { ...before, total: 1_000_500 };
  const s = Math.round(V.maxScrollTop(before) * 0.9);
  const first = V.layout(before, s, 0).first;
  // the same scrollTop would now show other rows...
  assert.notEqual(V.layout(after, s, 0).first, first);
  // ...moving scrollTop to the same real position keeps them (within a whole-pixel rounding)
  const s2 = Math.round(V.toScroll(after, V.toReal(before, s)));
  assert.ok(Math.abs(V.layout(after, s2, 0).first - first) <= 1);
});

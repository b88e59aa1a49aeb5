import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowCache } from '../../../webview/src/list/row-cache';

const rows = (start: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: start + i + 1 }));

test('asks only for pages not loaded or in flight', () => {
  const c = new RowCache<{ id: number }>(10, 5);
  assert.deepEqual(c.missingPages(0, 25), [0, 1, 2]);
  c.markRequested(0);
  c.markRequested(1);
  assert.deepEqual(c.missingPages(0, 25), [2]);
  assert.ok(c.fill(c.generation, 0, rows(0, 10), 25));
  assert.equal(c.get(3)?.id, 4);
  assert.equal(c.get(13), undefined);
  assert.ok(c.fill(c.generation, 2, rows(20, 5), 25));
  // a short last page is complete when it reaches the total
  assert.deepEqual(c.missingPages(0, 25), []);
  assert.equal(c.total, 25);
});

test('replies for an older filter are dropped; failures can be retried', () => {
  const c = new RowCache<{ id: number }>(10, 5);
  const g = c.generation;
  c.markRequested(0);
  c.reset();
  assert.equal(c.fill(g, 0, rows(0, 10), 100), false);
  assert.equal(c.get(0), undefined);
  assert.equal(c.total, -1);
  c.markRequested(0);
  c.failed(c.generation, 0);
  assert.deepEqual(c.missingPages(0, 5), [0]);
});

test('live growth: the tail page is asked again; a shrinking total drops pages past the end', () => {
  const c = new RowCache<{ id: number }>(10, 5);
  c.fill(c.generation, 0, rows(0, 10), 15);
  c.fill(c.generation, 1, rows(10, 5), 15);
  assert.deepEqual(c.missingPages(0, 15), []);
  // 3 more rows arrived: the host reports total 18 with the refreshed tail page
  c.fill(c.generation, 1, rows(10, 8), 18);
  assert.equal(c.get(17)?.id, 18);
  c.fill(c.generation, 0, rows(0, 5), 5);
  assert.equal(c.get(12), undefined);
});

test('evicts least recently filled pages but keeps the visible ones', () => {
  const c = new RowCache<{ id: number }>(10, 3);
  for (let p = 0; p < 6; p++) c.fill(c.generation, p, rows(p * 10, 10), 1000);
  c.evict(0, 15); // pages 0 and 1 are visible
  assert.equal(c.pageCount, 3);
  assert.ok(c.get(0) && c.get(14));
  assert.equal(c.get(25), undefined);
  assert.ok(c.get(55));
});

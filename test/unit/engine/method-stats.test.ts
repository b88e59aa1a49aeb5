// Per-method statistics from paired rows: which responses count as errors in each protocol, and
// percentiles and histogram from the latencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS_US, isErrorResponse, MethodStats } from '../../../extension/engine/method-stats';
import type { Row } from '../../../extension/engine/types';

const frame = (id: number, decoded: unknown, pair: Record<string, unknown>, summary = ''): Row =>
  ({
    type: 'frame',
    id,
    ts: 0,
    mono: 0,
    tap: 't',
    conn: 1,
    dir: pair.role === 'request' ? 'c2s' : 's2c',
    proto: 'x',
    len: 0,
    data: new Uint8Array(),
    summary,
    decoded,
    pair,
  }) as unknown as Row;

test('application errors in every protocol count; successes do not', () => {
  assert.ok(isErrorResponse({ kind: 'response', serviceMethod: 'Arith.Divide', error: 'divide by zero' })); // net/rpc
  assert.ok(!isErrorResponse({ kind: 'response', serviceMethod: 'Arith.Divide', error: '' }));
  assert.ok(isErrorResponse({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'no' } })); // JSON-RPC
  assert.ok(!isErrorResponse({ jsonrpc: '2.0', id: 1, result: null }));
  assert.ok(isErrorResponse({ kind: 'trailers', status: 5, statusName: 'NOT_FOUND' })); // gRPC
  assert.ok(!isErrorResponse({ kind: 'trailers', status: 0 }));
  assert.ok(isErrorResponse({ type: 'response', success: false, seq: 3 })); // DAP
  assert.ok(!isErrorResponse(null));
});

test('calls, errors, unanswered requests, percentiles and histogram per method', () => {
  const s = new MethodStats();
  let id = 1;
  for (let i = 1; i <= 100; i++) {
    const req = id++;
    s.add(frame(req, { method: 'textDocument/hover' }, { key: `k${i}`, role: 'request' }));
    s.add(frame(id++, i % 10 === 0 ? { error: { code: 1 } } : { result: 1 }, { key: `k${i}`, role: 'response', request: req, latencyUs: i * 100 }));
  }
  s.add(frame(id++, { method: 'shutdown' }, { key: 'x', role: 'request' }));
  const [hover, shutdown] = s.summaries();
  assert.equal(hover!.method, 'textDocument/hover');
  assert.equal(hover!.calls, 100);
  assert.equal(hover!.errors, 10);
  assert.equal(hover!.p50Us, 5000);
  assert.equal(hover!.p90Us, 9000);
  assert.equal(hover!.p99Us, 9900);
  assert.equal(hover!.maxUs, 10000);
  assert.equal(
    hover!.histogram.reduce((a, b) => a + b, 0),
    100,
  );
  assert.equal(hover!.histogram[BUCKETS_US.indexOf(100)], 1, '100 µs in the ≤100 µs bucket');
  assert.deepEqual(
    { method: shutdown!.method, calls: shutdown!.calls, unanswered: shutdown!.unanswered, p50: shutdown!.p50Us },
    { method: 'shutdown', calls: 0, unanswered: 1, p50: null },
  );
});

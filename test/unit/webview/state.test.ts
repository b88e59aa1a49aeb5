import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireRow } from '../../../extension/shared/webview';
import { dirText, latency, relTime, summaryText, textPreview } from '../../../webview/src/list/cells';
import { findPair, peerChoices } from '../../../webview/src/list/pairs';
import { effectiveFilter, sanitizeState } from '../../../webview/src/state';

test('restored state is sanitised; another session keeps only view settings', () => {
  assert.deepEqual(sanitizeState(null, 's1'), { sessionId: 's1' });
  assert.deepEqual(sanitizeState({ sessionId: 's1', filter: 'proto:gob', selectedId: 12, topIndex: 3.7, paused: true, followConn: -1, clearedAfter: 'x', fieldPath: '/a' }, 's1'), {
    sessionId: 's1',
    filter: 'proto:gob',
    selectedId: 12,
    topIndex: 3,
    paused: true,
    fieldPath: '/a',
  });
  assert.deepEqual(sanitizeState({ sessionId: 'old', filter: 'x', selectedId: 12, capturePath: '/c.ipctap' }, 's2'), { sessionId: 's2', filter: 'x', capturePath: '/c.ipctap' });
});

test('filter sent to the engine: user filter, or the followed connection; Clear adds after:N', () => {
  assert.equal(effectiveFilter({}), '');
  assert.equal(effectiveFilter({ filter: '  proto:gob ' }), 'proto:gob');
  assert.equal(effectiveFilter({ filter: 'proto:gob', followConn: 4 }), 'conn:4');
  assert.equal(effectiveFilter({ filter: 'x', clearedAfter: 120 }), 'x after:120');
});

const req: WireRow = {
  type: 'frame',
  id: 5,
  ts: 0,
  mono: 0,
  tap: 't',
  conn: 2,
  dir: 'c2s',
  proto: 'jsonrpc',
  len: 1,
  data: '',
  summary: 'req',
  decodedJson: 'null',
  pair: { key: '1', role: 'request' },
};
const res: WireRow = { ...req, id: 9, dir: 's2c', summary: 'res', pair: { key: '1', role: 'response', request: 5, latencyUs: 1500 } };

test('request and reply find each other', () => {
  assert.deepEqual(findPair(res, []), { id: 5, role: 'request', latencyUs: 1500 });
  assert.deepEqual(findPair(req, [req, res]), { id: 9, role: 'response', latencyUs: 1500 });
  assert.equal(findPair(req, [req]), undefined);
  assert.equal(findPair(undefined, []), undefined);
});

test('peers for "Send signal to this peer": sender first, then the other end, then session processes', () => {
  const conns = [{ conn: 2, peers: { client: [100], server: [200] } }];
  const procs = [
    { pid: 200, name: 'server', state: 'running' },
    { pid: 300, name: 'other', state: 'running' },
    { pid: 400, name: 'dead', state: 'exited' },
  ];
  assert.deepEqual(
    peerChoices(res, conns, procs).map((p) => [p.pid, p.label]),
    [
      [200, 'server server pid 200'],
      [100, 'client pid 100'],
      [300, 'other pid 300'],
    ],
  );
  assert.deepEqual(
    peerChoices(req, conns, procs).map((p) => p.pid),
    [100, 200, 300],
  );
});

test('cell text', () => {
  assert.equal(relTime(1_234_567), '1.234567');
  assert.equal(relTime(12), '0.000012');
  assert.equal(latency(999), '999 µs');
  assert.equal(latency(1500), '1.50 ms');
  assert.equal(latency(2_500_000), '2.500 s');
  assert.equal(dirText('c2s'), '→ c2s');
  assert.equal(
    summaryText({ type: 'event', id: 1, ts: 0, mono: 0, kind: 'exit', pid: 7, code: null, signal: 'SIGTERM', bySignal: true }),
    'exit pid 7 killed by SIGTERM (sent from IPC Tap)',
  );
  assert.equal(textPreview(new Uint8Array([0x41, 0x0a, 0x00]), 10), 'A⏎·');
});

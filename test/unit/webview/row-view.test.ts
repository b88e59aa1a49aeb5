import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireFrameRow } from '../../../extension/shared/webview';
import { renderListRow } from '../../../webview/src/list/row-view';
import { shimDocument } from '../../helpers/dom-shim';

const frame = (proto: string, decoded: unknown): WireFrameRow => ({
  type: 'frame',
  id: 7,
  ts: 0,
  mono: 0,
  tap: 'tcp:0=127.0.0.1:1',
  conn: 1,
  dir: 's2c',
  proto,
  len: 1,
  data: '',
  summary: 's',
  decodedJson: JSON.stringify(decoded),
});

test('replies that carry an error are coloured as errors in every protocol', () => {
  const doc = shimDocument();
  const cls = (r: WireFrameRow) => String(renderListRow(doc, 0, r, {}).getAttribute('class')).split(' ');
  assert.ok(cls(frame('netrpc', { kind: 'response', serviceMethod: 'Arith.Divide', seq: 6, reply: null, error: 'divide by zero' })).includes('error'));
  assert.ok(cls(frame('jsonrpc', { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'no such method' } })).includes('error'));
  assert.ok(cls(frame('grpc', { kind: 'trailers', status: 5, statusName: 'NOT_FOUND', message: null })).includes('error'));
  assert.ok(!cls(frame('netrpc', { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 1, reply: 6, error: '' })).includes('error'));
  assert.ok(!cls(frame('jsonrpc', { jsonrpc: '2.0', id: 2, result: 1 })).includes('error'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyFacts, filterCompletions, filterPlaceholder, learnFacts } from '../../../webview/src/toolbar/filter-hints';
import type { WireRow } from '../../../extension/shared/webview';

const frame = (over: Partial<Extract<WireRow, { type: 'frame' }>>): WireRow =>
  ({
    type: 'frame',
    id: 1,
    ts: 0,
    mono: 0,
    tap: 'tcp:0=127.0.0.1:7301',
    conn: 3,
    dir: 'c2s',
    proto: 'netrpc',
    len: 1,
    data: '',
    summary: '',
    decodedJson: 'null',
    ...over,
  }) as WireRow;

const rows: WireRow[] = [
  frame({ proto: 'lines', conn: 1, dir: 'stdout', decodedJson: JSON.stringify('calling Arith.Divide') }),
  frame({ decodedJson: JSON.stringify({ kind: 'request', serviceMethod: 'Arith.Multiply', seq: 1 }) }),
  frame({ decodedJson: JSON.stringify({ kind: 'request', serviceMethod: 'Arith.Divide', seq: 2 }) }),
  { type: 'event', id: 9, ts: 0, mono: 0, kind: 'exit', pid: 4 } as WireRow,
];

test('the placeholder takes its examples from the session: proto:netrpc, its methods, its connections', () => {
  assert.equal(filterPlaceholder(emptyFacts()), 'Filter: text  dir:c2s  error  -exclude');
  const f = emptyFacts();
  assert.equal(learnFacts(f, rows), true);
  assert.equal(learnFacts(f, rows), false, 'nothing new the second time');
  const seen = new WeakSet<WireRow>();
  const g = emptyFacts();
  assert.equal(learnFacts(g, rows, seen), true);
  const more = frame({ proto: 'jsonrpc', decodedJson: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo' }) });
  assert.equal(learnFacts(g, [...rows, more], seen), true, 'a new row is learnt from');
  assert.ok(g.methods.has('echo'));
  assert.equal(learnFacts(g, [...rows, more], seen), false, 'rows already seen are skipped');
  const p = filterPlaceholder(f);
  assert.match(p, /proto:netrpc/);
  assert.doesNotMatch(p, /proto:gob|proto:lines/);
  assert.match(p, /method:Arith\.Multiply/);
  assert.match(p, /conn:1/);
  assert.ok(!f.methods.has('calling Arith.Divide'), 'a text line is no method');
});

test('completions: keys for a bare word, then the values seen for that key, as the whole text', () => {
  const f = emptyFacts();
  learnFacts(f, rows);
  assert.deepEqual(filterCompletions('pr', f), ['proto:']);
  assert.deepEqual(filterCompletions('conn:3 proto:', f), ['conn:3 proto:lines', 'conn:3 proto:netrpc']);
  assert.deepEqual(filterCompletions('method:div', f), ['method:Arith.Divide']);
  assert.deepEqual(filterCompletions('-kind:', f), ['-kind:exit']);
  assert.deepEqual(filterCompletions('dir:s', f), ['dir:s2c', 'dir:stdin', 'dir:stdout', 'dir:stderr', 'dir:c2s']);
  assert.deepEqual(filterCompletions('conn:', f), ['conn:1', 'conn:3']);
  assert.deepEqual(filterCompletions('proto:netrpc', f), [], 'complete already');
  assert.ok(filterCompletions('', f).includes('error'));
});

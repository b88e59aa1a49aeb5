import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCaptureText } from '../../../extension/server/capture-text';
import { definition, documentSymbols, foldingRanges, hover } from '../../../extension/server/language-features';
import type { Row } from '../../../extension/engine/types';

const enc = new TextEncoder();
function rows(): Row[] {
  return [
    { type: 'event', id: 1, ts: 1, mono: 0, kind: 'spawn', pid: 42, command: ['./server'] },
    { type: 'event', id: 2, ts: 2, mono: 10, kind: 'open', conn: 3, tap: 'tcp:7300=127.0.0.1:7301', from: '127.0.0.1:5000', to: '127.0.0.1:7301' },
    {
      type: 'frame',
      id: 3,
      ts: 3,
      mono: 100,
      tap: 'tcp:7300=127.0.0.1:7301',
      conn: 3,
      dir: 'c2s',
      proto: 'netrpc',
      len: 4,
      data: enc.encode('ABCD'),
      summary: 'Arith.Multiply {A: 7, B: 8}',
      decoded: { ServiceMethod: 'Arith.Multiply', Seq: 12345678901234567890n },
      pair: { key: '1', role: 'request' },
    },
    {
      type: 'frame',
      id: 4,
      ts: 4,
      mono: 300,
      tap: 'tcp:7300=127.0.0.1:7301',
      conn: 3,
      dir: 's2c',
      proto: 'netrpc',
      len: 2,
      data: enc.encode('<b'),
      summary: 'reply 56',
      decoded: 56,
      pair: { key: '1', role: 'response', request: 3, latencyUs: 200 },
    },
    { type: 'frame', id: 5, ts: 5, mono: 400, tap: 'stdio', conn: 1, dir: 'stdout', proto: 'lines', len: 6, data: enc.encode('hello\n'), summary: 'hello', decoded: 'hello' },
    { type: 'event', id: 6, ts: 6, mono: 500, kind: 'exit', pid: 42, code: null, signal: 'SIGTERM' },
  ];
}

test('capture text: sections per connection, events last, rows mapped to lines', async () => {
  const m = await renderCaptureText(rows(), { name: 'demo.ipctap' });
  const lines = m.text.split('\n');
  assert.equal(lines[0], 'IPC Tap capture: demo.ipctap');
  assert.deepEqual(
    m.sections.map((s) => s.conn),
    [1, 3, undefined],
  );
  const reqLine = m.rowLine.get(3)!;
  assert.match(lines[reqLine]!, /^ {2}#3 {2}\+0\.000100s {2}c2s {2}netrpc {2}4 B {2}Arith\.Multiply/);
  assert.match(lines[m.sections[1]!.startLine]!, /^connection 3 {2}tcp:7300=127\.0\.0\.1:7301 {2}127\.0\.0\.1:5000 → 127\.0\.0\.1:7301$/);
  assert.equal(lines[m.sections[1]!.endLine], 'end connection 3');
  assert.match(lines[m.rowLine.get(6)!]!, /exit pid 42 SIGTERM/);
});

test('language features: outline, folding, hover with exact integers and hex, definition', async () => {
  const m = await renderCaptureText(rows(), { name: 'demo.ipctap' });
  const syms = documentSymbols(m);
  const conn3 = syms.find((s) => s.name.startsWith('connection 3'))!;
  assert.deepEqual(
    conn3.children!.map((c) => c.name),
    ['Arith.Multiply {A: 7, B: 8}'],
    'only requests when paired',
  );
  const conn1 = syms.find((s) => s.name.startsWith('connection 1'))!;
  assert.deepEqual(
    conn1.children!.map((c) => c.name),
    ['hello'],
    'plain frames otherwise',
  );
  assert.equal(syms.at(-1)!.name, 'events');
  assert.equal(foldingRanges(m).length, 3);

  const h = hover(m, { line: m.rowLine.get(3)!, character: 3 })!;
  const md = (h.contents as { value: string }).value;
  assert.match(md, /"Seq": 12345678901234567890/, 'a 64-bit integer stays exact');
  assert.match(md, /00000000 {2}41 42 43 44/);
  assert.equal(hover(m, { line: 0, character: 0 }), null);

  const def = definition(m, 'ipctap-text:/x', { line: m.rowLine.get(4)!, character: 2 })!;
  assert.equal(def.range.start.line, m.rowLine.get(3));
  const back = definition(m, 'ipctap-text:/x', { line: m.rowLine.get(3)!, character: 2 })!;
  assert.equal(back.range.start.line, m.rowLine.get(4), 'from a request to its reply');
});

test('hover never lets captured text close the code fence', async () => {
  const r = rows();
  (r[2] as { decoded: unknown }).decoded = { s: '```\n<script>x</script>' };
  const m = await renderCaptureText(r, { name: 'x' });
  const md = (hover(m, { line: m.rowLine.get(3)!, character: 0 })!.contents as { value: string }).value;
  assert.equal(md.split('\n').filter((l) => l.startsWith('```')).length, 4, 'json and hex fences, each opened and closed once');
  assert.ok(!/[^\n]```/.test(md), 'no fence inside the captured text');
});

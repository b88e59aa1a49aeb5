import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonText, JsonTreeError, parseJsonTree, preview } from '../../../webview/src/detail/lossless-json';

test('keeps 64-bit integers and number text exact', () => {
  const t = parseJsonTree('{"max":18446744073709551615,"neg":-9223372036854775808,"f":1.50,"e":2E+3}');
  assert.equal(t.kind, 'object');
  if (t.kind !== 'object') return;
  assert.deepEqual(
    t.entries.map(([k, v]) => [k, v.kind === 'number' ? v.text : '?']),
    [
      ['max', '18446744073709551615'],
      ['neg', '-9223372036854775808'],
      ['f', '1.50'],
      ['e', '2E+3'],
    ],
  );
  assert.equal(jsonText(t, 0), '{"max":18446744073709551615,"neg":-9223372036854775808,"f":1.50,"e":2E+3}');
});

test('round-trips ordinary JSON like JSON.stringify (pretty)', () => {
  const v = { s: 'a"b\\c\n\u0001é😀', a: [1, [2, []], {}], t: true, f: false, n: null, o: { k: { deep: 'x' } } };
  const text = JSON.stringify(v);
  assert.equal(jsonText(parseJsonTree(text), 2), JSON.stringify(v, null, 2));
  assert.equal(jsonText(parseJsonTree(' [ ] ')), '[]');
});

test('rejects invalid JSON with JsonTreeError, deep nesting included', () => {
  for (const bad of ['', '{', '{"a"}', '[1,]', '01', 'tru', '"\\x"', '1 2', '-', '{"a":1,}']) {
    assert.throws(() => parseJsonTree(bad), JsonTreeError, bad);
  }
  assert.throws(() => parseJsonTree('['.repeat(100_000)), JsonTreeError);
});

test('previews', () => {
  assert.equal(preview(parseJsonTree('{"a":1,"b":2}')), '{2 keys}');
  assert.equal(preview(parseJsonTree('[1,2,3]')), '[3]');
  assert.equal(preview(parseJsonTree(JSON.stringify('x'.repeat(200))), 10), '"xxxxxxxx…');
});

// The toolbar's "decoding N %" badge while Decode As… decodes the capture again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToolbar } from '../../../webview/src/toolbar/toolbar';
import { byTestId, shimDocument } from '../../helpers/dom-shim';

test('the decoding badge shows how far decoding again has come, and goes away when it is done', () => {
  const noop = () => undefined;
  const bar = createToolbar(shimDocument(), { filter: noop, togglePause: noop, clear: noop, unclear: noop, save: noop, jumpToEnd: noop, decodeAs: noop, focusList: noop });
  const badge = byTestId(bar.root, 'decode-progress')[0]!;
  assert.equal(badge.hidden, true, 'hidden while nothing is decoded again');
  bar.setDecoding({ done: 1_500_000, total: 4_000_000 });
  assert.equal(badge.hidden, false);
  assert.equal(badge.textContent, 'decoding 37 %');
  assert.equal(badge.getAttribute('data-percent'), '37');
  bar.setDecoding(undefined);
  assert.equal(badge.hidden, true, 'hidden once done');
});

// The status line while Decode As… decodes a capture again: up while the progress badge is, then
// "Decoded … again." — never a "Decoding…" left standing after the work is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUIET_DONE_MS, RedecodeNotice } from '../../../webview/src/redecode-notice';

function sink() {
  const shown: { text: string; sticky: boolean }[] = [];
  return { shown, notice: (text: string, sticky: boolean) => void shown.push({ text, sticky }) };
}

test('a long decode: "Decoding…" stays while progress comes, then "Decoded" when the badge goes', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = sink();
  const n = new RedecodeNotice(s);
  n.start(undefined, 'raw');
  assert.deepEqual(s.shown, [{ text: 'Decoding every tap as raw again…', sticky: true }]);
  n.progress(undefined); // the summary of the reset, before any progress: not done
  n.progress({ done: 10, total: 100 });
  t.mock.timers.tick(QUIET_DONE_MS * 5);
  n.progress({ done: 90, total: 100 });
  assert.equal(s.shown.length, 1, 'still decoding, whatever time has passed');
  assert.equal(n.active, true);
  n.progress(undefined);
  assert.deepEqual(s.shown.at(-1), { text: 'Decoded every tap as raw again.', sticky: false });
  assert.equal(n.active, false);
  n.progress(undefined);
  assert.equal(s.shown.length, 2, 'said once');
});

test('a decode too quick for any progress report ends on the quiet timer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = sink();
  const n = new RedecodeNotice(s);
  n.start('unix:/tmp/x.sock', 'lines');
  n.progress(undefined);
  t.mock.timers.tick(QUIET_DONE_MS - 1);
  assert.equal(s.shown.length, 1);
  t.mock.timers.tick(1);
  assert.deepEqual(s.shown.at(-1), { text: 'Decoded unix:/tmp/x.sock as lines again.', sticky: false });
});

test('a second Decode As… before the first is done: one "Decoded", for the second', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = sink();
  const n = new RedecodeNotice(s);
  n.start(undefined, 'raw');
  n.progress({ done: 1, total: 100 });
  n.start(undefined, 'netrpc');
  n.progress({ done: 5, total: 100 });
  n.progress(undefined);
  t.mock.timers.tick(QUIET_DONE_MS * 2);
  assert.deepEqual(
    s.shown.map((x) => x.text),
    ['Decoding every tap as raw again…', 'Decoding every tap as netrpc again…', 'Decoded every tap as netrpc again.'],
  );
});

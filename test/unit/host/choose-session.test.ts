import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSession } from '../../../extension/host/choose-session';

const a = { id: 'a' };
const b = { id: 'b' };

test('the panel in front decides, then the tree selection, then the only candidate; otherwise ask', () => {
  assert.equal(chooseSession([a, b], 'b', 'a'), b, 'the active panel wins over the tree');
  assert.equal(chooseSession([a, b], undefined, 'a'), a, 'then the tree selection');
  assert.equal(chooseSession([a, b], 'gone', undefined), undefined, 'a panel of a session that is not a candidate (e.g. not live) does not decide');
  assert.equal(chooseSession([a, b], undefined, undefined), undefined, 'two candidates: ask');
  assert.equal(chooseSession([b], undefined, undefined), b, 'one candidate: it');
  assert.equal(chooseSession([b], 'a', undefined), b, 'the active panel is not a candidate: the only one');
});

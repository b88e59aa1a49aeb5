import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalReaction } from '../../../extension/engine/process/reaction';
import type { Chunk, EventRecord } from '../../../extension/engine/types';

const enc = new TextEncoder();
const chunk = (conn: number, dir: Chunk['dir'], text: string, mono: number): Chunk => ({ conn, dir, ts: 0, mono, data: enc.encode(text) });
const ev = (e: Partial<EventRecord>): EventRecord => ({ kind: 'note', ts: 0, mono: 0, ...e }) as EventRecord;

test('signal reaction: output of the process on its stdio and sockets, with the delay', () => {
  const r = new SignalReaction(42, 1_000, (conn) => conn === 1 || conn === 3);
  assert.equal(r.describe(), undefined, 'nothing seen: nothing said');
  assert.equal(r.chunk(chunk(2, 'stdout', 'other process\n', 1_500)), false);
  assert.equal(r.chunk(chunk(1, 'stdin', 'to it\n', 1_500)), false);
  assert.equal(r.chunk(chunk(1, 'stdout', 'received hangup\n', 2_000)), true);
  assert.equal(r.describe(), 'wrote 1 line on stdout 1 ms later');
  r.chunk(chunk(1, 'stdout', 'reloading\npartial', 2_100));
  r.chunk(chunk(3, 's2c', 'abc', 2_200));
  assert.equal(r.describe(), 'wrote 2 lines on stdout and 3 bytes on connection 3 1 ms later');
});

test('signal reaction: exit, stop and continue of that pid end the watch', () => {
  const r = new SignalReaction(42, 0, () => true);
  assert.equal(r.event(ev({ kind: 'exit', pid: 7, code: 0 })), false);
  r.chunk(chunk(1, 'stdout', 'terminating\n', 3_000));
  assert.equal(r.event(ev({ kind: 'exit', pid: 42, code: 143 })), true);
  assert.equal(r.describe(), 'wrote 1 line on stdout 3 ms later, then exited with code 143');
  const k = new SignalReaction(42, 0, () => true);
  k.event(ev({ kind: 'exit', pid: 42, code: null, signal: 'SIGKILL' }));
  assert.equal(k.describe(), 'exited: killed by SIGKILL');
  const s = new SignalReaction(42, 0, () => true);
  assert.equal(s.event(ev({ kind: 'stopped', pid: 42 })), true);
  assert.equal(s.describe(), 'stopped');
});

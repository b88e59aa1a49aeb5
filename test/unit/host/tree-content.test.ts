import { test } from 'node:test';
import assert from 'node:assert/strict';
import { treeContent } from '../../../extension/host/tree-content';
import type { SessionSummary } from '../../../extension/shared/requests';

const live: SessionSummary = {
  id: 's1',
  name: 'rpc',
  state: 'live',
  startedAt: 1,
  rows: 10,
  frames: 8,
  connections: 2,
  processes: [{ pid: 42, name: 'server', command: ['server'], state: 'running' }],
  taps: [{ spec: 'tcp:0=127.0.0.1:7301', kind: 'tcp', name: 'rpc' }],
};

test('the Sessions view content changes with what it shows, and only then', () => {
  const base = treeContent([live]);
  assert.equal(treeContent([{ ...live, processes: [{ ...live.processes[0]! }] }]), base, 'an equal summary: nothing to refresh');
  assert.equal(treeContent([{ ...live, decoding: { done: 1, total: 2 } }]), base, 'not shown in the view');
  assert.notEqual(treeContent([{ ...live, frames: 9, rows: 11 }]), base, 'a frame arrived');
  assert.notEqual(treeContent([{ ...live, rows: 11 }]), base, 'an event (a connection closed)');
  assert.notEqual(treeContent([{ ...live, state: 'ended' }]), base, 'the session ended');
  assert.notEqual(treeContent([{ ...live, processes: [{ ...live.processes[0]!, state: 'exited', code: 0 }] }]), base, 'a process exited');
  assert.notEqual(treeContent([live, { ...live, id: 's2' }]), base, 'a session more');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tapLabel } from '../../../extension/shared/tap-label';

test('a process stdio tap is named by the process; other taps by their spec', () => {
  const procs = [{ pid: 28048, name: 'rpcserver' }];
  assert.equal(tapLabel('stdio:28048', procs), 'rpcserver stdio');
  assert.equal(tapLabel('stdio:1', procs), 'stdio:1', 'an unknown pid keeps the spec');
  assert.equal(tapLabel('tcp:0=127.0.0.1:7301', procs), 'tcp:0=127.0.0.1:7301');
  assert.equal(tapLabel('stdio:28048', undefined), 'stdio:28048');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEndpoints, formatProcessList } from '../../../extension/engine/process/attach-format';
import type { Endpoint } from '../../../extension/engine/process/attach';

test('endpoints as an aligned table with peers and tap specs', () => {
  const eps: Endpoint[] = [
    { fd: 0, stdio: 'stdin', kind: 'tty', local: '/dev/pts/3', mode: 'read-write', target: '/dev/pts/3' },
    { fd: 3, kind: 'unix', state: 'listening', sockType: 'stream', local: '/run/app.sock', inode: 10, target: 'socket:[10]', tapSpec: 'unix:/run/app.sock' },
    { fd: 4, kind: 'unix', state: 'connected', sockType: 'stream', local: '/run/app.sock', inode: 11, target: 'socket:[11]', peers: [{ pid: 4243, name: 'client', fd: 5 }] },
    { fd: 5, kind: 'tcp', state: 'listening', family: 4, local: '127.0.0.1:8080', inode: 12, target: 'socket:[12]', tapSpec: 'tcp:0=127.0.0.1:8080' },
    { fd: 6, kind: 'pipe', mode: 'write', inode: 13, target: 'pipe:[13]', peers: [1, 2, 3, 4, 5].map((i) => ({ pid: 100 + i, name: 'r', fd: 0, mode: 'read' as const })) },
    { fd: 7, kind: 'unix', state: 'listening', sockType: 'dgram', local: '@abs', inode: 14, target: 'socket:[14]', note: 'abstract name: cannot be taken over' },
    { fd: 8, kind: 'pipe', mode: 'read', inode: 15, target: 'pipe:[15]', peers: [] },
  ];
  const lines = formatEndpoints(eps).split('\n');
  assert.deepEqual(lines, [
    'FD         KIND  STATE              ADDRESS         PEER                                           TAP WITH',
    '0 (stdin)  tty   read-write         /dev/pts/3',
    '3          unix  listening          /run/app.sock                                                  --tap unix:/run/app.sock',
    '4          unix  connected          /run/app.sock   4243 client',
    '5          tcp   listening          127.0.0.1:8080                                                 --tap tcp:0=127.0.0.1:8080',
    '6          pipe  write              pipe:[13]       101 r reads, 102 r reads, 103 r reads +2 more',
    '7          unix  listening (dgram)  @abs                                                           abstract name: cannot be taken over',
    '8          pipe  read               pipe:[15]       -',
    '',
    'taking over a listening endpoint captures new connections; connections already open are not captured (ipctap attach PID --trace sees them)',
  ]);
  assert.equal(formatEndpoints([]), 'no sockets, pipes or FIFOs open');
});

test('process list', () => {
  assert.equal(
    formatProcessList([
      { pid: 7, name: 'server', command: './server -x', endpoints: 3 },
      { pid: 12345, name: 'a', command: 'a', endpoints: 12 },
    ]),
    '    7  server    3  ./server -x\n12345  a        12  a',
  );
});

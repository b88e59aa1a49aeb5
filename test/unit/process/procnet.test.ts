import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { addressKey, formatIPv6, hostPort, isLoopback, isUnspecified, parseProcNetTcp, parseProcNetUnix } from '../../../extension/engine/process/procnet';
import { parseSsTcp, parseSsUnix } from '../../../extension/engine/process/ss';
import { inodeOf } from '../../../extension/engine/process/procfs';

const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 12666 /tmp/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 12006 /tmp/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 12678
0000000000000000: 00000002 00000000 00010000 0005 01 200 @abstract-name
0000000000000000: 00000002 00000000 00000000 0002 01 201 /tmp/with space/x.sock
0000000000000000: 00000002 00000000 00000000 0002 03 202
garbage line
`;

test('/proc/net/unix: listening flag, connected state, types, paths with spaces, abstract names, unnamed', () => {
  assert.deepEqual(parseProcNetUnix(UNIX), [
    { inode: 12666, type: 'stream', state: 'listening', path: '/tmp/app.sock' },
    { inode: 12006, type: 'stream', state: 'connected', path: '/tmp/app.sock' },
    { inode: 12678, type: 'stream', state: 'connected' },
    { inode: 200, type: 'seqpacket', state: 'listening', path: '@abstract-name' },
    { inode: 201, type: 'dgram', state: 'unconnected', path: '/tmp/with space/x.sock' },
    { inode: 202, type: 'dgram', state: 'connected' },
  ]);
});

test('/proc/net/unix: a path with newlines (printed as is by the kernel) is kept whole', () => {
  // As Linux 6.x prints a socket bound at "/tmp/a\nb $(x).sock", then one bound at "/tmp/c\n\n".
  const text =
    'Num       RefCount Protocol Flags    Type St Inode Path\n' +
    '000000003f3d853a: 00000002 00000000 00010000 0001 01 1076814 /tmp/a\nb $(x).sock\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 7 /tmp/c\n\n\n' +
    '0000000000000000: 00000003 00000000 00000000 0001 03 8\n';
  assert.deepEqual(parseProcNetUnix(text), [
    { inode: 1076814, type: 'stream', state: 'listening', path: '/tmp/a\nb $(x).sock' },
    { inode: 7, type: 'stream', state: 'listening', path: '/tmp/c\n\n' },
    { inode: 8, type: 'stream', state: 'connected' },
  ]);
});

// Written as a little-endian kernel prints them.
const TCP4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5556 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0
   3: 0100007F:D432 0100007F:1F90 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6000 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F92 0000000000000000FFFF00000100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 6001 1 0000000000000000 20 4 30 10 -1
   2: 000080FE00000000FF005452B63412FE:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6002 1 0000000000000000 100 0 0 10 0
`;

test('/proc/net/tcp and tcp6: addresses, ports, states, uid, inode', { skip: endianness() !== 'LE' && 'samples are little-endian' }, () => {
  const v4 = parseProcNetTcp(TCP4, 4);
  assert.deepEqual(v4[0], { family: 4, localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0, state: 'listening', uid: 1000, inode: 5555 });
  assert.deepEqual(v4[1], { family: 4, localAddress: '127.0.0.1', localPort: 54321, remoteAddress: '127.0.0.1', remotePort: 8080, state: 'established', uid: 0, inode: 5556 });
  assert.equal(v4[2].localPort, 22);
  assert.equal(v4[3].state, 'time-wait');
  assert.equal(v4[3].inode, 0);
  const v6 = parseProcNetTcp(TCP6, 6);
  assert.equal(v6[0].localAddress, '::1');
  assert.equal(v6[0].remoteAddress, '::');
  assert.equal(v6[1].localAddress, '::ffff:127.0.0.1');
  assert.equal(v6[1].remotePort, 0xc000);
  assert.equal(v6[2].localAddress, 'fe80::5254:ff:fe12:34b6');
  assert.deepEqual(parseProcNetTcp('nonsense\n  0: zz', 4), []);
});

test('IPv6 text: RFC 5952 compression', () => {
  const b = (s: string) => s.split(':').flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  assert.equal(formatIPv6(b('0:0:0:0:0:0:0:1')), '::1');
  assert.equal(formatIPv6(b('0:0:0:0:0:0:0:0')), '::');
  assert.equal(formatIPv6(b('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIPv6(b('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIPv6(b('fe80:0:0:0:0:0:0:0')), 'fe80::');
});

test('address keys compare across spellings; loopback and unspecified', () => {
  assert.equal(addressKey('127.0.0.1'), addressKey('::ffff:127.0.0.1'));
  assert.equal(addressKey('::ffff:7f00:1'), addressKey('127.0.0.1'));
  assert.equal(addressKey('::1'), addressKey('0:0:0:0:0:0:0:1'));
  assert.equal(addressKey('[::1]'), addressKey('::1'));
  assert.notEqual(addressKey('::1'), addressKey('127.0.0.1'));
  assert.equal(addressKey('not an address'), undefined);
  assert.ok(isLoopback('127.0.0.5') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('10.0.0.1') && !isLoopback('::'));
  assert.ok(isUnspecified('0.0.0.0') && isUnspecified('::') && !isUnspecified('::1'));
  assert.equal(hostPort('::1', 80), '[::1]:80');
  assert.equal(hostPort('127.0.0.1', 80), '127.0.0.1:80');
});

test('ss -x output: local inode to peer inode, paths with spaces, listeners skipped', () => {
  const text = [
    'u_str ESTAB  0      0      /tmp/app.sock 12006 * 12678',
    'u_str LISTEN 0      4096   /tmp/app.sock 12666 * 0',
    'u_str ESTAB  0      0                               * 12678 * 12006',
    'u_dgr ESTAB  0      0      /tmp/with space/s 300 * 301',
    'u_seq ESTAB  0      0      @abs 400 @abs 401',
    '',
  ].join('\n');
  assert.deepEqual(
    [...parseSsUnix(text)],
    [
      [12006, 12678],
      [12678, 12006],
      [300, 301],
      [400, 401],
    ],
  );
});

test('ss -x output: a path with newlines (printed as is) keeps its sockets', () => {
  // As ss 6.x prints a listener at "/tmp/a\nb.sock" and a connection accepted on it.
  const text = [
    'u_str LISTEN 0      511                                         /tmp/a',
    'b.sock 1227978 * 0      ',
    'u_str ESTAB  0      0                                           /tmp/a',
    'b.sock 1227990 * 1227989',
    'u_str ESTAB  0      0      * 1227989 * 1227990',
    '',
  ].join('\n');
  assert.deepEqual(
    [...parseSsUnix(text)],
    [
      [1227990, 1227989],
      [1227989, 1227990],
    ],
  );
});

test('fd link texts', () => {
  assert.equal(inodeOf('socket:[123]', 'socket'), 123);
  assert.equal(inodeOf('pipe:[9]', 'pipe'), 9);
  assert.equal(inodeOf('pipe:[9]', 'socket'), undefined);
  assert.equal(inodeOf('/tmp/x', 'socket'), undefined);
});

test('ss -t -e lines: with and without the State column, IPv4, IPv6, mapped and zoned addresses, inode 0', () => {
  const text = [
    'FIN-WAIT-2 0      0      127.0.0.1:38206 127.0.0.1:56857 timer:(timewait,1min,0) ino:0 sk:3c9ea',
    'CLOSE-WAIT 1      0      127.0.0.1:56857 127.0.0.1:38206 ino:1742227 sk:3c9eb cgroup:/ -->',
    '0      0          [::1]:35652     [::1]:39399 ino:1742096 sk:3c9e7 cgroup:/ <->',
    'ESTAB 0 0 [::ffff:127.0.0.1]:7000 [::ffff:127.0.0.1]:5000 uid:1000 ino:5 sk:1',
    'ESTAB 0 0 [fe80::1%lo]:7000 [fe80::2%eth0]:5000 ino:6 sk:1',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseSsTcp(text), [
    { localAddress: '127.0.0.1', localPort: 38206, remoteAddress: '127.0.0.1', remotePort: 56857, inode: 0 },
    { localAddress: '127.0.0.1', localPort: 56857, remoteAddress: '127.0.0.1', remotePort: 38206, inode: 1742227 },
    { localAddress: '::1', localPort: 35652, remoteAddress: '::1', remotePort: 39399, inode: 1742096 },
    { localAddress: '::ffff:127.0.0.1', localPort: 7000, remoteAddress: '::ffff:127.0.0.1', remotePort: 5000, inode: 5 },
    { localAddress: 'fe80::1', localPort: 7000, remoteAddress: 'fe80::2', remotePort: 5000, inode: 6 },
  ]);
});

// resetSocket() on a TCP socket whose end() is still pending (its FIN not yet handed to the
// kernel): libuv refuses SO_LINGER 0 then (EINVAL) and Node never closes such a socket, so the
// relay must close it instead — else the peer waits forever on a connection nobody serves.
// Real loopback sockets; end() is followed at once by the reset, before the event loop could
// send the FIN (what happens in the relay when the server's FIN is still being flushed to a
// slow client and the server's reset arrives).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { resetSocket } from '../../../extension/engine/taps/forward';

function pair(): Promise<{ ours: net.Socket; peer: net.Socket; close: () => void }> {
  return new Promise((res) => {
    const srv = net.createServer({ allowHalfOpen: true }, (ours) => res({ ours, peer, close: () => srv.close() }));
    let peer: net.Socket;
    srv.listen(0, '127.0.0.1', () => {
      peer = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    });
  });
}

test('a TCP socket reset while its end() is pending closes, and its peer learns', { timeout: 20_000 }, async () => {
  const { ours, peer, close } = await pair();
  const errors: string[] = [];
  let handle: { close(): void } | undefined;
  try {
    const peerDone = new Promise<string>((r) => {
      peer.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      peer.on('close', () => r('closed'));
    });
    peer.resume();
    const oursClosed = new Promise<void>((r) => ours.once('close', () => r()));
    ours.on('error', (e: NodeJS.ErrnoException) => errors.push(String(e.code)));
    ours.end();
    // end() asks for the shutdown on the next tick; this runs right after it, in the same turn.
    await new Promise<void>((r) => process.nextTick(() => process.nextTick(r)));
    assert.equal(ours.writableEnded && !ours.writableFinished, true, 'the FIN is still pending');
    // (Kept to close it by hand if the reset fails: Node drops it without closing it then.)
    handle = (ours as unknown as { _handle?: { close(): void } })._handle;
    const failed = new Promise<void>((r) => ours.once('error', () => r()));
    resetSocket(ours);
    await Promise.race([oursClosed, failed]);
    assert.deepEqual(errors, [], 'the socket closed without an error');
    assert.ok(['closed', 'ECONNRESET'].includes(await peerDone));
  } finally {
    if (errors.length) handle?.close();
    peer.destroy();
    close();
  }
});

test('a TCP socket reset otherwise sends a RST: the peer gets ECONNRESET', { timeout: 20_000 }, async () => {
  const { ours, peer, close } = await pair();
  try {
    const peerDone = new Promise<string>((r) => {
      peer.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      peer.on('close', () => r('closed'));
    });
    peer.resume();
    resetSocket(ours);
    assert.equal(await peerDone, 'ECONNRESET');
  } finally {
    close();
  }
});

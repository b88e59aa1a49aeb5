// TCP proxy tap: the shared suite with real Node peers, plus TCP-specific failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { tapSuite } from '../../helpers/tap-suite';
import { RecordingSink } from '../../helpers/tap-peers';
import { createTap } from '../../../extension/engine/taps/create';
import { parseTapSpec } from '../../../extension/engine/taps/spec';
import { UserError } from '../../../extension/engine/util/errors';

tapSuite({
  kind: 'socket',
  name: 'tcp proxy (127.0.0.1, port 0)',
  serverArgs: () => ['tcp', '0'],
  spec: (_dir, addr) => `tcp:0=${addr}`,
  clientArgs: (tap) => ['tcp', tap.address!],
  expectFiles: [],
  peersKnowable: true,
});

test('tcp: a port in use is a clear UserError', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const sink = new RecordingSink();
    const tap = createTap(parseTapSpec(`tcp:${port}=127.0.0.1:9`), sink);
    await assert.rejects(tap.start(), (e: Error) => e instanceof UserError && e.message === `port ${port} is already in use`);
    await tap.stop();
    assert.deepEqual(sink.events, [], 'nothing reported for a tap that never started');
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test('tcp: a target that refuses is recorded as an error close, and the tap keeps accepting', async () => {
  // find a port nobody listens on
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen({ host: '127.0.0.1', port: 0 }, r));
  const deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const sink = new RecordingSink();
  const tap = createTap(parseTapSpec(`tcp:0=127.0.0.1:${deadPort}`), sink);
  await tap.start();
  try {
    const [host, port] = [tap.address!.split(':')[0], Number(tap.address!.split(':')[1])];
    for (let i = 0; i < 2; i++) {
      const ended = await new Promise<string>((resolve) => {
        const c = net.createConnection({ host, port });
        c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        c.on('end', () => resolve('end'));
        c.resume();
      });
      assert.equal(ended, 'end', 'the client is closed cleanly');
    }
    await sink.waitClosed(2);
    const closes = sink.events.filter((e) => e.kind === 'close');
    assert.deepEqual(
      closes.map((e) => e.reason),
      ['error', 'error'],
    );
    assert.match(closes[0].message!, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${deadPort}: .*ECONNREFUSED`));
  } finally {
    await tap.stop();
  }
});

test('tcp: listening on [::1] when IPv6 loopback is available', async (t) => {
  const ok = await new Promise<boolean>((r) => {
    const s = net.createServer();
    s.once('error', () => r(false));
    s.listen({ host: '::1', port: 0 }, () => s.close(() => r(true)));
  });
  if (!ok) return t.skip('no IPv6 loopback here');
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (server.address() as net.AddressInfo).port;
  const sink = new RecordingSink();
  const tap = createTap(parseTapSpec(`tcp:[::1]:0=127.0.0.1:${port}`), sink);
  await tap.start();
  try {
    assert.match(tap.address!, /^\[::1\]:\d+$/);
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.createConnection({ host: '::1', port: Number(tap.address!.split(':').pop()) });
      let text = '';
      c.on('data', (b) => (text += b));
      c.on('end', () => resolve(text));
      c.on('error', reject);
      c.end('over v6');
    });
    assert.equal(got, 'over v6');
  } finally {
    await tap.stop();
    await new Promise((r) => server.close(r));
  }
});

test("tcp: reads are up to 256 KiB into the relay's own buffers, on both sides of a connection", async () => {
  // Loopback TCP queues more than Node's default 64 KiB read per wake-up (read-pool.ts).
  const { recordThroughTap, tapPort } = await import('../../helpers/tap-recorder');
  const server = net.createServer((s) => {
    s.on('data', () => undefined);
    s.on('end', () => s.end(Buffer.alloc(8 * 1024 * 1024, 2)));
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const rec = await recordThroughTap(`tcp:0=127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  try {
    const got = await new Promise<number>((resolve, reject) => {
      const c = net.createConnection({ host: '127.0.0.1', port: tapPort(rec.tap) });
      let n = 0;
      c.on('data', (d) => (n += d.length));
      c.on('end', () => resolve(n));
      c.on('error', reject);
      c.end(Buffer.alloc(8 * 1024 * 1024, 1));
    });
    assert.equal(got, 8 * 1024 * 1024);
    await rec.idle();
    for (const dir of ['c2s', 's2c'] as const) {
      const sizes = rec.chunks.filter((c) => c.dir === dir).map((c) => c.data.length);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        8 * 1024 * 1024,
        `${dir}: every byte captured`,
      );
      assert.ok(Math.max(...sizes) > 64 * 1024, `${dir}: some read took more than 64 KiB (largest ${Math.max(...sizes)})`);
      assert.ok(Math.max(...sizes) <= 256 * 1024, `${dir}: no read above 256 KiB`);
    }
  } finally {
    await rec.stop();
    await new Promise((r) => server.close(r));
  }
});

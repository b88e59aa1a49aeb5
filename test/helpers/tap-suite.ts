// The shared tap suite: every tap kind runs the same checks with real peer processes.
//   socket kinds (unix takeover/proxy, tcp): Node peers (test/fixtures/node/taps/peer.mjs)
//   FIFO kinds (takeover/relay): the Go fifo-peer (syscall.Mkfifo, blocking opens)
// Checks: 64 MiB each way with sha256 equal at the far end and in the captured chunks;
// backpressure (a stalled reader stalls the writer: the tap reads only a bounded amount);
// 50 concurrent connections; half-close; a peer that resets (server side and client side) with
// the tap still accepting afterwards; the shape and order of events; nothing left on disk.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tap } from '../../extension/engine/taps/tap';
import { createTap } from '../../extension/engine/taps/create';
import { parseTapSpec } from '../../extension/engine/taps/spec';
import { journalDir } from '../../extension/engine/taps/journal';
import { Peer, RecordingSink } from './tap-peers';

export const MiB = 1024 * 1024;
const BULK = 64 * MiB;
const STALL_SEND = 64 * MiB;

export interface SocketFixture {
  kind: 'socket';
  name: string;
  /** Arguments after `peer.mjs server` (the server runs in a fresh temp dir). */
  serverArgs(dir: string): string[];
  /** The --tap spec in front of the running server (its ready address given). */
  spec(dir: string, serverAddress: string): string;
  /** Arguments after `peer.mjs client` that reach the tap. */
  clientArgs(tap: Tap): string[];
  /** Names in dir once the tap stopped (while the server still runs). */
  expectFiles: string[];
  /** Whether /proc (and `ss` for Unix sockets) can name the peer processes here. */
  peersKnowable: boolean;
}

export interface FifoFixture {
  kind: 'fifo';
  name: string;
  /** The FIFO the reader creates (syscall.Mkfifo) and reads. */
  readerPath(dir: string): string;
  spec(dir: string): string;
  expectFiles: string[];
}

/** Pids reported are the right ones; lookups have a time budget, so under load one side may be
 *  missing, but not both. */
function assertPeers(got: { client: number[]; server: number[] }, client: number, server: number): void {
  assert.ok(got.client.length + got.server.length > 0, 'the peer processes were found');
  if (got.client.length) assert.deepEqual(got.client, [client], 'the client process');
  if (got.server.length) assert.deepEqual(got.server, [server], 'the server process');
}

/** The pids the tap reported for a connection's client and server (in 'open' and later notes). */
function reportedPeers(sink: RecordingSink, conn: number): { client: number[]; server: number[] } {
  const out = { client: [] as number[], server: [] as number[] };
  for (const e of sink.events) {
    if (e.conn !== conn || !e.peers) continue;
    out.client.push(...(e.peers.client ?? []));
    out.server.push(...(e.peers.server ?? []));
  }
  return out;
}

export type TapFixture = SocketFixture | FifoFixture;

interface Ctx {
  dir: string;
  sink: RecordingSink;
  tap: Tap;
  peers: Peer[];
}

/** Registers the suite's tests for one tap kind. */
export function tapSuite(f: TapFixture): void {
  describe(`tap suite: ${f.name}`, () => {
    let stateDir = '';
    before(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'ipctap-state-'));
      process.env.IPCTAP_STATE_DIR = stateDir;
    });
    after(() => {
      rmSync(stateDir, { recursive: true, force: true });
    });
    if (f.kind === 'socket') socketTests(f);
    else fifoTests(f);
  });
}

const T = { timeout: 60_000 };

// ---------------------------------------------------------------- socket kinds

async function withSocketTap(f: SocketFixture, body: (c: Ctx & { server: Peer; client: (...a: string[]) => Peer }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-tap-'));
  const peers: Peer[] = [];
  const server = Peer.node(['server', ...f.serverArgs(dir)]);
  peers.push(server);
  let tap: Tap | undefined;
  const sink = new RecordingSink();
  try {
    const ready = await server.next((o) => 'ready' in o);
    tap = createTap(parseTapSpec(f.spec(dir, String(ready.ready))), sink);
    await tap.start();
    const t = tap;
    const client = (...a: string[]): Peer => {
      const p = Peer.node(['client', ...f.clientArgs(t), ...a]);
      peers.push(p);
      return p;
    };
    await body({ dir, sink, tap, peers, server, client });
    await tap.stop();
    assertEvents(sink, tap);
    assert.deepEqual(readdirSync(dir).sort(), [...f.expectFiles].sort(), 'files left in the directory after stop');
    assertJournalEmpty();
  } finally {
    await tap?.stop();
    await Promise.all(peers.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function socketTests(f: SocketFixture): void {
  test('64 MiB each way at once: sha256 equal at both far ends and in the capture', T, async () => {
    await withSocketTap(f, async ({ sink, server, client }) => {
      const c = client('bulk', String(BULK), String(BULK));
      const cr = await c.next((o) => o.event === 'bulk' || o.event === 'client-error', 50_000);
      const sr = await server.next((o) => o.event === 'bulk');
      assert.equal(cr.event, 'bulk', JSON.stringify(cr));
      assert.equal(cr.clean, true, 'client saw a clean EOF');
      await sink.waitClosed(1);
      const [conn] = sink.conns();
      assert.equal(sr.recvBytes, cr.sentBytes);
      assert.equal(sr.recvSha, cr.sentSha, 'server received what the client sent');
      assert.equal(cr.recvBytes, BULK);
      assert.equal(cr.recvSha, sr.sentSha, 'client received what the server sent');
      assert.equal(sink.bytes(conn, 'c2s'), cr.sentBytes);
      assert.equal(sink.sha(conn, 'c2s'), cr.sentSha, 'captured c2s equals what was sent');
      assert.equal(sink.bytes(conn, 's2c'), BULK);
      assert.equal(sink.sha(conn, 's2c'), sr.sentSha, 'captured s2c equals what was sent');
      assert.equal(sink.closeOf(conn)?.reason, 'eof');
      if (f.peersKnowable) assertPeers(reportedPeers(sink, conn), c.child.pid!, server.child.pid!);
    });
  });

  test('backpressure: a server that does not read stalls the client; nothing piles up in the tap', T, async () => {
    await withSocketTap(f, async ({ sink, server, client }) => {
      const c = client('stall', String(STALL_SEND));
      await sink.waitFor(() => sink.conns().length === 1 && sink.bytes(sink.conns()[0], 'c2s') > 0, 'first bytes');
      const conn = sink.conns()[0];
      const stalledAt = await settle(() => sink.bytes(conn, 'c2s'));
      assert.ok(stalledAt < STALL_SEND / 2, `the tap read ${stalledAt} of ${STALL_SEND} bytes while the server read nothing`);
      server.send('go');
      const sr = await server.next((o) => o.event === 'stall');
      const cr = await c.next((o) => o.event === 'stall' || o.event === 'client-error');
      assert.equal(sr.recvSha, cr.sentSha);
      await sink.waitClosed(1);
      assert.equal(sink.sha(conn, 'c2s'), cr.sentSha);
    });
  });

  test('small writes to a slow reader: every byte arrives in order (writes that wait keep their bytes)', T, async () => {
    // The tap reads into a buffer it reuses (read-pool.ts); towards a slow reader its writes
    // wait, and a read into a buffer a waiting write still holds would change bytes in flight.
    await withSocketTap(f, async ({ sink, server, client }) => {
      const c = client('trickle', String(8 * MiB), '700');
      const cr = await c.next((o) => o.event === 'trickle' || o.event === 'client-error', 50_000);
      const sr = await server.next((o) => o.event === 'slow');
      assert.equal(cr.event, 'trickle', JSON.stringify(cr));
      assert.equal(sr.recvBytes, cr.sentBytes);
      assert.equal(sr.recvSha, cr.sentSha, 'the slow server received exactly what the client sent');
      await sink.waitClosed(1);
      assert.equal(sink.sha(sink.conns()[0], 'c2s'), cr.sentSha, 'captured what was sent');
    });
  });

  test('50 concurrent connections each get their own bytes back', T, async () => {
    await withSocketTap(f, async ({ sink, client }) => {
      const c = client('echo-many', '50', String(256 * 1024));
      const r = await c.next((o) => o.event === 'echo-many' || o.event === 'client-error');
      assert.deepEqual({ ok: r.ok, failed: r.failed, problems: r.problems }, { ok: 50, failed: 0, problems: [] });
      await sink.waitClosed(50);
      const conns = sink.conns();
      assert.equal(new Set(conns).size, 50, 'distinct connection ids');
      for (const conn of conns) {
        assert.equal(sink.bytes(conn, 'c2s'), 5 + 256 * 1024);
        assert.equal(sink.sha(conn, 's2c'), sink.sha(conn, 'c2s'), `conn ${conn}: echo captured both ways`);
        assert.equal(sink.closeOf(conn)?.reason, 'eof');
      }
    });
  });

  test('half-close: the client ends its side and still gets the reply', T, async () => {
    await withSocketTap(f, async ({ sink, client }) => {
      const c = client('halfclose', String(1024 * 1024));
      const r = await c.next((o) => o.event === 'halfclose' || o.event === 'client-error');
      assert.equal(r.reply, r.expected);
      assert.equal(r.clean, true);
      await sink.waitClosed(1);
      const conn = sink.conns()[0];
      const order = sink.log
        .filter((l) => (l.t === 'event' ? l.ev.conn === conn : l.conn === conn))
        .filter((l) => l.t === 'chunk' || l.ev.kind !== 'note')
        .map((l) => (l.t === 'event' ? `${l.ev.kind}${l.ev.dir ? ':' + l.ev.dir : ''}` : `chunk:${l.dir}`))
        .filter((x, i, all) => x !== all[i - 1]); // a note between chunks splits a run
      assert.deepEqual(order, ['open', 'chunk:c2s', 'half-close:c2s', 'chunk:s2c', 'half-close:s2c', 'close']);
    });
  });

  test('a server that resets: recorded, the client is reset too, the tap keeps accepting', T, async () => {
    await withSocketTap(f, async ({ sink, client }) => {
      const r = await client('reset-server').next((o) => o.event === 'reset-server' || o.event === 'client-error');
      // TCP: the tap answers the server's RST with an RST to the client. Unix: the tap closes the
      // client's connection at once (a reset only where unread data is left on the tap's side).
      if (f.name.startsWith('tcp')) assert.match(String(r.error), /ECONNRESET/, 'the client saw the reset');
      await sink.waitClosed(1);
      const close = sink.closeOf(sink.conns()[0])!;
      assert.equal(close.reason, 'reset');
      assert.match(close.message ?? '', /server reset/);
      const b = await client('bulk', '1000', '1000').next((o) => o.event === 'bulk' || o.event === 'client-error');
      assert.equal(b.recvBytes, 1000, 'a new connection works after the reset');
    });
  });

  test('a client that resets: recorded, the server is reset too, the tap keeps accepting', T, async () => {
    await withSocketTap(f, async ({ sink, server, client }) => {
      await client('reset-client').next((o) => o.event === 'reset-client');
      const closed = await server.next((o) => o.event === 'conn-closed');
      const err = server.lines.find((o) => o.event === 'conn-error');
      assert.ok(closed.cleanEnd === false && err && /ECONNRESET|EPIPE/.test(String(err.code)), `the server saw a reset: ${JSON.stringify(err)}`);
      await sink.waitClosed(1);
      assert.equal(sink.closeOf(sink.conns()[0])?.reason, 'reset');
      const b = await client('bulk', '1000', '1000').next((o) => o.event === 'bulk' || o.event === 'client-error');
      assert.equal(b.recvBytes, 1000);
    });
  });
}

// ---------------------------------------------------------------- FIFO kinds

async function withFifoTap(f: FifoFixture, readerFlags: string[], body: (c: Ctx & { reader: Peer; writer: (...a: string[]) => Peer }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-tap-'));
  const peers: Peer[] = [];
  const reader = Peer.go('fifo-peer', ['read', f.readerPath(dir), '-mkfifo', ...readerFlags]);
  peers.push(reader);
  let tap: Tap | undefined;
  const sink = new RecordingSink();
  try {
    await reader.next((o) => o.ready === true);
    tap = createTap(parseTapSpec(f.spec(dir)), sink);
    await tap.start();
    const t = tap;
    const writer = (...a: string[]): Peer => {
      const p = Peer.go('fifo-peer', ['write', t.address!, ...a]);
      peers.push(p);
      return p;
    };
    await body({ dir, sink, tap, peers, reader, writer });
    await tap.stop();
    assertEvents(sink, tap);
    assert.deepEqual(readdirSync(dir).sort(), [...f.expectFiles].sort(), 'files left in the directory after stop');
    assertJournalEmpty();
  } finally {
    await tap?.stop();
    await Promise.all(peers.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function fifoTests(f: FifoFixture): void {
  test('64 MiB writer to reader: sha256 equal at the reader and in the capture', T, async () => {
    await withFifoTap(f, [], async ({ sink, reader, writer }) => {
      const writerPeer = writer(String(BULK));
      const w = await writerPeer.next((o) => 'sha256' in o, 50_000);
      const r = await reader.next((o) => 'sha256' in o);
      assert.equal(r.bytes, BULK);
      assert.equal(r.sha256, w.sha256, 'the reader got what the writer wrote');
      await sink.waitClosed(1);
      const [conn] = sink.conns();
      assert.equal(sink.bytes(conn, 'c2s'), BULK);
      assert.equal(sink.sha(conn, 'c2s'), w.sha256, 'captured bytes equal what was written');
      assert.equal(sink.closeOf(conn)?.reason, 'eof');
      assertPeers(reportedPeers(sink, conn), writerPeer.child.pid!, reader.child.pid!);
    });
  });

  test('backpressure: a reader that does not read stalls the writer', T, async () => {
    await withFifoTap(f, ['-wait-stdin'], async ({ sink, reader, writer }) => {
      const w = writer(String(STALL_SEND));
      await sink.waitFor(() => sink.conns().length === 1 && sink.bytes(sink.conns()[0], 'c2s') > 0, 'first bytes');
      const conn = sink.conns()[0];
      const stalledAt = await settle(() => sink.bytes(conn, 'c2s'));
      assert.ok(stalledAt < 8 * MiB, `the tap read ${stalledAt} bytes while the reader read nothing`);
      reader.send('go');
      const r = await reader.next((o) => 'sha256' in o, 50_000);
      const wr = await w.next((o) => 'sha256' in o);
      assert.equal(r.sha256, wr.sha256);
      await sink.waitClosed(1);
      assert.equal(sink.sha(conn, 'c2s'), wr.sha256);
    });
  });

  test('EOF semantics: each writer session ends in EOF at the reader and is its own connection', T, async () => {
    await withFifoTap(f, ['-sessions', '3', '-keep'], async ({ sink, reader, writer }) => {
      const texts = ['first session\n', 'second session\n', 'third\n'];
      const wrote: string[] = [];
      for (const text of texts) {
        const w = await writer('0', '-text', text).next((o) => 'sha256' in o);
        wrote.push(String(w.sha256));
        // the reader saw EOF for this session before the next writer starts
        const r = await reader.next((o) => 'sha256' in o);
        assert.equal(r.sha256, w.sha256);
        assert.equal(r.bytes, Buffer.byteLength(text));
      }
      await sink.waitClosed(3);
      const conns = sink.conns();
      assert.equal(conns.length, 3, 'one connection per writer session');
      conns.forEach((conn, i) => {
        assert.equal(sink.sha(conn, 'c2s'), wrote[i]);
        assert.equal(sink.closeOf(conn)?.reason, 'eof');
        assert.ok(sink.events.some((e) => e.kind === 'half-close' && e.conn === conn && e.dir === 'c2s'));
      });
    });
  });
}

// ---------------------------------------------------------------- shared checks

/** Polls a growing counter until it stops growing for 500 ms; returns its value. */
async function settle(read: () => number): Promise<number> {
  let last = read();
  let stableSince = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const v = read();
    if (v !== last) {
      last = v;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 500) return v;
  }
}

const REASONS = new Set(['eof', 'reset', 'error', 'stopped']);

/** Events are well-formed and ordered: tap-ready first, each conn open → chunks/half-close →
 *  close, tap-stopped last. */
export function assertEvents(sink: RecordingSink, tap: Tap): void {
  assert.deepEqual(sink.problems, []);
  const events = sink.events.filter((e) => e.kind !== 'note');
  assert.equal(events[0]?.kind, 'tap-ready', 'tap-ready comes first');
  assert.equal(events[0].tap, tap.spec);
  assert.equal(events[0].address, tap.address);
  assert.equal(typeof events[0].message, 'string');
  assert.equal(events[events.length - 1].kind, 'tap-stopped', 'tap-stopped comes last');
  const state = new Map<number, { closed: boolean; half: Set<string> }>();
  for (const l of sink.log) {
    if (l.t === 'chunk') {
      const s = state.get(l.conn);
      assert.ok(s && !s.closed, `chunk of conn ${l.conn} outside open..close`);
      assert.ok(!s.half.has(l.dir), `chunk of conn ${l.conn} ${l.dir} after its half-close`);
      continue;
    }
    const e = l.ev;
    if (e.kind === 'note' || e.kind === 'tap-ready' || e.kind === 'tap-stopped' || e.kind === 'restored') continue;
    assert.equal(e.tap, tap.spec, `${e.kind} names its tap`);
    if (e.kind === 'open') {
      assert.equal(typeof e.conn, 'number');
      assert.ok(!state.has(e.conn!), `conn ${e.conn} opened twice`);
      assert.ok(typeof e.from === 'string' && e.from.length > 0 && typeof e.to === 'string' && e.to.length > 0, 'open has from and to');
      for (const side of ['client', 'server'] as const) {
        const pids = e.peers?.[side];
        if (pids)
          assert.ok(
            pids.every((p) => Number.isInteger(p) && p > 0 && p !== process.pid),
            `open peers.${side} are other pids`,
          );
      }
      state.set(e.conn!, { closed: false, half: new Set() });
    } else if (e.kind === 'half-close') {
      const s = state.get(e.conn!);
      assert.ok(s && !s.closed, `half-close of conn ${e.conn} outside open..close`);
      assert.ok(e.dir === 'c2s' || e.dir === 's2c');
      assert.ok(!s.half.has(e.dir), 'one half-close per direction');
      s.half.add(e.dir);
    } else if (e.kind === 'close') {
      const s = state.get(e.conn!);
      assert.ok(s && !s.closed, `close of conn ${e.conn} without open or twice`);
      assert.ok(REASONS.has(e.reason ?? ''), `close reason ${e.reason}`);
      if (e.reason === 'reset' || e.reason === 'error') assert.equal(typeof e.message, 'string');
      s.closed = true;
    }
  }
  for (const [conn, s] of state) assert.ok(s.closed, `conn ${conn} was never closed`);
}

export function assertJournalEmpty(): void {
  let names: string[] = [];
  try {
    names = readdirSync(journalDir());
  } catch {
    // no journal dir: nothing recorded
  }
  assert.deepEqual(names, [], 'journal entries left behind');
}

// peerPidsOfSocket against real peer processes over Unix sockets and TCP, both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerPidsOfSocket, peerScans } from '../../../extension/engine/process/procfs';
import { ssAvailable, ssHelperPid, ssRuns, unixPeerMap } from '../../../extension/engine/process/ss';
import { goBinary } from '../../helpers/go';

function listenOnce(server: Server, addr: string | { port: number; host: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof addr === 'string') server.listen(addr, resolve);
    else server.listen(addr.port, addr.host, resolve);
  });
}

/** Start a socat client process connecting to `target`; resolve with it and our accepted socket. */
async function clientProcess(server: Server, target: string): Promise<{ child: ChildProcess; accepted: Socket }> {
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const child = spawn('socat', ['-', target], { stdio: ['pipe', 'pipe', 'inherit'] });
  return { child, accepted: await accepted };
}

/** The lookup is best effort under load (a bounded /proc scan): ask again for up to 3 s before
 *  taking an empty answer as the answer. */
async function peersSettled(sock: Socket): Promise<number[]> {
  const end = Date.now() + 3000;
  for (;;) {
    const pids = await peerPidsOfSocket(sock);
    if (pids.length > 0 || Date.now() > end) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await done;
}

async function goServer(args: string[]): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(goBinary('unixserver'), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((r) => child.stdout!.once('data', (b: Buffer) => r(b.toString())));
  return { child, addr: line.trim().replace(/^listening /, '') };
}

test('`ss` is there for Unix socket peers (iproute2)', async () => {
  const m = await unixPeerMap();
  assert.ok(m.available && ssAvailable(), 'ss (iproute2) is not installed: Unix socket peers cannot be known');
});

test("Unix socket: the accepted socket's peer is the client process, and the client's peer is the server", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-peer-'));
  const server = createServer();
  const path = join(dir, 's.sock');
  await listenOnce(server, path);
  const { child, accepted } = await clientProcess(server, `UNIX-CONNECT:${path}`);
  try {
    assert.deepEqual(await peersSettled(accepted), [child.pid]);
  } finally {
    await stop(child);
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // The other way round: we are the client of a Go server.
  const dir2 = mkdtempSync(join(tmpdir(), 'ipctap-peer-'));
  const srv = await goServer([join(dir2, 'g.sock')]);
  const sock = createConnection(srv.addr);
  try {
    await new Promise((r) => sock.once('connect', r));
    assert.deepEqual(await peersSettled(sock), [srv.child.pid]);
    sock.destroy();
    assert.deepEqual(await peerPidsOfSocket(sock), [], 'a closed socket has no peer');
  } finally {
    sock.destroy();
    await stop(srv.child);
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('TCP over IPv4: both directions; a peer inside our own process is not reported', async () => {
  const server = createServer();
  await listenOnce(server, { port: 0, host: '127.0.0.1' });
  const port = (server.address() as { port: number }).port;
  const { child, accepted } = await clientProcess(server, `TCP4:127.0.0.1:${port}`);
  const runs = ssRuns.tcp;
  try {
    assert.deepEqual(await peerPidsOfSocket(accepted), [child.pid]);
  } finally {
    await stop(child);
  }
  // Client and server both in this process: nobody else holds the other end.
  const acc = new Promise<Socket>((r) => server.once('connection', r));
  const own = createConnection(port, '127.0.0.1');
  const mine = await acc;
  try {
    assert.deepEqual(await peerPidsOfSocket(mine), []);
    assert.deepEqual(await peerPidsOfSocket(own), []);
  } finally {
    own.destroy();
    mine.destroy();
    server.close();
  }
  // Through the kernel's port filter (ss), not by reading all of /proc/net/tcp: one run per
  // lookup above (made one after another).
  assert.equal(ssRuns.tcp, runs + 3, 'filtered ss runs answered the TCP lookups');
  const srv = await goServer(['-tcp']);
  const [host, p] = [srv.addr.slice(0, srv.addr.lastIndexOf(':')), Number(srv.addr.slice(srv.addr.lastIndexOf(':') + 1))];
  const sock = createConnection(p, host);
  try {
    await new Promise((r) => sock.once('connect', r));
    assert.deepEqual(await peerPidsOfSocket(sock), [srv.child.pid]);
  } finally {
    sock.destroy();
    await stop(srv.child);
  }
});

test('TCP over IPv6 loopback (::1)', async (t) => {
  const server = createServer();
  try {
    await listenOnce(server, { port: 0, host: '::1' });
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  const port = (server.address() as { port: number }).port;
  const { child, accepted } = await clientProcess(server, `TCP6:[::1]:${port}`);
  try {
    assert.equal(accepted.remoteAddress, '::1');
    assert.deepEqual(await peerPidsOfSocket(accepted), [child.pid]);
  } finally {
    await stop(child);
    server.close();
  }
});

test('TCP to a dual-stack listener from an IPv4 client (::ffff:127.0.0.1 on our side)', async () => {
  const server = createServer();
  await listenOnce(server, { port: 0, host: '::' });
  const port = (server.address() as { port: number }).port;
  const { child, accepted } = await clientProcess(server, `TCP4:127.0.0.1:${port}`);
  try {
    assert.equal(accepted.remoteAddress, '::ffff:127.0.0.1');
    assert.deepEqual(await peerPidsOfSocket(accepted), [child.pid]);
  } finally {
    await stop(child);
    server.close();
  }
});

test("20 clients at once (one batched scan): each accepted socket gets its own client's pid", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-peer-'));
  const server = createServer();
  const path = join(dir, 'many.sock');
  await listenOnce(server, path);
  const accepted: Socket[] = [];
  const children: ChildProcess[] = [];
  try {
    // Each client says its own pid first, so we know which accepted socket is whose.
    const whose = new Map<Socket, number>();
    const got = new Promise<void>((resolve) => {
      server.on('connection', (s) => {
        accepted.push(s);
        s.once('data', (b) => {
          whose.set(s, Number(b.toString().trim()));
          if (whose.size === 20) resolve();
        });
      });
    });
    for (let i = 0; i < 20; i++) children.push(spawn('sh', ['-c', `echo $$; exec socat - UNIX-CONNECT:${path}`], { stdio: ['pipe', 'pipe', 'inherit'] }));
    // sh prints its pid on stdout, then execs socat (same pid) which relays our stdin: send it back.
    for (const c of children) c.stdout!.once('data', (b: Buffer) => c.stdin!.write(b));
    await got;
    const answers = await Promise.all(accepted.map((s) => peerPidsOfSocket(s)));
    accepted.forEach((s, i) => assert.deepEqual(answers[i], [whose.get(s)]));
  } finally {
    for (const s of accepted) s.destroy();
    await Promise.all(children.map(stop));
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Unix peer lookups run `ss` through one long-lived helper shell (no spawn from the engine per lookup)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-sshelper-'));
  const path = join(dir, 's.sock');
  const server = createServer(() => undefined);
  server.listen(path);
  await once(server, 'listening');
  try {
    const client = createConnection(path);
    await once(client, 'connect');
    const ownInode = Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${(client as unknown as { _handle: { fd: number } })._handle.fd}`))![1]);
    const first = await unixPeerMap();
    assert.ok(first.available, 'ss answered');
    const peer = first.peers.get(ownInode);
    assert.ok(peer && peer > 0, 'the connected socket has a peer inode');
    assert.equal(first.peers.get(peer), ownInode, 'and the peer points back');
    const pid = ssHelperPid();
    assert.ok(pid, 'a helper runs');
    for (let i = 0; i < 5; i++) assert.ok((await unixPeerMap()).peers.has(ownInode));
    assert.equal(ssHelperPid(), pid, 'the same helper answered every lookup');
    client.destroy();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one client process after another on the same listener: each connection gets its own client (recent peers are looked at first, not taken for granted)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-peer-'));
  const server = createServer();
  const path = join(dir, 's.sock');
  await listenOnce(server, path);
  try {
    for (let i = 0; i < 3; i++) {
      const { child, accepted } = await clientProcess(server, `UNIX-CONNECT:${path}`);
      try {
        assert.deepEqual(await peersSettled(accepted), [child.pid], `client ${i}`);
      } finally {
        await stop(child);
      }
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a burst of short connections whose far end is gone shares full /proc scans (at most one per 100 ms)', async () => {
  // Client and server both in this process: no other process holds either end, so every lookup
  // misses the recent peers and needs a full scan, like a short connection already closed.
  const server = createServer((s) => s.on('error', () => undefined));
  await listenOnce(server, { port: 0, host: '127.0.0.1' });
  const port = (server.address() as { port: number }).port;
  const before = peerScans.full;
  const lookups: Promise<number[]>[] = [];
  const socks: Socket[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < 30; i++) {
      const acc = new Promise<Socket>((r) => server.once('connection', r));
      const c = createConnection(port, '127.0.0.1');
      socks.push(c, await acc);
      lookups.push(peerPidsOfSocket(socks.at(-1)!));
      await new Promise((r) => setTimeout(r, 5));
    }
    const results = await Promise.all(lookups);
    const ms = performance.now() - t0;
    assert.ok(
      results.every((r) => r.length === 0),
      'nobody else holds these sockets',
    );
    const scans = peerScans.full - before;
    // one per FULL_SCAN_GAP_MS of the burst, plus the first (was one per lookup batch: ~30)
    assert.ok(scans >= 1 && scans <= Math.ceil(ms / 100) + 1, `${scans} full scans for 30 lookups in ${ms.toFixed(0)} ms`);
  } finally {
    for (const s of socks) s.destroy();
    server.close();
  }
});

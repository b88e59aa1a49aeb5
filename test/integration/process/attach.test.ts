// Attach listing against real processes: a Go Unix socket server with a client, a Go TCP server
// with a client, a Go program talking to its child over os.Pipe, a FIFO, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEndpoints } from '../../../extension/engine/process/attach-format';
import { listEndpoints, listProcessesWithEndpoints, type Endpoint } from '../../../extension/engine/process/attach';
import { UserError } from '../../../extension/engine/util/errors';
import { runCliAsNobody } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const children: ChildProcess[] = [];
function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  return c;
}
function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const on = (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('\n')) {
        c.stdout!.off('data', on);
        resolve(buf.slice(0, buf.indexOf('\n')));
      }
    };
    c.stdout!.on('data', on);
  });
}
async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await done;
    }),
  );
}
/** Retry until the endpoints satisfy pred (a connection may take a moment to show in /proc). */
async function endpointsWhen(pid: number, pred: (e: Endpoint[]) => boolean): Promise<Endpoint[]> {
  let eps: Endpoint[] = [];
  for (let i = 0; i < 50; i++) {
    eps = await listEndpoints(pid);
    if (pred(eps)) return eps;
    await new Promise((r) => setTimeout(r, 20));
  }
  return eps;
}

test('Go Unix socket server: its listening path with the --tap spec, and a connected client shown as peer (both sides)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-attach-'));
  try {
    const path = join(dir, 'app.sock');
    const srv = start(goBinary('unixserver'), [path]);
    assert.equal(await firstLine(srv), `listening ${path}`);
    const cli = start('socat', ['-', `UNIX-CONNECT:${path}`]);
    const eps = await endpointsWhen(srv.pid!, (e) => e.some((x) => x.kind === 'unix' && x.state === 'connected' && x.local === path));
    const listening = eps.find((e) => e.kind === 'unix' && e.state === 'listening');
    assert.ok(listening, JSON.stringify(eps));
    assert.equal(listening.local, path);
    assert.equal(listening.tapSpec, `unix:${path}`);
    const conn = eps.find((e) => e.kind === 'unix' && e.state === 'connected' && e.local === path);
    assert.ok(conn);
    assert.deepEqual(
      conn.peers?.map((p) => p.pid),
      [cli.pid],
    );
    assert.equal(conn.peers?.[0].name, 'socat');
    assert.equal(conn.tapSpec, undefined);

    // The client's view: connected to the server's path, the server as peer.
    const ceps = await listEndpoints(cli.pid!);
    const out = ceps.find((e) => e.kind === 'unix' && e.remote === path);
    assert.ok(out, JSON.stringify(ceps));
    assert.deepEqual(
      out.peers?.map((p) => p.pid),
      [srv.pid],
    );

    // stdio fds are marked.
    assert.deepEqual(
      eps.filter((e) => e.stdio).map((e) => [e.fd, e.stdio]),
      [
        [0, 'stdin'],
        [1, 'stdout'],
        [2, 'stderr'],
      ],
    );

    const text = formatEndpoints(eps);
    assert.match(text, /^FD\s+KIND\s+STATE\s+ADDRESS\s+PEER\s+TAP WITH/);
    assert.ok(text.includes(`--tap unix:${path}`), text);
    assert.match(text, new RegExp(`unix\\s+connected\\s+${path.replace(/[.]/g, '\\.')}\\s+${cli.pid} socat`));
    assert.ok(text.includes('connections already open are not captured'));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('abstract Unix socket: shown as @name, no takeover spec', async () => {
  const name = `ipctap-test-${process.pid}`;
  const srv = start('socat', [`ABSTRACT-LISTEN:${name},fork`, 'EXEC:cat']);
  try {
    const eps = await endpointsWhen(srv.pid!, (e) => e.some((x) => x.kind === 'unix' && x.state === 'listening'));
    const l = eps.find((e) => e.kind === 'unix' && e.state === 'listening');
    assert.equal(l?.local, `@${name}`);
    assert.equal(l?.tapSpec, undefined);
    assert.match(l?.note ?? '', /abstract name: cannot be taken over/);
  } finally {
    await stopAll();
  }
});

test('Go TCP server: listener with its tcp: tap spec, connection with the client as peer', async () => {
  try {
    const srv = start(goBinary('unixserver'), ['-tcp']);
    const addr = (await firstLine(srv)).replace(/^listening /, '');
    const port = Number(addr.split(':')[1]);
    const cli = start('socat', ['-', `TCP4:${addr}`]);
    const eps = await endpointsWhen(srv.pid!, (e) => e.some((x) => x.kind === 'tcp' && x.state === 'established'));
    const l = eps.find((e) => e.kind === 'tcp' && e.state === 'listening');
    assert.equal(l?.local, `127.0.0.1:${port}`);
    assert.equal(l?.family, 4);
    assert.equal(l?.tapSpec, `tcp:0=127.0.0.1:${port}`);
    const c = eps.find((e) => e.kind === 'tcp' && e.state === 'established');
    assert.equal(c?.local, `127.0.0.1:${port}`);
    assert.match(c?.remote ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      c?.peers?.map((p) => p.pid),
      [cli.pid],
    );
  } finally {
    await stopAll();
  }
});

test('TCP listener on IPv6 loopback: [::1]:port and a tcp:0=[::1]:port spec', async (t) => {
  const { createServer } = await import('node:net');
  const probe = createServer();
  const v6 = await new Promise<boolean>((r) => {
    probe.once('error', () => r(false));
    probe.listen(0, '::1', () => probe.close(() => r(true)));
  });
  if (!v6) {
    t.skip('no IPv6 loopback here');
    return;
  }
  const srv = start('socat', ['TCP6-LISTEN:0,bind=[::1],fork', 'EXEC:cat']);
  try {
    const eps = await endpointsWhen(srv.pid!, (e) => e.some((x) => x.kind === 'tcp' && x.state === 'listening'));
    const l = eps.find((e) => e.kind === 'tcp' && e.state === 'listening');
    assert.ok(l, JSON.stringify(eps));
    assert.match(l.local!, /^\[::1\]:\d+$/);
    assert.equal(l.family, 6);
    assert.equal(l.tapSpec, `tcp:0=${l.local}`);
  } finally {
    await stopAll();
  }
});

test('Go program with a child over os.Pipe: the write end shows the child as the reader', async () => {
  try {
    const pc = start(goBinary('pipechild'), []);
    const childPid = Number((await firstLine(pc)).replace(/^child /, ''));
    assert.ok(childPid > 0);
    const eps = await endpointsWhen(pc.pid!, (e) => e.some((x) => x.kind === 'pipe' && x.peers?.some((p) => p.pid === childPid)));
    const w = eps.find((e) => e.kind === 'pipe' && e.fd > 2 && e.peers?.some((p) => p.pid === childPid && p.mode === 'read'));
    assert.ok(w, JSON.stringify(eps, null, 1));
    assert.equal(w.mode, 'write');
    // And from the child's side: fd 3 reads, the parent writes.
    const ceps = await listEndpoints(childPid);
    const r = ceps.find((e) => e.fd === 3);
    assert.equal(r?.kind, 'pipe');
    assert.equal(r?.mode, 'read');
    assert.equal(r?.peers?.[0]?.pid, pc.pid);
    assert.equal(r?.peers?.[0]?.mode, 'write');
    assert.match(formatEndpoints(ceps), new RegExp(`3\\s+pipe\\s+read\\s+pipe:\\[\\d+\\]\\s+${pc.pid} pipechild\\S* writes`));
  } finally {
    await stopAll();
  }
});

test('a FIFO: kind fifo, its path, the fifo: tap spec, the process at the other end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-attach-'));
  try {
    const fifo = join(dir, 'q.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = start('sh', ['-c', `exec cat ${fifo} > /dev/null`]);
    const fd = openSync(fifo, 'w'); // we are the writer (after the reader opened it)
    try {
      const eps = await endpointsWhen(reader.pid!, (e) => e.some((x) => x.kind === 'fifo'));
      const f = eps.find((e) => e.kind === 'fifo');
      assert.equal(f?.local, fifo);
      assert.equal(f?.mode, 'read');
      assert.equal(f?.tapSpec, `fifo:${fifo}`);
      assert.ok(
        f?.peers?.some((p) => p.pid === process.pid && p.mode === 'write'),
        JSON.stringify(f),
      );
    } finally {
      closeSync(fd);
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pid that does not exist, or is not a pid: clear errors', async () => {
  await assert.rejects(listEndpoints(4194305), (e: unknown) => e instanceof UserError && e.message === 'no process with pid 4194305');
  await assert.rejects(listEndpoints(0), (e: unknown) => e instanceof UserError && /positive integer/.test(e.message));
});

test("another user's process cannot be read: says whose it is (reader runs as nobody via setpriv)", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to drop to nobody');
    return;
  }
  const srv = start('sleep', ['30']);
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-attach-'));
  try {
    const r = runCliAsNobody(dir, ['attach', String(srv.pid)]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), `ipctap: cannot read the open files of pid ${srv.pid} (sleep, owned by root): run ipctap as that user or with sudo`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('process picker: same-user processes with endpoints, with counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-attach-'));
  try {
    const path = join(dir, 'p.sock');
    const srv = start(goBinary('unixserver'), [path]);
    await firstLine(srv);
    const { processes, truncated } = await listProcessesWithEndpoints();
    assert.equal(truncated, false);
    const me = processes.find((p) => p.pid === srv.pid);
    assert.ok(me, 'the server is not listed');
    assert.match(me.name, /^unixserver/);
    assert.ok(me.command.includes(path));
    // stdin+stdout socketpairs from spawn, the listener, and Go's internal pipes.
    assert.ok(me.endpoints >= 3, String(me.endpoints));
    assert.ok(!processes.some((p) => p.pid === process.pid), 'ipctap itself is listed');
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

// ipctap run --trace / attach --trace with real Go programs traced by the real strace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { goBinary } from '../../helpers/go';
import { b64, cliEnv, frames, LiveCli, runCli, runCliAsNobody } from '../../helpers/cli';
import { fdLinks, holdersOf } from '../../helpers/proc-fds';

const env = cliEnv();
after(() => env.cleanup());

type RowObj = Record<string, unknown>;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytesOf = (rows: RowObj[], conn: unknown, dir: string) => Buffer.concat(frames(rows, (f) => f.conn === conn && f.dir === dir).map(b64));

test('run --trace: a parent and child over os.Pipe (gob) and a socketpair (lines), both directions byte-exact', async () => {
  const bin = goBinary('tracepair');
  const cap = join(env.dir, 'tracepair.ipctap');
  const r = await runCli(['run', '--trace', '--json', '-w', cap, '--', bin], { env: env.env, timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const rows: RowObj[] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // The capture reads back to the same frames.
  const again = await runCli(['read', '--json', cap], { env: env.env });
  const reread: RowObj[] = again.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    frames(reread).map((f) => [f.id, f.conn, f.dir, f.proto, f.data]),
    frames(rows).map((f) => [f.id, f.conn, f.dir, f.proto, f.data]),
  );
  const stdout = Buffer.concat(frames(rows, (f) => String(f.tap).startsWith('stdio') && f.dir === 'stdout').map(b64)).toString();
  const want = Object.fromEntries([...stdout.matchAll(/^(child-pipe|child-sock|parent-sock) ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]));
  assert.equal(Object.keys(want).length, 3, stdout);
  const opens = rows.filter((x) => x.kind === 'open' && x.tap === 'trace');
  const pipe = opens.find((o) => String(o.from).startsWith('pipe:'));
  const sock = opens.find((o) => String(o.from).startsWith('UNIX-STREAM:'));
  assert.ok(pipe && sock, JSON.stringify(opens));
  // Nothing of the program's stdio is traced twice (the stdio tap has it).
  assert.equal(opens.length, 2, JSON.stringify(opens));
  // The gob stream: byte-exact although one message is larger than strace prints in one string
  // (the reader's reads fill in what the writer's call left out), decoded message by message.
  assert.equal(sha(bytesOf(rows, pipe.conn, 'c2s')), want['child-pipe']);
  const gob = frames(rows, (f) => f.conn === pipe.conn);
  assert.ok(
    gob.every((f) => f.proto === 'gob' && !f.error),
    JSON.stringify(gob.filter((f) => f.error).slice(0, 2)),
  );
  assert.deepEqual(
    gob
      .filter((f) => /^Msg /.test(String(f.summary)))
      .map((f) => (f.decoded as { value?: { N?: number } })?.value?.N ?? JSON.stringify(f.decoded).match(/"N":(\d+)/)?.[1])
      .map(Number),
    [...Array(20).keys()],
  );
  assert.ok(!rows.some((x) => x.kind === 'gap'), 'no bytes missing');
  // The socketpair: pings one way, pongs the other, as lines.
  const c2s = bytesOf(rows, sock.conn, 'c2s');
  const s2c = bytesOf(rows, sock.conn, 's2c');
  const pingDir = c2s.toString().startsWith('ping') ? [c2s, s2c] : [s2c, c2s];
  assert.equal(sha(pingDir[0]!), want['parent-sock']);
  assert.equal(sha(pingDir[1]!), want['child-sock']);
  assert.equal(pingDir[1]!.toString(), 'pong 0\npong 1\npong 2\npong 3\npong 4\n');
  assert.ok(frames(rows, (f) => f.conn === sock.conn).every((f) => f.proto === 'lines'));
  // The child's exit is recorded (the parent's by the launcher).
  const pids = new Set(rows.filter((x) => x.kind === 'exit').map((x) => x.pid));
  assert.ok(pids.size >= 2, JSON.stringify(rows.filter((x) => x.kind === 'exit')));
  // The launch names the program as the user gave it: strace is how it runs, not what it is.
  assert.deepEqual(
    rows.filter((x) => x.kind === 'spawn').map((x) => x.command),
    [[bin]],
  );
});

test('run --trace: writev/readv, sendmsg/recvmsg and sendmmsg/recvmmsg of 4 KiB and 64 KiB buffers, alone and among others, arrive byte-exact with no gap', async () => {
  const script = join(__dirname, '../../fixtures/python/vectored.py');
  const cap = join(env.dir, 'vectored.ipctap');
  const r = await runCli(['run', '--trace', '--json', '-d', 'raw', '-w', cap, '--', '/usr/bin/python3', script, '4096', '65536'], { env: env.env, timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const read = await runCli(['read', '--json', '-d', 'raw', cap], { env: env.env });
  for (const out of [r.stdout, read.stdout]) {
    const rows: RowObj[] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stdout = Buffer.concat(frames(rows, (f) => String(f.tap).startsWith('stdio') && f.dir === 'stdout').map(b64)).toString();
    const want = [...stdout.matchAll(/^(pipe|sock|mmsg) ([0-9a-f]{64})$/gm)].map((m) => m[2]);
    assert.equal(want.length, 3, stdout);
    const opens = rows.filter((x) => x.kind === 'open' && x.tap === 'trace');
    assert.equal(opens.length, 3, JSON.stringify(opens));
    assert.deepEqual(
      opens.map((o) => sha(bytesOf(rows, o.conn, 'c2s'))),
      want,
    );
    assert.deepEqual(
      rows.filter((x) => x.kind === 'gap'),
      [],
    );
  }
});

test('run --trace: signals another process sends are events with the sender pid; the exit is recorded', async () => {
  const bin = goBinary('signals');
  const live = new LiveCli(['run', '--trace', '--json', '--', bin], env.env);
  try {
    const ready = await live.waitFor((x) => x.type === 'frame' && /ready \d+/.test(b64(x).toString()));
    const pid = Number(/ready (\d+)/.exec(b64(ready).toString())![1]);
    for (const sig of ['USR1', 'HUP']) {
      const kill = spawn('kill', [`-${sig}`, String(pid)]);
      const killer = kill.pid;
      await new Promise((r) => kill.on('close', r));
      const ev = await live.waitFor((x) => x.kind === 'signal-received' && x.signal === `SIG${sig}`);
      assert.equal(ev.pid, pid);
      assert.equal(ev.senderPid, killer);
      await live.waitFor((x) => x.type === 'frame' && b64(x).toString().includes(`got SIG${sig}`));
    }
    process.kill(pid, 'SIGTERM');
    const exit = await live.waitFor((x) => x.kind === 'exit' && x.pid === pid);
    assert.equal(exit.code, 43);
    const done = await live.closed;
    assert.equal(done.code, 43);
  } finally {
    await live.stop();
  }
});

/** A Go fixture running outside ipctap, its stdout read line by line. */
function startFixture(name: string, args: string[] = []) {
  const p = spawn(goBinary(name), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  const waitOut = async (re: RegExp, ms = 15000): Promise<RegExpMatchArray> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (Date.now() > end) throw new Error(`${name} never printed ${re}: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { p, waitOut, stop: () => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL') };
}

function procStatus(pid: number, field: string): string | undefined {
  try {
    return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The CPUs each thread of `pid` may run on, as /proc lists them (one entry per distinct list). */
function threadCpus(pid: number): string[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const cpus = tids.map((t) => {
    try {
      return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1];
    } catch {
      return undefined; // (the thread ended meanwhile)
    }
  });
  return [...new Set(cpus.filter((c) => c !== undefined))].sort();
}

/** The CPUs this test may use ("0-1"), and whether there are two or more (else nothing is pinned). */
const ownCpus = procStatus(process.pid, 'Cpus_allowed_list')!;
const severalCpus = /[-,]/.test(ownCpus);

test(
  'attach --trace: the process and strace share one CPU while traced; Ctrl-C gives every thread its CPUs back; --trace-all-cpus leaves them',
  { skip: !severalCpus && 'one CPU: nothing to pin' },
  async () => {
    const prog = startFixture('signals');
    try {
      await prog.waitOut(/^ready \d+$/m);
      const pid = prog.p.pid!;
      assert.deepEqual(threadCpus(pid), [ownCpus]);
      const live = new LiveCli(['attach', String(pid), '--trace', '--json'], env.env);
      await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
      const tracer = Number(procStatus(pid, 'TracerPid'));
      const pinned = threadCpus(pid);
      assert.equal(pinned.length, 1, `every thread on the same CPUs: ${pinned.join(' | ')}`);
      assert.match(pinned[0]!, /^\d+$/, 'one CPU');
      assert.equal(procStatus(tracer, 'Cpus_allowed_list'), pinned[0], 'strace on the same CPU');
      await live.stop();
      assert.equal(procStatus(pid, 'TracerPid'), '0');
      assert.deepEqual(threadCpus(pid), [ownCpus], 'its CPUs back');

      // A process started while traced is born pinned, and gets its CPUs back too.
      const flag = join(env.dir, 'fork-now');
      const sh = spawn('sh', ['-c', `while [ ! -e '${flag}' ]; do sleep 0.02; done; sleep 30 & echo $!; wait`], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const shTrace = new LiveCli(['attach', String(sh.pid), '--trace', '--json'], env.env);
        await shTrace.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
        writeFileSync(flag, '');
        const child = Number(await new Promise<string>((r) => sh.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
        assert.match(threadCpus(child).join(' | '), /^\d+$/, 'the child started while traced runs on the one CPU');
        await shTrace.stop();
        assert.deepEqual(threadCpus(child), [ownCpus], "the child's CPUs back");
        assert.deepEqual(threadCpus(sh.pid!), [ownCpus], "the shell's CPUs back");
        process.kill(child, 'SIGKILL');
      } finally {
        sh.kill('SIGKILL');
      }

      const all = new LiveCli(['attach', String(pid), '--trace', '--trace-all-cpus', '--json'], env.env);
      await all.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
      assert.deepEqual(threadCpus(pid), [ownCpus], '--trace-all-cpus: not pinned');
      await all.stop();
    } finally {
      prog.stop();
    }
  },
);

test('attach --trace: a net/rpc connection open before ipctap started; calls afterwards are captured after a mid-stream marker and recognised as net/rpc (no --decode)', async () => {
  const server = startFixture('rpcserver', ['tcp']);
  let live: LiveCli | undefined;
  try {
    const addr = (await server.waitOut(/^(127\.0\.0\.1:\d+)$/m))[1]!;
    const pinger = startFixture('rpcpinger', [addr]);
    try {
      await pinger.waitOut(/^connected$/m);
      live = new LiveCli(['attach', String(server.p.pid), '--trace', '--json'], env.env);
      await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
      pinger.p.stdin!.write('6\n');
      await pinger.waitOut(/^reply 42$/m);
      // The type definitions went before the attach: the calls are still told apart by their shape.
      const reply = await live.waitFor((x) => x.type === 'frame' && x.dir === 's2c' && (x.decoded as RowObj | undefined)?.kind === 'response');
      assert.equal(reply.proto, 'netrpc');
      assert.deepEqual(reply.decoded, { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 1, reply: 42, error: '', bodyType: 'int' });
      const call = live.rows.find((x) => x.type === 'frame' && x.conn === reply.conn && x.dir === 'c2s')!;
      assert.equal(call.proto, 'netrpc');
      assert.deepEqual([(call.decoded as RowObj).kind, (call.decoded as RowObj).serviceMethod, (call.decoded as RowObj).seq], ['request', 'Arith.Multiply', 1]);
      assert.match(String(call.error), /defined before the capture started/);
      const open = live.rows.find((x) => x.kind === 'open' && x.conn === reply.conn)!;
      assert.match(String(open.from), /^TCP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:\d+\]$/);
      assert.match(String(open.message), new RegExp(`^pid ${server.p.pid} \\(rpcserver[^)]*\\) (reads|writes) it on fd \\d+$`));
      const marker = live.rows.find((x) => x.kind === 'gap' && x.conn === reply.conn);
      assert.ok(marker && Number(marker.id) < Number(reply.id), 'the mid-stream marker comes first');
      assert.match(String(marker.message), /mid-stream/);
      const request = Buffer.concat(frames(live.rows, (f) => f.conn === reply.conn && f.dir === 'c2s').map(b64));
      assert.ok(request.includes('Arith.Multiply'), request.toString('latin1'));
      const stopped = await live.stop();
      assert.equal(stopped.code, 0, live.stderr);
      // Detached: the server is no longer traced and still serves.
      assert.equal(procStatus(server.p.pid!, 'TracerPid'), '0');
      pinger.p.stdin!.write('2\n');
      await pinger.waitOut(/^reply 14$/m);
    } finally {
      pinger.stop();
    }
  } finally {
    await live?.stop();
    server.stop();
  }
});

test('attach --trace: a child started before the attach is traced too; parent and child over two pipes, both directions', async () => {
  const prog = startFixture('pipechild');
  let live: LiveCli | undefined;
  try {
    const child = Number((await prog.waitOut(/^child (\d+)$/m))[1]);
    await prog.waitOut(/^ready$/m);
    const parent = prog.p.pid!;
    live = new LiveCli(['attach', String(parent), '--trace', '--json'], env.env);
    const ready = await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
    assert.match(String(ready.message), /1 process it started before/);
    const tracer = procStatus(parent, 'TracerPid');
    assert.notEqual(tracer, '0');
    assert.equal(procStatus(child, 'TracerPid'), tracer, 'the child is traced by the same strace');
    // One connection per pipe, each written by one traced process and read by the other.
    const rows = live.rows;
    // ("pid 4242 (pipechild) reads it on fd 3": the command name is left out once the process is gone.)
    const said = (conn: unknown, pid: number, what = '(reads|writes) it on fd \\d+') =>
      rows.some((x) => x.conn === conn && (x.kind === 'open' || x.kind === 'note') && new RegExp(`^pid ${pid}( \\([^)]*\\))? ${what}$`).test(String(x.message)));
    const lines = (conn: unknown, word: string) =>
      /^(?:\w+ \d+\n)*$/.test(bytesOf(rows, conn, 'c2s').toString('latin1'))
        ? (bytesOf(rows, conn, 'c2s')
            .toString('latin1')
            .match(new RegExp(`^${word} (\\d+)$`, 'gm')) ?? [])
        : [];
    const pipeOf = (writer: number, reader: number, word: string) => {
      const open = rows.find((x) => x.kind === 'open' && String(x.from).startsWith('pipe:[') && said(x.conn, writer) && said(x.conn, reader) && lines(x.conn, word).length >= 3);
      return open?.conn;
    };
    const end = Date.now() + 20000;
    let ticks: unknown;
    let tocks: unknown;
    while (!(ticks = pipeOf(parent, child, 'tick')) || !(tocks = pipeOf(child, parent, 'tock'))) {
      assert.ok(Date.now() < end, `both pipes with both pids: ${JSON.stringify(rows.filter((x) => x.type === 'event').slice(-8))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(said(ticks, parent) && said(ticks, child, 'reads it on fd 3'));
    assert.ok(said(tocks, child, 'writes it on fd 4') && said(tocks, parent));
    // Consecutive lines in each direction: nothing lost after the mid-stream start.
    for (const [conn, word] of [
      [ticks, 'tick'],
      [tocks, 'tock'],
    ] as const) {
      const ns = lines(conn, word).map((l) => Number(l.split(' ')[1]));
      assert.deepEqual(
        ns,
        ns.map((_, i) => ns[0]! + i),
        `${word} lines in order, none missing`,
      );
    }
    assert.equal((await live.stop()).code, 0, live.stderr);
    assert.equal(procStatus(child, 'TracerPid'), '0', 'detached from the child too');
    assert.equal(prog.p.exitCode, null);
  } finally {
    await live?.stop();
    prog.stop();
  }
});

test('attach --trace: a descendant another tracer holds is left out and named; the rest of the tree is traced', async () => {
  // sh → strace (its own) → sleep: the sleep is traced already, by that strace.
  const sh = spawn('sh', ['-c', 'strace -o /dev/null sleep 60; :'], { stdio: 'ignore' });
  const childrenOf = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return []; // (gone)
    }
  };
  let live: LiveCli | undefined;
  try {
    const end = Date.now() + 15000;
    let inner: number | undefined;
    let sleeper: number | undefined;
    // (strace forks short-lived probe children of its own, traced too, before the sleep: wait for
    // the traced child that is the sleep.)
    while (!(sleeper && procStatus(sleeper, 'TracerPid') === String(inner) && procStatus(sleeper, 'Name') === 'sleep')) {
      assert.ok(Date.now() < end, 'sh, its strace and the sleep it traces');
      await new Promise((r) => setTimeout(r, 20));
      inner = childrenOf(sh.pid!)[0];
      sleeper = inner ? childrenOf(inner)[0] : undefined;
    }
    live = new LiveCli(['attach', String(sh.pid), '--trace', '--json'], env.env);
    const ready = await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
    assert.match(String(ready.message), new RegExp(`1 process it started before, .*\\(not traced: pid ${sleeper}\\)$`));
    const ours = procStatus(sh.pid!, 'TracerPid');
    assert.notEqual(ours, '0');
    assert.equal(procStatus(inner!, 'TracerPid'), ours);
    assert.equal(procStatus(sleeper!, 'TracerPid'), String(inner), 'still its own tracer');
    assert.equal((await live.stop()).code, 0, live.stderr);
    assert.equal(procStatus(sh.pid!, 'TracerPid'), '0');
    assert.equal(procStatus(inner!, 'TracerPid'), '0');
  } finally {
    await live?.stop();
    // (ending the sleep ends its strace, then sh)
    for (const p of [sh.pid!, ...childrenOf(sh.pid!).flatMap((c) => [c, ...childrenOf(c)])].reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

test('attach --trace: ipctap killed with SIGKILL; the traced program goes on running, not stopped, not traced', async () => {
  const prog = startFixture('signals');
  try {
    await prog.waitOut(/^ready \d+$/m);
    const pid = prog.p.pid!;
    const live = new LiveCli(['attach', String(pid), '--trace', '--json'], env.env);
    await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
    assert.notEqual(procStatus(pid, 'TracerPid'), '0');
    // strace's output file has no name to leave behind; it is gone once nobody has it open.
    const [link] = fdLinks(Number(procStatus(pid, 'TracerPid')), /ipctap-trace-/);
    assert.match(link ?? '', /\(deleted\)$/);
    live.proc.kill('SIGKILL');
    await live.closed;
    const end = Date.now() + 10000;
    while (procStatus(pid, 'TracerPid') !== '0') {
      assert.ok(Date.now() < end, 'strace detaches once ipctap is gone');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.doesNotMatch(procStatus(pid, 'State') ?? '', /^[tT]/);
    // Pinned to one CPU while traced; its CPUs given back by the watchdog.
    while (threadCpus(pid).join() !== ownCpus) {
      assert.ok(Date.now() < end, `its CPUs back: ${threadCpus(pid).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(pid, 'SIGUSR1');
    await prog.waitOut(/^got SIGUSR1$/m);
    while (holdersOf(link!).length) {
      assert.ok(Date.now() < end, `strace's output file still open: pid ${holdersOf(link!).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    prog.stop();
  }
});

test('run --trace: ipctap killed with SIGKILL; the program goes on running, not stopped, not traced; strace and its output file are gone', async () => {
  const bin = goBinary('signals');
  const live = new LiveCli(['run', '--trace', '--json', '--', bin], env.env);
  let pid = 0;
  try {
    const ready = await live.waitFor((x) => x.type === 'frame' && /ready \d+/.test(b64(x).toString()));
    pid = Number(/ready (\d+)/.exec(b64(ready).toString())![1]);
    const tracer = Number(procStatus(pid, 'TracerPid'));
    assert.notEqual(tracer, 0);
    if (severalCpus) assert.match(threadCpus(pid).join(' | '), /^\d+$/, 'pinned to one CPU while traced');
    const [link] = fdLinks(tracer, /ipctap-trace-/);
    assert.match(link ?? '', /\(deleted\)$/, 'the output file has no name');
    live.proc.kill('SIGKILL');
    await live.closed;
    const end = Date.now() + 10000;
    while (procStatus(pid, 'TracerPid') !== '0' || holdersOf(link!).length) {
      assert.ok(Date.now() < end, `strace detaches and lets go of its output once ipctap is gone (holders: ${holdersOf(link!).join(', ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(procStatus(tracer, 'State') ?? 'gone', /^(gone|Z)/, 'strace has exited');
    while (threadCpus(pid).join() !== ownCpus) {
      assert.ok(Date.now() < end, `its CPUs back: ${threadCpus(pid).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // (Its stdout was ipctap's: the program is checked through /proc, not by what it prints.)
    assert.match(procStatus(pid, 'State') ?? '', /^[SR]/);
  } finally {
    if (pid && procStatus(pid, 'State') !== undefined) process.kill(pid, 'SIGKILL');
    await live.stop();
  }
});

test("attach --trace refused for another user's process: one line with the fix, exit 2", async () => {
  const prog = startFixture('signals');
  try {
    await prog.waitOut(/^ready \d+$/m);
    const r = runCliAsNobody(env.dir, ['attach', String(prog.p.pid), '--trace']);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`pid ${prog.p.pid} belongs to another user \\(uid 0\\): run ipctap as that user or as root`));
    assert.equal(procStatus(prog.p.pid!, 'TracerPid'), '0');
  } finally {
    prog.stop();
  }
});

test('--trace without strace on PATH: how to install it, exit 2', async () => {
  const bin = join(env.dir, 'nostrace');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = await runCli(['run', '--trace', '--', process.execPath, '-e', ''], { env: { ...env.env, PATH: bin } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'ipctap: strace is not installed: apt-get install strace\n');
});

test('attach --trace: when the traced process exits, its exit is recorded and ipctap ends', async () => {
  const prog = startFixture('signals');
  try {
    await prog.waitOut(/^ready \d+$/m);
    const pid = prog.p.pid!;
    const live = new LiveCli(['attach', String(pid), '--trace', '--json'], env.env);
    await live.waitFor((x) => x.kind === 'tap-ready' && x.tap === 'trace');
    process.kill(pid, 'SIGTERM');
    const received = await live.waitFor((x) => x.kind === 'signal-received' && x.signal === 'SIGTERM');
    assert.equal(received.senderPid, process.pid);
    const exit = await live.waitFor((x) => x.kind === 'exit' && x.pid === pid);
    assert.equal(exit.code, 43);
    assert.equal((await live.closed).code, 0, live.stderr);
  } finally {
    prog.stop();
  }
});

// Shared memory through the CLI, against a real Go program that keeps counters in a System V
// segment (shmget/shmat through syscall) and in a POSIX shm file it mmaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliEnv, LiveCli, runCli, runCliAsNobody, frames } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';
import { startEngineServer } from '../../helpers/engine-server';
import * as P from '../../../extension/shared/requests';

const bin = goBinary('shmcounter');
const LAYOUT = 'u32 counter, pad[4], u64 ts, char[16] name';

interface Info {
  pid: number;
  addr: string;
  key: string;
  shmid: number;
  path: string;
  size: number;
}

/** The Go program, with its stdout lines as they come. */
class Counter {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  private waiters: { re: RegExp; res: () => void }[] = [];
  info!: Info;

  constructor() {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      this.lines.push(l);
      this.waiters = this.waiters.filter((w) => (w.re.test(l) ? (w.res(), false) : true));
    });
  }

  async ready(): Promise<Info> {
    await this.line(/^\{/);
    this.info = JSON.parse(this.lines[0]!);
    return this.info;
  }

  line(re: RegExp): Promise<void> {
    if (this.lines.some((l) => re.test(l))) return Promise.resolve();
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`shmcounter never printed ${re}; got ${JSON.stringify(this.lines)}`)), 15000);
      this.waiters.push({ re, res: () => (clearTimeout(t), res()) });
    });
  }

  send(cmd: string): void {
    this.proc.stdin.write(cmd + '\n');
  }

  /** Ends the program (it removes its segment and file) and removes whatever it left. */
  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const done = new Promise((r) => this.proc.once('close', r));
      this.send('quit');
      this.proc.stdin.end();
      await done;
    }
    if (this.info) {
      if (segmentExists(this.info.shmid)) execFileSync('ipcrm', ['-m', String(this.info.shmid)]);
      rmSync(this.info.path, { force: true });
    }
  }
}

function segmentExists(shmid: number): boolean {
  const text = execFileSync('cat', ['/proc/sysvipc/shm'], { encoding: 'utf8' });
  return text
    .split('\n')
    .slice(1)
    .some((l) => l.trim().split(/\s+/)[1] === String(shmid));
}

/** The struct the program writes for step n. */
function struct(n: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(n, 0);
  b.writeBigUInt64LE(BigInt(n) * 1000n, 8);
  if (n > 0) b.write(`step-${n}`, 16);
  return b;
}

type Change = { offset: number; length: number; old: string; new: string };
const hex = (b: Buffer, s: number, e: number) => b.subarray(s, e).toString('hex');

test('shm list shows the segment and the /dev/shm file with the Go program attached', async () => {
  const c = new Counter();
  try {
    const info = await c.ready();
    const r = await runCli(['shm', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const l = JSON.parse(r.stdout);
    const seg = l.sysv.find((s: { shmid: number }) => s.shmid === info.shmid);
    assert.ok(seg, `segment ${info.shmid} listed`);
    assert.equal(seg.key, info.key);
    assert.equal(seg.size, 4096);
    assert.equal(seg.cpid, info.pid);
    assert.equal(seg.nattch, 1);
    assert.deepEqual(
      seg.attached.map((a: { pid: number }) => a.pid),
      [info.pid],
    );
    const file = l.posix.find((p: { path: string }) => p.path === info.path);
    assert.ok(file, `${info.path} listed`);
    assert.equal(file.size, 4096);
    assert.deepEqual(
      file.attached.map((a: { pid: number }) => a.pid),
      [info.pid],
    );
    const text = await runCli(['shm', 'list']);
    assert.match(text.stdout, new RegExp(`${info.key}\\s+${info.shmid}\\s+4 KiB .* ${info.pid} shmcounter-`));
  } finally {
    await c.close();
  }
});

test('shm watch: every change of the System V segment and of the POSIX file, with offsets, old and new bytes, decoded by a layout; captured and read back', async () => {
  const env = cliEnv();
  const c = new Counter();
  const capture = join(env.dir, 'sysv.ipctap');
  let sysv: LiveCli | undefined;
  let posix: LiveCli | undefined;
  let part: LiveCli | undefined;
  try {
    const info = await c.ready();
    sysv = new LiveCli(['shm', 'watch', info.key, '--region', '0:32', '--layout', LAYOUT, '--json', '-w', capture], env.env);
    posix = new LiveCli(['shm', 'watch', info.path, '--layout', LAYOUT, '--json', '--interval', '20'], env.env);
    // A region inside the struct: offsets stay those of the file.
    part = new LiveCli(['shm', 'watch', info.path, '--region', '8:24', '--layout', 'u64 ts, char[16] name', '--json'], env.env);
    await part.waitFor((r) => r.type === 'frame' && (r.decoded as { kind?: string })?.kind === 'snapshot');
    for (const w of [sysv, posix] as LiveCli[]) {
      const snap = await w.waitFor((r) => r.type === 'frame' && (r.decoded as { kind?: string })?.kind === 'snapshot');
      assert.deepEqual((snap.decoded as { fields: unknown }).fields, { counter: 0, ts: 0, name: '' });
    }
    const open = sysv.rows.find((r) => r.kind === 'open')!;
    assert.match(String(open.from), new RegExp(`^/proc/${info.pid}/mem `));
    for (let n = 1; n <= 3; n++) {
      c.send('inc');
      await c.line(new RegExp(`^done ${n}$`));
      for (const w of [sysv, posix] as LiveCli[]) {
        const f: Record<string, unknown> = await w.waitFor(
          (r: Record<string, unknown>) => r.type === 'frame' && (r.decoded as { fields?: { counter?: number } })?.fields?.counter === n,
        );
        const d = f.decoded as { kind: string; changes: Change[]; fields: Record<string, unknown> };
        assert.equal(d.kind, 'change');
        assert.deepEqual(d.fields, { counter: n, ts: n * 1000, name: `step-${n}` });
        const a = struct(n - 1);
        const b = struct(n);
        // Runs of changed bytes 8 or more bytes apart are separate ranges.
        const want: Change[] =
          n === 1
            ? [{ offset: 0, length: 22, old: hex(a, 0, 22), new: hex(b, 0, 22) }]
            : [
                { offset: 0, length: 10, old: hex(a, 0, 10), new: hex(b, 0, 10) },
                { offset: 21, length: 1, old: hex(a, 21, 22), new: hex(b, 21, 22) },
              ];
        assert.deepEqual(d.changes, want, `step ${n}`);
        assert.match(String(f.summary), new RegExp(`^counter ${n - 1}→${n}, ts ${(n - 1) * 1000}→${n * 1000}, name ".*"→"step-${n}"`));
        // The frame's bytes: the watched area after the change.
        assert.deepEqual(Buffer.from(String(f.data), 'base64').subarray(0, 32), b);
      }
      // (Each watch must see step n before step n+1 is made, or the two are merged into one change.)
      await part.waitFor((r) => r.type === 'frame' && (r.decoded as { fields?: { ts?: number } })?.fields?.ts === n * 1000);
    }
    const partChanges = frames(part.rows, (r) => (r.decoded as { kind?: string })?.kind === 'change').map((r) => r.decoded as { changes: Change[]; fields: unknown });
    assert.equal(partChanges.length, 3);
    assert.deepEqual(
      partChanges[2]!.changes.map((x) => [x.offset, x.length]),
      [
        [8, 2],
        [21, 1],
      ],
    );
    assert.deepEqual(partChanges[2]!.fields, { ts: 3000, name: 'step-3' });
    await part.stop();
    // One frame per change: the snapshot, then exactly three changes on each.
    for (const w of [sysv, posix]) assert.equal(frames(w.rows, (r) => (r.decoded as { kind?: string })?.kind === 'change').length, 3);
    // The program removes its segment and its file and exits: both watches end by themselves.
    c.send('quit');
    const [sc, pc] = await Promise.all([sysv.closed, posix.closed]);
    assert.equal(sc.code, 0, sysv.stderr);
    assert.equal(pc.code, 0, posix.stderr);
    assert.match(String(sysv.rows.find((r) => r.kind === 'close')?.message), /was removed/);
    assert.match(String(posix.rows.find((r) => r.kind === 'close')?.message), /was removed/);
    // The capture reads back into the same frames.
    const back = await runCli(['read', capture, '--json'], { env: env.env });
    assert.equal(back.code, 0, back.stderr);
    const liveFrames = frames(sysv.rows).map((r) => [r.summary, r.decoded]);
    const readFrames = frames(
      back.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).map((r) => [r.summary, r.decoded]);
    assert.deepEqual(readFrames, liveFrames);
  } finally {
    await sysv?.stop();
    await posix?.stop();
    await part?.stop();
    await c.close();
    env.cleanup();
  }
});

test('shm watch errors: unknown key, no process attached, bad layout, bad region, permission denied', async () => {
  const c = new Counter();
  const d = new Counter();
  try {
    const info = await c.ready();
    const unknown = await runCli(['shm', 'watch', '0x7eadbeef']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^ipctap: no System V shared memory segment with key 0x7eadbeef \(ipctap shm list shows them/);
    const noId = await runCli(['shm', 'watch', '999999999']);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /no System V shared memory segment with id 999999999/);
    const layout = await runCli(['shm', 'watch', info.key, '--layout', 'u33 counter']);
    assert.equal(layout.code, 1);
    assert.match(layout.stderr, /bad --layout field "u33 counter": unknown type "u33"/);
    const region = await runCli(['shm', 'watch', info.path, '--region', '10:x']);
    assert.equal(region.code, 1);
    assert.match(region.stderr, /bad --region "10:x": expected OFF:LEN/);
    const past = await runCli(['shm', 'watch', info.path, '--region', '4000:200']);
    assert.equal(past.code, 1);
    assert.match(past.stderr, /--region 4000:200 does not fit in 4096 bytes/);
    const missing = await runCli(['shm', 'watch', '/dev/shm/ipctap-no-such-file']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    // A segment that exists with no process attached cannot be read.
    const dinfo = await d.ready();
    d.send('detach');
    await d.line(/^detached$/);
    const detached = await runCli(['shm', 'watch', dinfo.key]);
    assert.equal(detached.code, 2);
    assert.match(detached.stderr, new RegExp(`System V segment ${dinfo.key} \\(id ${dinfo.shmid}\\) has no process attached`));
    // Another user cannot read root's segment (through /proc/PID/mem) nor its 0600 file.
    if (process.getuid?.() === 0) {
      const dirs = [mkdtempSync(join(tmpdir(), 'ipctap-shm-')), mkdtempSync(join(tmpdir(), 'ipctap-shm-'))];
      try {
        const asNobody = runCliAsNobody(dirs[0]!, ['shm', 'watch', info.key]);
        assert.equal(asNobody.status, 2, asNobody.stderr);
        assert.match(
          asNobody.stderr,
          new RegExp(`permission denied reading System V segment ${info.key} \\(id ${info.shmid}\\): it is attached by 1 process \\(last attach by pid ${info.pid}\\)`),
        );
        const fileNobody = runCliAsNobody(dirs[1]!, ['shm', 'watch', info.path]);
        assert.equal(fileNobody.status, 2, fileNobody.stderr);
        assert.match(fileNobody.stderr, new RegExp(`permission denied reading ${info.path}`));
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await c.close();
    await d.close();
  }
  assert.ok(!existsSync(c.info.path) && !existsSync(d.info.path), 'the /dev/shm files are gone');
  assert.ok(!segmentExists(c.info.shmid) && !segmentExists(d.info.shmid), 'the segments are gone');
});

test('engine server (the VS Code side): shm/list offers the segment; a session watching it has a row per change with the changed bytes and fields as ranges', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-shm-server-'));
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  const c = new Counter();
  t.after(async () => {
    await engine.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const info = await c.ready();
  const choices = await engine.request(P.ShmList, {});
  const seg = choices.find((x) => x.kind === 'sysv' && x.target === info.key);
  assert.ok(seg, `${info.key} offered: ${JSON.stringify(choices)}`);
  assert.match(seg.detail, new RegExp(`mapped by shmcounter-\\w+ \\(${info.pid}\\)`));
  assert.ok(choices.some((x) => x.kind === 'posix' && x.target === info.path));

  const s = await engine.request(P.SessionStart, { name: 'shm', shm: { target: seg.target, region: '0:32', layout: LAYOUT } });
  assert.equal(s.state, 'live');
  // The process whose memory is read is on the session's process strip.
  assert.deepEqual(
    s.processes.map((p) => p.pid),
    [info.pid],
  );
  const waitRow = async (what: string, pred: (r: P.WireFrameRow) => boolean): Promise<P.WireFrameRow> => {
    for (let i = 0; ; i++) {
      const r = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'proto:shm' });
      const hit = r.rows.find((x): x is P.WireFrameRow => x.type === 'frame' && pred(x));
      if (hit) return hit;
      if (i > 200) throw new Error(`no row: ${what}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  await waitRow('snapshot', (r) => r.summary.startsWith('snapshot'));
  c.send('inc');
  await waitRow('counter 1', (r) => r.summary.startsWith('counter 0→1'));
  c.send('inc');
  const row = await waitRow('counter 2', (r) => r.summary.startsWith('counter 1→2'));
  assert.match(row.summary, /^counter 1→2, ts 1000→2000, name "step-1"→"step-2"/);
  assert.deepEqual(Buffer.from(row.data, 'base64'), struct(2));
  const ranges = Object.fromEntries((row.ranges ?? []).map((r) => [r.path, [r.start, r.end]]));
  assert.deepEqual(ranges['/changes/0'], [0, 10]);
  assert.deepEqual(ranges['/changes/1'], [21, 22]);
  assert.deepEqual(ranges['/fields/name'], [16, 32]);
  await assert.rejects(
    engine.request(P.ReplayStart, { sessionId: s.id, conn: row.conn, fromId: row.id }),
    /a shared memory watch records what changed in memory: there is no exchange to re-send/,
  );
  const stopped = await engine.request(P.SessionStop, { sessionId: s.id });
  assert.equal(stopped.state, 'stopped');
});

test('attach names the shared memory a process maps, and says ZeroMQ inproc:// cannot be seen where it links libzmq', async () => {
  const c = new Counter();
  const py = spawn('/usr/bin/python3', ['-c', "import zmq, sys; s = zmq.Context().socket(zmq.PAIR); s.bind('inproc://x'); print('ready', flush=True); sys.stdin.read()"], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const info = await c.ready();
    const r = await runCli(['attach', String(info.pid)]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`shared memory: System V segment ${info.key} (id ${info.shmid}) — see its changes with 'ipctap shm watch ${info.shmid}'`), r.stdout);
    assert.ok(r.stdout.includes(`shared memory: ${info.path} — see its changes with 'ipctap shm watch ${info.path}'`), r.stdout);
    assert.doesNotMatch(r.stdout, /libzmq/);
    await new Promise<void>((res) => createInterface({ input: py.stdout }).once('line', () => res()));
    const z = await runCli(['attach', String(py.pid)]);
    assert.equal(z.code, 0, z.stderr);
    assert.match(z.stdout, /links libzmq: ZeroMQ inproc:\/\/ endpoints are memory inside this process and no tap can see them/);
  } finally {
    py.stdin.end();
    await new Promise((res) => (py.exitCode !== null ? res(null) : py.once('close', res)));
    await c.close();
  }
});

test('shm watch PID:ADDR reads that mapping of the process until it goes away; a file that shrinks reads as zeros past its end', async () => {
  const env = cliEnv();
  const c = new Counter();
  let w: LiveCli | undefined;
  let f: LiveCli | undefined;
  try {
    const info = await c.ready();
    w = new LiveCli(['shm', 'watch', `${info.pid}:${info.addr}`, '--region', '0:16', '--layout', 'u32 counter, pad[4], u64 ts', '--json'], env.env);
    const open = await w.waitFor((r) => r.kind === 'open');
    assert.match(String(open.from), new RegExp(`^/proc/${info.pid}/mem at ${info.addr} \\(/SYSV`));
    await w.waitFor((r) => (r.decoded as { kind?: string })?.kind === 'snapshot');
    c.send('inc');
    const ch = await w.waitFor((r) => (r.decoded as { fields?: { counter?: number } })?.fields?.counter === 1);
    assert.deepEqual(
      (ch.decoded as { changes: Change[] }).changes.map((x) => [x.offset, x.length]),
      [[0, 10]],
    );
    c.send('quit');
    const end = await w.closed;
    assert.equal(end.code, 0, w.stderr);
    assert.match(String(w.rows.find((r) => r.kind === 'close')?.message), new RegExp(`pid ${info.pid} exited or unmapped ${info.addr}`));

    const file = join(env.dir, 'mapped.bin');
    writeFileSync(file, Buffer.alloc(64, 0xab));
    f = new LiveCli(['shm', 'watch', file, '--json'], env.env);
    await f.waitFor((r) => (r.decoded as { kind?: string })?.kind === 'snapshot');
    truncateSync(file, 40);
    const shrink = await f.waitFor((r) => (r.decoded as { kind?: string })?.kind === 'change');
    assert.deepEqual((shrink.decoded as { changes: Change[] }).changes, [{ offset: 40, length: 24, old: 'ab'.repeat(24), new: '00'.repeat(24) }]);
    assert.ok(f.rows.some((r) => r.kind === 'note' && /shorter than the watched region now \(40 bytes\)/.test(String(r.message))));
    unlinkSync(file);
    const fend = await f.closed;
    assert.equal(fend.code, 0, f.stderr);
    assert.match(String(f.rows.find((r) => r.kind === 'close')?.message), /mapped\.bin was removed/);
  } finally {
    await w?.stop();
    await f?.stop();
    await c.close();
    env.cleanup();
  }
});

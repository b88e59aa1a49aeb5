// The stdio tap on real processes: byte-exact capture of stdin/stdout/stderr, passthrough,
// spawn failures, and reaping what we launched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { launchProcess } from '../../../extension/engine/process/launch';
import { readProcStat } from '../../../extension/engine/process/procfs';
import { UserError } from '../../../extension/engine/util/errors';
import { Recorder } from '../../helpers/process-recorder';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// Copies stdin to stdout; on EOF writes "read N bytes sha256 H" to stderr and exits 7.
const CAT = `
const h = require('crypto').createHash('sha256'); let n = 0;
process.stdin.on('data', (b) => { n += b.length; h.update(b); if (!process.stdout.write(b)) { process.stdin.pause(); process.stdout.once('drain', () => process.stdin.resume()); } });
process.stdin.on('end', () => { process.stderr.write('read ' + n + ' bytes sha256 ' + h.digest('hex') + '\\n'); process.stdout.end(() => process.exit(7)); });
`;

class Collect extends Writable {
  parts: Buffer[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.parts.push(Buffer.from(chunk));
    // A slow terminal: forces the tap to honour backpressure.
    setImmediate(cb);
  }
  get all(): Buffer {
    return Buffer.concat(this.parts);
  }
}

test('4 MiB of random bytes through stdin and back on stdout: captured byte-exact in every direction, passed through', async () => {
  const rec = new Recorder();
  const out = new Collect({ highWaterMark: 1024 });
  const err = new Collect();
  const p = await launchProcess([process.execPath, '-e', CAT], { sink: rec, stdout: out, stderr: err });
  const payload = randomBytes(4 * 1024 * 1024);
  for (let off = 0; off < payload.length;) {
    const n = Math.min(65536 + (off % 7919), payload.length - off);
    if (!p.write(payload.subarray(off, off + n))) await new Promise((r) => p.tap.stdinStream!.once('drain', r));
    off += n;
  }
  p.endStdin();
  const exit = await p.exited;
  assert.deepEqual(exit, { code: 7, signal: null, bySignal: false });
  assert.equal(sha(rec.bytes('stdin')), sha(payload));
  assert.equal(rec.bytes('stdout').length, payload.length);
  assert.equal(sha(rec.bytes('stdout')), sha(payload));
  assert.equal(sha(out.all), sha(payload));
  assert.equal(rec.text('stderr'), `read ${payload.length} bytes sha256 ${sha(payload)}\n`);
  assert.equal(err.all.toString(), rec.text('stderr'));
  // One connection, three directions, and the Tap events in order.
  assert.deepEqual([...new Set(rec.chunks.map((c) => c.conn))], [p.tap.conn]);
  const kinds = rec.kinds();
  assert.deepEqual(kinds.slice(0, 3), ['spawn', 'tap-ready', 'open']);
  assert.deepEqual(kinds.filter((k) => k === 'half-close').length, 3);
  assert.ok(kinds.indexOf('close') < kinds.indexOf('exit'));
  assert.equal(rec.events.find((e) => e.kind === 'open')!.tap, `stdio:${p.pid}`);
});

test('stdinFrom feeds a readable through the capture; text on stdout and stderr kept apart', async () => {
  const rec = new Recorder();
  const lines = ['héllo\n', 'wörld\r\n', '\u0000\u00ff binary-ish\n'];
  const src = Readable.from(lines.map((l) => Buffer.from(l)));
  const p = await launchProcess([process.execPath, '-e', CAT], { sink: rec, stdinFrom: src, tapName: 'stdio:cat' });
  await p.exited;
  assert.equal(rec.text('stdin'), lines.join(''));
  assert.equal(rec.text('stdout'), lines.join(''));
  assert.match(rec.text('stderr'), /^read \d+ bytes sha256 [0-9a-f]{64}\n$/);
  assert.ok(rec.events.some((e) => e.kind === 'tap-ready' && e.tap === 'stdio:cat'));
});

test('stdin ignored and inherited: no stdin direction, the process still runs and is captured', async () => {
  const rec = new Recorder();
  const p = await launchProcess([process.execPath, '-e', 'process.stdout.write("out"); process.stderr.write("err")'], { sink: rec, stdin: 'ignore' });
  assert.equal(p.write('x'), false);
  await p.exited;
  assert.equal(rec.text('stdout'), 'out');
  assert.equal(rec.text('stderr'), 'err');
  assert.equal(rec.bytes('stdin').length, 0);
});

test('env and cwd reach the process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-cwd-'));
  try {
    const rec = new Recorder();
    const p = await launchProcess([process.execPath, '-e', 'process.stdout.write(process.cwd() + " " + process.env.IPCTAP_X)'], { sink: rec, cwd: dir, env: { IPCTAP_X: 'y z' } });
    await p.exited;
    assert.equal(rec.text('stdout'), `${dir} y z`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spawn failures: clear UserErrors and an error event, no crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-spawn-'));
  try {
    const noexec = join(dir, 'server');
    writeFileSync(noexec, '#!/bin/sh\necho hi\n');
    chmodSync(noexec, 0o644);
    const badInterp = join(dir, 'script');
    writeFileSync(badInterp, '#!/nonexistent/interpreter\n');
    chmodSync(badInterp, 0o755);
    mkdirSync(join(dir, 'adir'));
    const cases: [string[], RegExp][] = [
      [['./missing'], /^cannot run \.\/missing: no such file$/],
      [['./server'], /^cannot run \.\/server: permission denied/],
      [['./adir'], /^cannot run \.\/adir: it is a directory$/],
      [['no-such-command-ipctap'], /^cannot run no-such-command-ipctap: not found on PATH$/],
      // Passes the pre-check, fails in execve: the asynchronous path.
      [['./script'], /^cannot run \.\/script: no such file \(or its interpreter is missing\)$/],
    ];
    for (const [cmd, re] of cases) {
      const rec = new Recorder();
      await assert.rejects(launchProcess(cmd, { sink: rec, cwd: dir }), (e: unknown) => e instanceof UserError && re.test(e.message));
      assert.equal(rec.events.length, 1, `events for ${cmd}: ${JSON.stringify(rec.events)}`);
      assert.equal(rec.events[0].kind, 'error');
      assert.match(rec.events[0].message!, re);
    }
    await assert.rejects(launchProcess([], { sink: new Recorder() }), /no command to run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const IGNORES_TERM = 'process.on("SIGTERM", () => process.stdout.write("ignoring TERM\\n")); process.stdout.write("up\\n"); setInterval(() => {}, 1000);';

test('terminate(): SIGTERM, then SIGKILL after the grace period; the kill is ours', async () => {
  const rec = new Recorder();
  const p = await launchProcess([process.execPath, '-e', IGNORES_TERM], { sink: rec });
  await rec.until(() => rec.text('stdout').includes('up'), 'up');
  const exit = await p.terminate({ graceMs: 300 });
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL', bySignal: true });
  assert.ok(rec.text('stdout').includes('ignoring TERM'));
  assert.deepEqual(
    rec.events.filter((e) => e.kind === 'signal-sent').map((e) => e.signal),
    ['SIGTERM', 'SIGKILL'],
  );
  assert.equal(readProcStat(p.pid), undefined, 'the process is still there');
});

test('processes we launched are ended when ipctap exits (execa cleanup, and our hook for detached groups); leaveRunning is left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-reap-'));
  let launched: number[] = [];
  try {
    const launch = resolve(__dirname, '../../../extension/engine/process/launch.ts');
    const script = join(dir, 'parent.ts');
    writeFileSync(
      script,
      `import { launchProcess } from ${JSON.stringify(launch)};\n` +
        `const sink = { newConn: () => 1, chunk: () => {}, event: () => {} };\n` +
        `(async () => {\n` +
        `  const a = await launchProcess(['sleep', '30'], { sink });\n` +
        `  const b = await launchProcess(['sh', '-c', 'sleep 30 & sleep 31; wait'], { sink, detached: true });\n` +
        `  const c = await launchProcess(['sleep', '32'], { sink, leaveRunning: true, stdin: 'ignore' });\n` +
        `  await new Promise((r) => setTimeout(r, 200));\n` +
        `  console.log(JSON.stringify([a.pid, b.pid, c.pid]));\n` +
        `  process.exit(0);\n` +
        `})();\n`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: resolve(__dirname, '../../..'), encoding: 'utf8', timeout: 20000 });
    const [a, b, c] = JSON.parse(out.trim().split('\n').pop()!) as number[];
    launched = [a, b, c];
    const group = execFileSync('ps', ['-o', 'pid=', '-g', String(b)], { encoding: 'utf8' }).trim();
    const gone = (pid: number) => {
      const st = readProcStat(pid);
      return st === undefined || st.state === 'Z';
    };
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && !(gone(a) && gone(b) && groupGone(b))) await new Promise((r) => setTimeout(r, 50));
    assert.ok(gone(a), `plain child ${a} survived`);
    assert.ok(gone(b) && groupGone(b), `detached group ${b} survived: ${group}`);
    assert.ok(!gone(c), 'leaveRunning child was killed');
  } finally {
    // Whatever the outcome, leave nothing running (the group of b included).
    for (const pid of launched) {
      for (const target of [pid, -pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function groupGone(pgid: number): boolean {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,stat=', '-g', String(pgid)], { encoding: 'utf8' });
    return (
      out
        .trim()
        .split('\n')
        .filter((l) => l.trim() && !/\sZ/.test(l)).length === 0
    );
  } catch {
    return true; // ps exits 1 when nothing matches
  }
}

test('tap.stop() stops capturing but output still passes through', async () => {
  const rec = new Recorder();
  const out = new PassThrough();
  const seen: Buffer[] = [];
  out.on('data', (b: Buffer) => seen.push(b));
  const p = await launchProcess([process.execPath, '-e', 'process.stdin.on("data", (b) => process.stdout.write(b))'], { sink: rec, stdout: out });
  p.write('one\n');
  await rec.until(() => rec.text('stdout') === 'one\n', 'one');
  await p.tap.stop();
  p.write('two\n');
  await new Promise<void>((r) => {
    const check = () => (Buffer.concat(seen).toString().includes('two') ? r() : setTimeout(check, 10));
    check();
  });
  assert.equal(rec.text('stdout'), 'one\n');
  assert.equal(rec.text('stdin'), 'one\n');
  assert.ok(rec.kinds().includes('tap-stopped'));
  await p.terminate();
});

// strace's output file (TraceOutput), written by a real process the way strace writes it (opening
// the /proc/PID/fd/N path it is given): every line arrives intact, the blocks of what has been
// read are given back while the file grows, and once the writer and the reader are done no
// process has the file open (it has no name from the start, so it is gone).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { PUNCH_STEP, TraceOutput } from '../../../extension/engine/trace/strace';
import { holdersOf } from '../../helpers/proc-fds';

async function until(cond: () => boolean, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('trace output: 300 MB of lines written through the /proc path arrive intact; the blocks read are given back; nothing is left open', async () => {
  const LINE = 1000; // bytes before each newline
  const LINES = 300_000;
  const total = (LINE + 1) * LINES;
  let lines = 0;
  let bad = 0;
  let bytes = 0;
  const out = new TraceOutput((parts) => {
    let n = 0;
    for (const p of parts) {
      n += p.length;
      for (let i = 0; i < p.length; i += 97) if (p[i] !== 0x78) bad++;
    }
    if (n !== LINE) bad++;
    bytes += n + 1;
    lines++;
  });
  const link = readlinkSync(out.path);
  assert.match(link, /ipctap-trace-[^/]+\/strace\.out \(deleted\)$/, 'the file has no name from the start');
  assert.equal(statSync(out.path).mode & 0o777, 0o600);
  // (yes prints the line over and over; head cuts it at a line boundary.)
  const writer = spawn('sh', ['-c', `yes "$(head -c ${LINE} /dev/zero | tr '\\0' x)" | head -c ${total} > "$0"`, out.path], { stdio: 'ignore' });
  const written = new Promise<number | null>((r) => writer.on('exit', (code) => r(code)));
  let maxBlocks = 0;
  let maxBacklog = 0;
  const sampler = setInterval(() => {
    const st = statSync(out.path);
    maxBlocks = Math.max(maxBlocks, st.blocks * 512);
    maxBacklog = Math.max(maxBacklog, st.size - out.readBytes);
  }, 5);
  try {
    assert.equal(await written, 0);
    await until(() => out.readBytes === total, 'every byte read');
    assert.equal(statSync(out.path).size, total);
    // Every stretch read is given back, down to less than one step.
    await until(
      () => statSync(out.path).blocks * 512 < PUNCH_STEP + 1024 * 1024,
      `blocks given back (${statSync(out.path).blocks * 512} bytes held, most ${maxBlocks}; backlog at most ${maxBacklog})`,
    );
  } finally {
    clearInterval(sampler);
  }
  out.done();
  await out.ended;
  await out.watchdogGone();
  assert.equal(lines, LINES);
  assert.equal(bytes, total);
  assert.equal(bad, 0, 'every line intact');
  assert.deepEqual(holdersOf(link), [], 'nobody has the file open: it is gone');
});

test('trace output: a writer that never started; done() ends it at once and nothing is left open', async () => {
  const out = new TraceOutput(() => assert.fail('no lines'));
  const link = readlinkSync(out.path);
  out.done();
  await out.ended;
  await out.watchdogGone();
  assert.equal(out.readBytes, 0);
  assert.deepEqual(holdersOf(link), []);
});

test('trace output: a writer far ahead of the reader is paused (SIGSTOP) until half its backlog is read, then goes on; every line arrives', async () => {
  const LIMIT = 16 * 1024 * 1024;
  const LINE = 1000;
  let lines = 0;
  let bad = 0;
  let stoppedAt = 0; // lines read when the writer was first seen paused
  let resumedAt = 0; // ... and then seen going on again
  let writerPid = 0;
  let first = true;
  const out = new TraceOutput((parts) => {
    let n = 0;
    for (const p of parts) n += p.length;
    if (n !== LINE || parts[0]![0] !== 0x78) bad++;
    lines++;
    if (first) {
      // The reader stalls (busy) until the writer, which never stops on its own, is 3× the limit ahead.
      first = false;
      while (statSync(out.path).size < 3 * LIMIT);
    }
    if (lines % 100 === 0 && !resumedAt) {
      const paused = /\) T /.test(statOf(writerPid));
      if (paused && !stoppedAt) stoppedAt = lines;
      else if (!paused && stoppedAt) resumedAt = lines;
    }
  }, LIMIT);
  // (A writer of its own, writing lines as fast as it can until it is killed.)
  const script = `const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'w'); const line = Buffer.from('x'.repeat(${LINE}) + '\\n'); const chunk = Buffer.concat(Array(64).fill(line)); for (;;) fs.writeSync(fd, chunk);`;
  const writer = spawn(process.execPath, ['-e', script, out.path], { stdio: 'ignore' });
  const exited = new Promise<string | null>((r) => writer.on('exit', (_c, sig) => r(sig)));
  writerPid = writer.pid!;
  out.setWriter(writerPid);
  try {
    await until(() => resumedAt > 0, 'the writer paused while far ahead, then let go on');
  } finally {
    writer.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  // Paused with more than the limit unread, let go on once at most half of it was left.
  const size = statSync(out.path).size;
  await until(() => out.readBytes === size, 'every byte read');
  out.done();
  await out.ended;
  await out.watchdogGone();
  // (Seen every 100 lines: up to 100 lines late at either end.)
  assert.ok((resumedAt - stoppedAt) * (LINE + 1) >= LIMIT / 2 - 200 * (LINE + 1), `paused for ${resumedAt - stoppedAt} lines`);
  // (The kill may cut the last line short: it has no newline and is not a line.)
  assert.equal(lines, Math.floor(size / (LINE + 1)));
  assert.equal(bad, 0);
});

function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return '';
  }
}

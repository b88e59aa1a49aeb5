// A flood through the real CLI, captured to a regular file: whole blocks go out with O_DIRECT
// (past the page cache) and the rest through the page cache. What a user checks: the file read
// while it is being written, and again after, holds exactly the bytes sent, in order; with
// --no-direct-io no descriptor of the file is open with O_DIRECT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statfsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../../extension/engine/capture/reader';
import { cliEnv, connectable, LiveCli } from '../../helpers/cli';

const TOTAL = 96 * 1024 * 1024;
const O_DIRECT = 0o40000; // (x86-64 and arm64 flag bits in /proc/PID/fdinfo)
const TMPFS_MAGIC = 0x01021994;

/** The stream's byte at offset n: its position mixed, so a byte in the wrong place shows. */
function pattern(from: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) {
    const n = from + i;
    b[i] = (n ^ (n >>> 8) ^ (n >>> 16) ^ (n >>> 24)) & 0xff;
  }
  return b;
}

/** Read the capture (possibly still being written): the c2s bytes must be the stream's first
 *  bytes. Returns how many there are. */
async function checkPrefix(file: string): Promise<number> {
  const r = await openCapture(file);
  let at = 0;
  try {
    for await (const { record } of r.records()) {
      if (record.t !== 'c' || record.dir !== 'c2s') continue;
      assert.ok(
        Buffer.from(record.data.buffer, record.data.byteOffset, record.data.length).equals(pattern(at, record.data.length)),
        `captured bytes at stream offset ${at} differ from what was sent`,
      );
      at += record.data.length;
    }
  } finally {
    await r.close();
  }
  return at;
}

/** O_DIRECT bits of the descriptors `pid` has open on `file`. */
function directFlags(pid: number, file: string): boolean[] {
  const out: boolean[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== file) continue;
    const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    out.push(flags !== null && (parseInt(flags[1]!, 8) & O_DIRECT) !== 0);
  }
  return out;
}

async function flood(t: { after(fn: () => void): void }, extra: string[]): Promise<{ direct: boolean[]; liveReads: number[]; captured: number; dropped: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-direct-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'flood.ipctap');
  const target = join(dir, 'server.sock');
  const server = net.createServer((s) => {
    s.resume();
    s.on('end', () => s.end());
  });
  server.listen(target);
  await once(server, 'listening');
  t.after(() => server.close());
  const listen = join(dir, 'tap.sock');
  const cli = new LiveCli(['proxy', '-q', '--json', '-w', file, '--lossless', ...extra, '--tap', `unix:${listen}=${target}`], cliEnv().env);
  t.after(() => void cli.stop('SIGKILL'));
  await connectable(listen);
  const sock = net.connect(listen);
  await once(sock, 'connect');
  const direct = directFlags(cli.proc.pid!, file);
  // Writes of uneven sizes, so records and 1 MiB blocks fall out of step.
  const liveReads: number[] = [];
  let seed = 7;
  let nextCheck = 16 * 1024 * 1024;
  for (let n = 0; n < TOTAL;) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const len = Math.min(TOTAL - n, 1 + (seed % (200 * 1024)));
    if (!sock.write(pattern(n, len))) await once(sock, 'drain');
    n += len;
    if (n >= nextCheck) {
      nextCheck += 24 * 1024 * 1024;
      liveReads.push(await checkPrefix(file));
    }
  }
  sock.end();
  sock.resume();
  await once(sock, 'close');
  const stopped = await cli.stop('SIGINT');
  assert.equal(stopped.code, 0, cli.stderr);
  const captured = await checkPrefix(file);
  let dropped = 0;
  const r = await openCapture(file);
  for await (const { record } of r.records()) if (record.t === 'e' && record.kind === 'capture-dropped') dropped += record.bytes ?? 0;
  await r.close();
  return { direct, liveReads, captured, dropped };
}

test('direct I/O capture of a 96 MiB flood: read while written and after, the file holds exactly the stream', async (t) => {
  const r = await flood(t, []);
  assert.equal(r.captured, TOTAL);
  assert.equal(r.dropped, 0);
  assert.ok(r.liveReads.length >= 3, `${r.liveReads.length} reads during the flood`);
  t.diagnostic(`bytes seen by the reads during the flood: ${r.liveReads.join(', ')}`);
  assert.ok(
    r.liveReads.some((n) => n > 0),
    `the live reads saw the capture grow: ${r.liveReads.join(', ')}`,
  );
  if (statfsSync(tmpdir()).type === TMPFS_MAGIC && !r.direct.includes(true)) t.diagnostic('tmpfs without O_DIRECT: written through the page cache');
  else assert.ok(r.direct.includes(true), `a descriptor of the capture file is open with O_DIRECT (${JSON.stringify(r.direct)})`);
});

test('--no-direct-io: the same flood through the page cache, no O_DIRECT descriptor', async (t) => {
  const r = await flood(t, ['--no-direct-io']);
  assert.equal(r.captured, TOTAL);
  assert.equal(r.dropped, 0);
  assert.ok(r.direct.length >= 1, 'the capture file is open');
  assert.ok(!r.direct.includes(true));
});

test('--no-direct-io without a capture file is a usage error', async () => {
  const { runCli } = await import('../../helpers/cli');
  const r = await runCli(['proxy', '--no-direct-io', '--tap', 'tcp:1=127.0.0.1:2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--no-direct-io needs a capture file \(-w FILE\)/);
});

// Capture benchmark: writer throughput beside plain fs writes of the same bytes, resident memory
// while capturing a large stream, reader throughput, and FrameStore access at the end of 1M rows.
//   node --import tsx test/bench/capture.ts [--quick] [--capture-gib N]
// Sizes: 1 GiB per throughput run and 2 GiB for the RSS run by default; --quick uses 256 MiB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter } from '../../extension/engine/capture/writer';
import { openCapture } from '../../extension/engine/capture/reader';
import { FrameStore } from '../../extension/engine/capture/frame-store';
import type { Row } from '../../extension/engine/types';

const MiB = 1024 * 1024;

function argNum(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}
const quick = process.argv.includes('--quick');
const throughputBytes = quick ? 256 * MiB : 1024 * MiB;
const rssBytes = (argNum('--capture-gib') ?? (quick ? 0.25 : 2)) * 1024 * MiB;

/** A few distinct random-ish buffers of `size` bytes to feed as chunks. */
function pool(size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < 16; k++) {
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) b[i] = (i * 2654435761 + k * 97) >>> 24;
    out.push(b);
  }
  return out;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const mbps = (bytes: number, ms: number): string => (bytes / MiB / (ms / 1000)).toFixed(0);

/** Writer throughput: chunks as a tap delivers them (a burst per tick), paced only so the
 *  writer never drops (we measure what it sustains). */
async function writerRun(dir: string, size: number, total: number, direct = true): Promise<{ ms: number; cpuMs: number; dropped: number; fileBytes: number; usedDirect: boolean }> {
  const path = join(dir, `w-${size}.ipctap`);
  const bufs = pool(size);
  const w = await CaptureWriter.open(path, { start: Date.now() * 1000 }, { direct });
  const perTick = Math.max(1, Math.floor((256 * 1024) / size));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  let n = 0;
  while (sent < total) {
    for (let k = 0; k < perTick && sent < total; k++, n++) {
      w.writeChunk({ conn: 1, dir: n & 1 ? 's2c' : 'c2s', ts: 1.76e15 + n, mono: n, data: bufs[n & 15]! });
      sent += size;
    }
    if (w.stats().queued > 12 * MiB) await w.flush();
    else await tick();
  }
  await w.close();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const fileBytes = statSync(path).size;
  rmSync(path);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, dropped: w.stats().dropped, fileBytes, usedDirect: w.stats().direct };
}

/** Reference: plain fs writes of the same bytes, one write per chunk, and in 1 MiB blocks. */
async function plainRun(dir: string, size: number, total: number, coalesce: boolean): Promise<number> {
  const path = join(dir, `plain-${size}.bin`);
  const bufs = pool(size);
  const fh = await open(path, 'w');
  const t0 = performance.now();
  let sent = 0;
  let n = 0;
  if (coalesce) {
    const block = Buffer.allocUnsafe(MiB);
    let pos = 0;
    while (sent < total) {
      const b = bufs[n++ & 15]!;
      if (pos + b.length > block.length) {
        await fh.write(block, 0, pos);
        pos = 0;
      }
      block.set(b, pos);
      pos += b.length;
      sent += size;
    }
    if (pos > 0) await fh.write(block, 0, pos);
  } else {
    while (sent < total) {
      await fh.write(bufs[n++ & 15]!);
      sent += size;
    }
  }
  await fh.sync();
  await fh.close();
  const ms = performance.now() - t0;
  rmSync(path);
  return ms;
}

async function readerRun(dir: string, total: number): Promise<{ writeMs: number; readMs: number; records: number }> {
  const path = join(dir, 'read.ipctap');
  const w = await CaptureWriter.open(path, { start: 1 });
  const bufs = pool(64 * 1024);
  let sent = 0;
  let n = 0;
  const t0 = performance.now();
  while (sent < total) {
    w.writeChunk({ conn: 1, dir: 'c2s', ts: n, mono: n, data: bufs[n++ & 15]! });
    sent += 64 * 1024;
    if (w.stats().queued > 12 * MiB) await w.flush();
  }
  await w.close();
  const writeMs = performance.now() - t0;
  const t1 = performance.now();
  const r = await openCapture(path);
  let records = 0;
  for await (const _ of r.records()) records++;
  await r.close();
  const readMs = performance.now() - t1;
  rmSync(path);
  return { writeMs, readMs, records };
}

/** In a child process (clean RSS): chunks of 64 KiB delivered 16 per tick; unpaced (taps never
 *  wait for capture, so past the disk's speed the writer drops) or paced to what the disk takes
 *  (no drops: the steady state of a capture the disk keeps up with). RSS sampled every 20 ms. */
async function rssChild(total: number, dir: string, paced: boolean): Promise<void> {
  const path = join(dir, 'rss.ipctap');
  const bufs = pool(64 * 1024);
  let peak = process.memoryUsage.rss();
  const base = peak;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const w = await CaptureWriter.open(path, { start: 1 });
  const t0 = performance.now();
  let sent = 0;
  let n = 0;
  while (sent < total) {
    for (let k = 0; k < 16 && sent < total; k++) {
      w.writeChunk({ conn: 1, dir: 'c2s', ts: n, mono: n, data: bufs[n++ & 15]! });
      sent += 64 * 1024;
    }
    if (paced && w.stats().queued > 12 * MiB) await w.flush();
    else await tick();
  }
  await w.close();
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage.rss());
  clearInterval(timer);
  const s = w.stats();
  rmSync(path);
  process.stdout.write(JSON.stringify({ base, peak, ms, dropped: s.dropped, peakQueued: s.peakQueued, written: s.bytesWritten }) + '\n');
}

function row(id: number): Row {
  const data = Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"textDocument/hover"}`);
  return {
    type: 'frame',
    id,
    ts: 1.76e15 + id,
    mono: id,
    tap: 'stdio',
    conn: id % 4,
    dir: id & 1 ? 's2c' : 'c2s',
    proto: 'lsp',
    len: data.length,
    data,
    summary: `#${id} textDocument/hover`,
    decoded: { jsonrpc: '2.0', id, method: 'textDocument/hover', params: { line: id % 1000, character: 4 } },
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function frameStoreRun(dir: string): Promise<string[]> {
  const N = 1_000_000;
  const store = await FrameStore.create(dir);
  try {
    const t0 = performance.now();
    for (let id = 1; id <= N; id++) store.append(row(id));
    await store.flush();
    const appendMs = performance.now() - t0;
    const lat = async (fn: () => Promise<unknown>, reps: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < reps; i++) {
        const a = performance.now();
        await fn();
        out.push(performance.now() - a);
      }
      return out.sort((x, y) => x - y);
    };
    const end = await lat(() => store.getRange(N - 99, N + 1), 500);
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % (N - 100);
    const rand100 = await lat(() => {
      const s = 1 + rnd();
      return store.getRange(s, s + 100);
    }, 500);
    const one = await lat(() => store.get(1 + rnd()), 1000);
    const f0 = performance.now();
    const hits = await store.filter('conn:3');
    const filterMs = performance.now() - f0;
    const f1 = performance.now();
    const hits2 = await store.filter((r) => r.type === 'frame' && r.conn === 3);
    const filterPredMs = performance.now() - f1;
    // A text term on top of a selective facet term: only the rows it lets through are read.
    const f2 = performance.now();
    const hits3 = await store.filter(`after:${N - 1000} textDocument`);
    const filterTextMs = performance.now() - f2;
    const f3 = performance.now();
    const hits4 = await store.filter('textDocument');
    const filterScanMs = performance.now() - f3;
    const rowsMiB = store.stats().rowBytes / MiB;
    const fmt = (a: number[]): string => `p50 ${pct(a, 0.5).toFixed(3)} ms, p99 ${pct(a, 0.99).toFixed(3)} ms`;
    return [
      `FrameStore, ${N.toLocaleString('en')} LSP rows (${rowsMiB.toFixed(0)} MiB on disk): append ${(appendMs / 1000).toFixed(2)} s (${(((N / appendMs) * 1000) / 1e6).toFixed(2)} M rows/s)`,
      `  getRange of the last 100 rows     ${fmt(end)}`,
      `  getRange of 100 rows at random    ${fmt(rand100)}`,
      `  get of one row at random          ${fmt(one)}`,
      `  filter 'conn:3' over all rows     ${(filterMs / 1000).toFixed(2)} s (${hits.length.toLocaleString('en')} hits, from the in-memory facets); as a predicate (reads every row) ${(filterPredMs / 1000).toFixed(2)} s (${hits2.length.toLocaleString('en')})`,
      `  filter 'after:${N - 1000} textDocument' ${(filterTextMs / 1000).toFixed(3)} s (${hits3.length.toLocaleString('en')} hits, reads only the 1,000 rows after: lets through); 'textDocument' alone ${(filterScanMs / 1000).toFixed(2)} s (${hits4.length.toLocaleString('en')}, reads every row)`,
    ];
  } finally {
    await store.close();
  }
}

/** A memory-backed directory when there is one (so the writer's own cost is measured, not the
 *  disk's), else the OS temp dir. */
function fastDir(): { dir: string; what: string } {
  try {
    if (statSync('/dev/shm').isDirectory()) return { dir: mkdtempSync('/dev/shm/ipctap-bench-'), what: 'tmpfs /dev/shm' };
  } catch {
    // no /dev/shm
  }
  return { dir: mkdtempSync(join(tmpdir(), 'ipctap-bench-fast-')), what: 'OS temp dir' };
}

export async function benchCapture(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-capture-'));
  const fast = fastDir();
  const lines: string[] = [];
  try {
    lines.push(`capture writer throughput (${throughputBytes / MiB} MiB per run, best of 3, on ${fast.what}, fsync at the end included; MB/s = MiB/s)`);
    lines.push('  chunk    CaptureWriter   plain write/chunk   plain 1 MiB writes   writer/plain-1MiB   file overhead');
    for (const size of [64 * 1024, 256]) {
      const total = size === 256 ? throughputBytes / 4 : throughputBytes;
      // Best of 3, alternating, so page-cache writeback from one run weighs on each alike.
      const perChunkBytes = size === 256 ? total / 4 : total;
      let wr = { ms: Infinity, dropped: 0, fileBytes: 0 };
      let perChunk = Infinity;
      let block = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        const w = await writerRun(fast.dir, size, total);
        if (w.ms < wr.ms) wr = w;
        perChunk = Math.min(perChunk, await plainRun(fast.dir, size, perChunkBytes, false));
        block = Math.min(block, await plainRun(fast.dir, size, total, true));
      }
      const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
      lines.push(
        `  ${label.padEnd(7)}  ${`${mbps(total, wr.ms)} MB/s`.padStart(13)}   ${`${mbps(perChunkBytes, perChunk)} MB/s`.padStart(17)}   ${`${mbps(total, block)} MB/s`.padStart(18)}   ${`${(total / wr.ms / (total / block)).toFixed(2)}x`.padStart(17)}   ${(((wr.fileBytes - total) / total) * 100).toFixed(1).padStart(6)} %` +
          (wr.dropped ? `  (dropped ${wr.dropped} B)` : ''),
      );
      if (size === 256) lines.push(`  (256 B runs use ${total / MiB} MiB; plain write/chunk ${perChunkBytes / MiB} MiB)`);
    }
    // On a disk: whole blocks with O_DIRECT (the default) vs everything through the page cache.
    // CPU is the whole process's (the write threads included), per GiB captured.
    const best = { direct: { ms: Infinity, cpuMs: Infinity, used: false }, cache: { ms: Infinity, cpuMs: Infinity, used: false } };
    for (let rep = 0; rep < 3; rep++) {
      for (const mode of ['direct', 'cache'] as const) {
        const r = await writerRun(dir, 64 * 1024, throughputBytes, mode === 'direct');
        const b = best[mode];
        if (r.ms < b.ms) Object.assign(b, { ms: r.ms, used: r.usedDirect });
        b.cpuMs = Math.min(b.cpuMs, r.cpuMs);
      }
    }
    const perGiB = (cpuMs: number): string => (cpuMs / 1000 / (throughputBytes / 1024 / MiB)).toFixed(2);
    lines.push(
      `capture writer on the OS temp dir (a disk), 64 KiB chunks, best of 3: direct I/O ${mbps(throughputBytes, best.direct.ms)} MB/s, ${perGiB(best.direct.cpuMs)} CPU-s per GiB` +
        `${best.direct.used ? '' : ' (O_DIRECT not available here: page cache)'}; page cache (--no-direct-io) ${mbps(throughputBytes, best.cache.ms)} MB/s, ${perGiB(best.cache.cpuMs)} CPU-s per GiB`,
    );
    const rd = await readerRun(fast.dir, throughputBytes);
    lines.push(`capture reader: ${mbps(throughputBytes, rd.readMs)} MB/s reading back ${throughputBytes / MiB} MiB in 64 KiB chunks (${rd.records} records, ${fast.what})`);

    for (const paced of [true, false]) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--rss-child', String(rssBytes), dir, paced ? 'paced' : 'unpaced'], {
        encoding: 'utf8',
        cwd: join(__dirname, '../..'),
      });
      if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { base: number; peak: number; ms: number; dropped: number; peakQueued: number };
      lines.push(
        `RSS capturing ${(rssBytes / 1024 / MiB).toFixed(2)} GiB in 64 KiB chunks to disk, ${paced ? 'at the rate the disk takes' : 'unpaced (16 per tick, faster than the disk)'}:` +
          ` peak ${(r.peak / MiB).toFixed(0)} MiB (target < 200 MiB; process at start ${(r.base / MiB).toFixed(0)} MiB), ${mbps(rssBytes, r.ms)} MB/s offered,` +
          ` writer backlog peak ${(r.peakQueued / MiB).toFixed(1)} MiB, dropped ${(r.dropped / MiB).toFixed(1)} MiB`,
      );
    }
    lines.push(...(await frameStoreRun(dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(fast.dir, { recursive: true, force: true });
  }
  return lines.join('\n');
}

if (require.main === module) {
  const i = process.argv.indexOf('--rss-child');
  if (i >= 0) {
    rssChild(Number(process.argv[i + 1]), process.argv[i + 2]!, process.argv[i + 3] === 'paced').catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    benchCapture().then(
      (s) => console.log(s),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  }
}

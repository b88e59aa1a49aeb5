// Forwarding benchmark: throughput and ping-pong latency through Unix sockets and TCP, side by
// side in one run: direct, socat, socat -x -v (logging hex to a file), ipctap without capture,
// with capture, and with capture and live decoding. Figures are medians over interleaved rounds,
// reported as ratios to plain socat in the same run.
//   node --import tsx test/bench/forward.ts [--gib 1] [--small-mib 256] [--pings 5000] [--rounds 3] [--only 'ROW;ROW']
//   node --import tsx test/bench/forward.ts --decode-ab [--gib 1] [--rounds 5] [--transport unix|tcp]   decoding vs not, alone
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openCapture } from '../../extension/engine/capture/reader';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist/cli.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

type Addr = { unix: string } | { port: number };

function connect(a: Addr): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const s = 'unix' in a ? net.connect(a.unix) : net.connect(a.port, '127.0.0.1');
    s.once('connect', () => res(s));
    s.once('error', rej);
  });
}

async function waitConnectable(a: Addr, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const s = await connect(a);
      s.destroy();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function startProc(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout!.resume();
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  p.on('exit', (code) => {
    if (code && code !== 0 && !p.killed) process.stderr.write(`${cmd} exited ${code}: ${err}\n`);
  });
  return p;
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  });
}

/** Send `total` bytes in writes of `size`, wait for the sink's count; returns MB/s. */
async function throughput(a: Addr, total: number, size: number): Promise<number> {
  const s = await connect(a);
  // 64-byte lines ('a' x 63 + newline), so the decoding path has frames to decode.
  const buf = Buffer.alloc(size, 0x61);
  for (let i = 63; i < size; i += 64) buf[i] = 0x0a;
  const t0 = process.hrtime.bigint();
  let sent = 0;
  await new Promise<void>((res) => {
    const pump = () => {
      while (sent < total) {
        sent += size;
        if (!s.write(buf)) return void s.once('drain', pump);
      }
      s.end();
      res();
    };
    pump();
  });
  const reply = await new Promise<string>((res, rej) => {
    let t = '';
    s.on('data', (d) => (t += d));
    s.on('end', () => res(t));
    s.on('error', rej);
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (Number(reply.trim()) !== sent) throw new Error(`sink got ${reply.trim()} bytes, sent ${sent}`);
  return sent / secs / 1e6;
}

/** Write `msg` to an echo peer and wait until as many bytes came back. */
function roundTrip(s: net.Socket, msg: Buffer): Promise<void> {
  s.write(msg);
  let got = 0;
  return new Promise<void>((res) => {
    const on = (d: Buffer) => {
      got += d.length;
      if (got >= msg.length) {
        s.off('data', on);
        res();
      }
    };
    s.on('data', on);
  });
}

/** 64-byte ping-pong; returns p50 and p99 round trip in µs. */
async function pingpong(a: Addr, count: number): Promise<{ p50: number; p99: number }> {
  const s = await connect(a);
  s.setNoDelay(true);
  const msg = Buffer.alloc(64, 0x62);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await roundTrip(s, msg);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  s.destroy();
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! };
}

/** `count` times: connect, one 64-byte round trip, close. Returns the p50 in µs (what a client
 *  making short connections, a net/rpc call per connection say, waits for through the path). */
async function setupLatency(a: Addr, count: number): Promise<number> {
  const msg = Buffer.alloc(64, 0x63);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const s = await connect(a);
    s.setNoDelay(true);
    await roundTrip(s, msg);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    s.destroy();
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(count * 0.5)]!;
}

interface Variant {
  name: string;
  /** Start a forwarder from `listen` to `target`; undefined = direct. */
  start?: (listen: Addr, target: Addr, dir: string) => ChildProcess;
  /** Throughput runs move this fraction of the data (socat -x -v writes a hex dump and is slow). */
  share?: number;
}

function socatAddr(a: Addr, listen: boolean): string {
  if ('unix' in a) return listen ? `UNIX-LISTEN:${a.unix},fork` : `UNIX-CONNECT:${a.unix}`;
  return listen ? `TCP-LISTEN:${a.port},bind=127.0.0.1,reuseaddr,fork` : `TCP:127.0.0.1:${a.port}`;
}

function tapSpec(listen: Addr, target: Addr): string {
  return 'unix' in listen && 'unix' in target ? `unix:${listen.unix}=${target.unix}` : `tcp:${(listen as { port: number }).port}=127.0.0.1:${(target as { port: number }).port}`;
}

let capN = 0;
/** The capture file each forwarder writes (by pid). */
const captureOf = new Map<number, string>();
const ipctap = (extra: string[]) => (l: Addr, t: Addr, d: string) => {
  let file: string | undefined;
  const args = extra.map((x) => (x === 'CAP' ? (file = join(d, `cap${capN++}.ipctap`)) : x));
  const p = startProc(process.execPath, [cli, 'proxy', '-q', ...args, '--tap', tapSpec(l, t)]);
  if (file && p.pid) captureOf.set(p.pid, file);
  return p;
};

/**
 * Chunk bytes in a capture file from `from` (a record boundary) to its end, and where that end
 * is. The writer drops chunk data when the disk falls behind (forwarding goes on): this says how
 * much of a run was really captured.
 */
async function capturedSince(file: string, from: number): Promise<{ bytes: number; end: number }> {
  const r = await openCapture(file);
  try {
    let bytes = 0;
    for await (const e of r.records({ from: Math.max(from, r.dataStart) })) if (e.record.t === 'c') bytes += e.record.data.length;
    return { bytes, end: await r.size() };
  } finally {
    await r.close();
  }
}

/** MB/s of writing `total` bytes to a new file in `dir` (1 MiB writes): what the disk, through the
 *  page cache, gives any capture on this machine. */
function newFileWrite(dir: string, total: number): number {
  const f = join(dir, 'disk-probe');
  const buf = Buffer.alloc(1024 * 1024, 0x61);
  const fd = openSync(f, 'w');
  const t0 = process.hrtime.bigint();
  try {
    for (let n = 0; n < total; n += buf.length) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(f, { force: true });
  return total / 1e6 / (ms / 1000);
}

const CAPTURE = ['-w', 'CAP'];
const CAPTURE_DECODE = ['-w', 'CAP', '--stats', '--decode', 'lines'];

/** Addresses for one transport's run: socket files in `dir`, or fresh loopback ports. */
function addresses(transport: 'unix' | 'tcp', dir: string): (name: string) => Addr {
  return (name) => (transport === 'unix' ? { unix: join(dir, `${name}.sock`) } : { port: nextPort++ });
}

/** Start a bench peer (peers.mjs sink|echo) listening at `a`. */
function startPeer(mode: 'sink' | 'echo', a: Addr): ChildProcess {
  return startProc(process.execPath, [join(__dirname, 'peers.mjs'), mode, 'unix' in a ? a.unix : `tcp:${a.port}`]);
}

const allVariants: Variant[] = [
  { name: 'direct' },
  { name: 'socat', start: (l, t) => startProc('socat', ['-b', '65536', socatAddr(l, true), socatAddr(t, false)]) },
  {
    name: 'socat -x -v',
    share: 1 / 64,
    start: (l, t, d) => startProc('sh', ['-c', `exec socat -b 65536 -x -v ${socatAddr(l, true)} ${socatAddr(t, false)} 2>>${join(d, 'socat.log')}`]),
  },
  // The ceiling for any Node.js forwarder on this machine: a bare relay, nothing else.
  {
    name: 'node relay (bare)',
    start: (l, t) => startProc(process.execPath, [join(__dirname, 'bare-relay.mjs'), 'unix' in l ? l.unix : `tcp:${l.port}`, 'unix' in t ? t.unix : `tcp:${t.port}`]),
  },
  { name: 'ipctap, no capture', start: ipctap([]) },
  { name: 'ipctap, capture', start: ipctap(CAPTURE) },
  // The same through the page cache (what every capture did before direct I/O).
  { name: 'ipctap, capture (page cache)', start: ipctap([...CAPTURE, '--no-direct-io']) },
  // Nothing dropped: forwarding waits for the disk when the capture falls behind.
  { name: 'ipctap, lossless capture', start: ipctap(['-w', 'CAP', '--lossless']) },
  { name: 'ipctap, lossless (page cache)', start: ipctap(['-w', 'CAP', '--lossless', '--no-direct-io']) },
  // Decoding every frame (64-byte lines) without printing them: --stats keeps a per-connection tally.
  { name: 'ipctap, capture+decode', start: ipctap(CAPTURE_DECODE) },
];

/** `--only 'ipctap, capture;ipctap, capture+decode'`: just those rows (socat, the reference, is always run). */
function selected(): Variant[] {
  const i = process.argv.indexOf('--only');
  if (i < 0) return allVariants;
  const names = new Set(process.argv[i + 1]!.split(';').map((x) => x.trim()));
  names.add('socat');
  const unknown = [...names].filter((n) => !allVariants.some((v) => v.name === n));
  if (unknown.length) throw new Error(`--only: unknown row ${unknown.join(', ')}; rows: ${allVariants.map((v) => v.name).join('; ')}`);
  return allVariants.filter((v) => names.has(v.name));
}
const variants = selected();

/** CPU ticks (user + system) a process has used; 0 once it is gone. */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

/** Wait until these processes use (almost) no CPU over 200 ms (at most `maxMs`). */
async function waitIdle(pids: number[], maxMs = 300_000): Promise<void> {
  const end = Date.now() + maxMs;
  let before = pids.reduce((n, p) => n + cpuTicks(p), 0);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    const now = pids.reduce((n, p) => n + cpuTicks(p), 0);
    if (now - before <= 2) break;
    before = now;
  }
  if (process.env.BENCH_DEBUG) console.error(`(waited ${Date.now() - (end - maxMs)} ms for the forwarders to idle)`);
}

// Below the kernel's ephemeral range (32768+ here), so a port picked here is not one a client socket holds.
let nextPort = 12000 + Math.floor(Math.random() * 18000);

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(x >= 0.9995 ? 0 : 1)}%` : '';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** `--transport unix` or `tcp`: only that one (default both). */
function transports(): ('unix' | 'tcp')[] {
  const i = process.argv.indexOf('--transport');
  if (i < 0) return ['unix', 'tcp'];
  const t = process.argv[i + 1];
  if (t !== 'unix' && t !== 'tcp') throw new Error(`--transport: unix or tcp, not ${t}`);
  return [t];
}

/**
 * `--decode-ab`: decoding vs not, measured alone. Two capturing proxies, one also decoding
 * (`--stats --decode lines`; the flood is 64-byte lines, 16 M frames per GiB), take turns with
 * one flood each per round (the order alternates). Before and after every flood both proxies
 * must be idle: the decoding proxy catches up for seconds after a flood, and a flood through
 * the other one meanwhile would be slowed by it (which skews the ratio either way).
 * Reports each pair, the median ratio, and the proxies' CPU during the floods.
 */
async function benchDecodeAB(): Promise<string> {
  const total = arg('gib', 1) * 1024 ** 3;
  const rounds = arg('rounds', 5);
  const lines: string[] = [
    `Decoding vs not: ${rounds} rounds of one ${total / 1024 ** 3} GiB flood (64 KiB writes of 64-byte lines) through each proxy, both idle before and after each flood`,
  ];
  for (const transport of transports()) {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-ab-'));
    const procs: ChildProcess[] = [];
    const addr = addresses(transport, dir);
    try {
      const sink = addr('sink');
      procs.push(startPeer('sink', sink));
      await waitConnectable(sink);
      const paths = [
        { name: 'capture', extra: CAPTURE },
        { name: 'capture+decode', extra: CAPTURE_DECODE },
      ].map((v) => {
        const a = addr(v.name);
        const p = ipctap(v.extra)(a, sink, dir);
        procs.push(p);
        return { ...v, a, pid: p.pid!, mbs: [] as number[], ticks: [] as number[] };
      });
      for (const p of paths) await waitConnectable(p.a);
      const pids = paths.map((p) => p.pid);
      const ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 ? [1, 0] : [0, 1];
        for (const i of order) {
          const p = paths[i]!;
          await waitIdle(pids);
          const t0 = cpuTicks(p.pid);
          p.mbs.push(await throughput(p.a, total, 65536));
          p.ticks.push(cpuTicks(p.pid) - t0);
        }
        ratios.push(paths[1]!.mbs[r]! / paths[0]!.mbs[r]!);
        lines.push(
          `${transport.padEnd(5)} round ${r + 1}: capture ${paths[0]!.mbs[r]!.toFixed(0)} MB/s (${paths[0]!.ticks[r]} ticks), capture+decode ${paths[1]!.mbs[r]!.toFixed(0)} MB/s (${paths[1]!.ticks[r]} ticks): ${ratios[r]!.toFixed(2)}`,
        );
      }
      await waitIdle(pids);
      lines.push(
        `${transport.padEnd(5)} decoding vs not: median ${median(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); CPU ticks during a flood, median: ${median(paths[0]!.ticks)} vs ${median(paths[1]!.ticks)}`,
      );
    } finally {
      for (const p of procs) await stopProc(p);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  lines.push(
    "ticks = the proxy process's CPU time during the flood, in 10 ms units (the decoding proxy also decodes for seconds after each flood, at full speed once the traffic has stopped).",
  );
  return lines.join('\n');
}

/**
 * Every forwarder is started once per transport; then `rounds` rounds run each measurement on
 * every path in turn, so a burst of load from the rest of the machine hits all paths alike.
 * Each figure is the median over the rounds.
 */
export async function benchForward(): Promise<string> {
  if (process.argv.includes('--decode-ab')) return benchDecodeAB();
  const total = arg('gib', 1) * 1024 ** 3;
  const small = arg('small-mib', 256) * 1024 ** 2;
  const pings = arg('pings', 5000);
  const rounds = arg('rounds', 3);
  const lines: string[] = [];
  lines.push(
    `Forwarding: ${total / 1024 ** 3} GiB in 64 KiB writes, ${small / 1024 ** 2} MiB in 256 B writes, ${pings} 64-byte ping-pongs; median of ${rounds} interleaved rounds`,
  );
  lines.push(
    `${'transport'.padEnd(6)} ${'path'.padEnd(24)} ${'64K MB/s'.padStart(9)} ${'/socat'.padStart(7)} ${'256B MB/s'.padStart(10)} ${'/socat'.padStart(7)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'p50/socat'.padStart(10)} ${'64K capt'.padStart(9)} ${'256B capt'.padStart(9)} ${'setup µs'.padStart(9)}`,
  );
  for (const transport of ['unix', 'tcp'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-'));
    const procs: ChildProcess[] = [];
    const addr = addresses(transport, dir);
    const samples = variants.map(() => ({
      big: [] as number[],
      small: [] as number[],
      p50: [] as number[],
      p99: [] as number[],
      capBig: [] as number[],
      capSmall: [] as number[],
      setup: [] as number[],
    }));
    let disk = 0;
    try {
      const sinkAddr = addr('sink');
      const echoAddr = addr('echo');
      procs.push(startPeer('sink', sinkAddr));
      procs.push(startPeer('echo', echoAddr));
      await waitConnectable(sinkAddr);
      await waitConnectable(echoAddr);
      const paths: { a1: Addr; a2: Addr; pids: number[] }[] = [];
      for (const [i, v] of variants.entries()) {
        if (!v.start) {
          paths.push({ a1: sinkAddr, a2: echoAddr, pids: [] });
          continue;
        }
        const a1 = addr(`p${i}a`);
        const a2 = addr(`p${i}b`);
        const p1 = v.start(a1, sinkAddr, dir);
        const p2 = v.start(a2, echoAddr, dir);
        procs.push(p1, p2);
        await waitConnectable(a1);
        await waitConnectable(a2);
        paths.push({ a1, a2, pids: [p1.pid!, p2.pid!] });
      }
      disk = newFileWrite(dir, total);
      const capEnd = new Map<string, number>();
      /** Share of `sent` bytes the forwarder's capture file took since the last call (NaN: no capture). */
      const captured = async (pid: number, sent: number): Promise<number> => {
        const file = captureOf.get(pid);
        if (!file) return NaN;
        const c = await capturedSince(file, capEnd.get(file) ?? 0);
        capEnd.set(file, c.end);
        return c.bytes / sent;
      };
      for (let r = 0; r < rounds; r++) {
        for (const [i, v] of variants.entries()) {
          const share = v.share ?? 1;
          const chunkAlign = (n: number, size: number) => Math.max(size, Math.floor((n * share) / size) * size);
          // (A forwarder still busy with the last run, e.g. decoding what it is behind on, would
          // slow whichever run comes next: each run starts once every forwarder is idle.)
          const all = paths.flatMap((p) => p.pids);
          await waitIdle(all);
          samples[i]!.big.push(await throughput(paths[i]!.a1, chunkAlign(total, 65536), 65536));
          await waitIdle(all);
          samples[i]!.capBig.push(await captured(paths[i]!.pids[0] ?? 0, chunkAlign(total, 65536)));
          samples[i]!.small.push(await throughput(paths[i]!.a1, chunkAlign(small, 256), 256));
          await waitIdle(all);
          samples[i]!.capSmall.push(await captured(paths[i]!.pids[0] ?? 0, chunkAlign(small, 256)));
          const lat = await pingpong(paths[i]!.a2, v.share ? Math.min(pings, 500) : pings);
          if (process.env.BENCH_DEBUG)
            console.error(`${transport} ${v.name}: 64K ${samples[i]!.big.at(-1)!.toFixed(0)} 256B ${samples[i]!.small.at(-1)!.toFixed(0)} p50 ${lat.p50.toFixed(0)}`);
          samples[i]!.p50.push(lat.p50);
          samples[i]!.p99.push(lat.p99);
          samples[i]!.setup.push(await setupLatency(paths[i]!.a2, v.share ? 50 : 300));
        }
      }
    } finally {
      for (const p of procs) await stopProc(p);
      rmSync(dir, { recursive: true, force: true });
    }
    const med = samples.map((x) => ({
      big: median(x.big),
      small: median(x.small),
      p50: median(x.p50),
      p99: median(x.p99),
      capBig: Math.min(...x.capBig),
      capSmall: Math.min(...x.capSmall),
      setup: median(x.setup),
    }));
    lines.push(
      `${transport.padEnd(6)} (disk here: a new ${total / 1024 ** 3} GiB file written at ${disk.toFixed(0)} MB/s — the ceiling for any capture; past it the capture drops data and says so)`,
    );
    const socat = med[variants.findIndex((v) => v.name === 'socat')]!;
    for (const [i, v] of variants.entries()) {
      const m = med[i]!;
      lines.push(
        `${transport.padEnd(6)} ${v.name.padEnd(24)} ${m.big.toFixed(0).padStart(9)} ${(m.big / socat.big).toFixed(2).padStart(7)} ${m.small.toFixed(0).padStart(10)} ${(m.small / socat.small).toFixed(2).padStart(7)} ${m.p50.toFixed(0).padStart(8)} ${m.p99.toFixed(0).padStart(8)} ${(m.p50 / socat.p50).toFixed(2).padStart(10)} ${pct(m.capBig).padStart(9)} ${pct(m.capSmall).padStart(9)} ${m.setup.toFixed(0).padStart(9)}`,
      );
    }
    const cap = med[variants.findIndex((v) => v.name === 'ipctap, capture')];
    const dec = med[variants.findIndex((v) => v.name === 'ipctap, capture+decode')];
    if (cap && dec) lines.push(`${transport.padEnd(6)} decoding vs not (capture on both): 64K ${(dec.big / cap.big).toFixed(2)}, 256B ${(dec.small / cap.small).toFixed(2)}`);
  }
  lines.push('/socat = throughput relative to plain socat in the same run (higher is better); p50/socat = round-trip latency relative to socat (lower is better).');
  lines.push('setup = p50 of connect + one 64-byte round trip + close (300 times).');
  lines.push(
    'capt = share of the bytes sent that the capture file holds (lowest over the rounds; the rest was dropped because the disk fell behind, with a capture-dropped event).',
  );
  return lines.join('\n');
}

if (require.main === module) {
  benchForward().then(
    (t) => console.log(t),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

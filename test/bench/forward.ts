// Forwarding benchmark: throughput and ping-pong latency through Unix sockets and TCP, side by
// side in one run: direct, socat, socat -x -v (logging hex to a file), ipctap with capture on,
// and ipctap with capture and live decoding. Figures are reported as ratios to the direct run.
//   node --import tsx test/bench/forward.ts [--gib 1] [--small-mib 256] [--pings 5000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
  const buf = Buffer.alloc(size, 0x61);
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

/** 64-byte ping-pong; returns p50 and p99 round trip in µs. */
async function pingpong(a: Addr, count: number): Promise<{ p50: number; p99: number }> {
  const s = await connect(a);
  s.setNoDelay(true);
  const msg = Buffer.alloc(64, 0x62);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    s.write(msg);
    let got = 0;
    await new Promise<void>((res) => {
      const on = (d: Buffer) => {
        got += d.length;
        if (got >= 64) {
          s.off('data', on);
          res();
        }
      };
      s.on('data', on);
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  s.destroy();
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! };
}

interface Variant {
  name: string;
  /** Start a forwarder from `listen` to `target`; undefined = direct. */
  start?: (listen: Addr, target: Addr, dir: string) => ChildProcess;
}

function socatAddr(a: Addr, listen: boolean): string {
  if ('unix' in a) return listen ? `UNIX-LISTEN:${a.unix},fork` : `UNIX-CONNECT:${a.unix}`;
  return listen ? `TCP-LISTEN:${a.port},bind=127.0.0.1,reuseaddr,fork` : `TCP:127.0.0.1:${a.port}`;
}

function tapSpec(listen: Addr, target: Addr): string {
  return 'unix' in listen && 'unix' in target ? `unix:${listen.unix}=${target.unix}` : `tcp:${(listen as { port: number }).port}=127.0.0.1:${(target as { port: number }).port}`;
}

const variants: Variant[] = [
  { name: 'direct' },
  { name: 'socat', start: (l, t) => startProc('socat', ['-b', '65536', socatAddr(l, true), socatAddr(t, false)]) },
  { name: 'socat -x -v', start: (l, t, d) => startProc('sh', ['-c', `exec socat -b 65536 -x -v ${socatAddr(l, true)} ${socatAddr(t, false)} 2>${join(d, 'socat.log')}`]) },
  { name: 'ipctap (capture)', start: (l, t, d) => startProc(process.execPath, [cli, 'proxy', '-q', '-w', join(d, 'cap.ipctap'), '--tap', tapSpec(l, t)]) },
  { name: 'ipctap (capture+decode)', start: (l, t, d) => startProc(process.execPath, [cli, 'proxy', '--json', '--decode', 'lines', '-w', join(d, 'cap2.ipctap'), '--tap', tapSpec(l, t)]) },
];

let nextPort = 20000 + Math.floor(Math.random() * 20000);

export async function benchForward(): Promise<string> {
  const total = arg('gib', 1) * 1024 ** 3;
  const small = arg('small-mib', 256) * 1024 ** 2;
  const pings = arg('pings', 5000);
  const lines: string[] = [];
  lines.push(`Forwarding: ${total / 1024 ** 3} GiB in 64 KiB writes, ${small / 1024 ** 2} MiB in 256 B writes, ${pings} 64-byte ping-pongs`);
  lines.push(`${'transport'.padEnd(6)} ${'path'.padEnd(24)} ${'64K MB/s'.padStart(9)} ${'ratio'.padStart(6)} ${'256B MB/s'.padStart(10)} ${'ratio'.padStart(6)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'p50 vs socat'.padStart(13)}`);
  for (const transport of ['unix', 'tcp'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-'));
    const results: { name: string; big: number; small: number; p50: number; p99: number }[] = [];
    try {
      for (const v of variants) {
        const sinkAddr: Addr = transport === 'unix' ? { unix: join(dir, 'sink.sock') } : { port: nextPort++ };
        const echoAddr: Addr = transport === 'unix' ? { unix: join(dir, 'echo.sock') } : { port: nextPort++ };
        const sink = startProc(process.execPath, [join(__dirname, 'peers.mjs'), 'sink', 'unix' in sinkAddr ? sinkAddr.unix : `tcp:${sinkAddr.port}`]);
        const echo = startProc(process.execPath, [join(__dirname, 'peers.mjs'), 'echo', 'unix' in echoAddr ? echoAddr.unix : `tcp:${echoAddr.port}`]);
        const procs = [sink, echo];
        try {
          await waitConnectable(sinkAddr);
          await waitConnectable(echoAddr);
          let a1 = sinkAddr;
          let a2 = echoAddr;
          if (v.start) {
            a1 = transport === 'unix' ? { unix: join(dir, 'p1.sock') } : { port: nextPort++ };
            a2 = transport === 'unix' ? { unix: join(dir, 'p2.sock') } : { port: nextPort++ };
            procs.push(v.start(a1, sinkAddr, dir), v.start(a2, echoAddr, dir));
            await waitConnectable(a1);
            await waitConnectable(a2);
          }
          const big = await throughput(a1, total, 65536);
          const sm = await throughput(a1, small, 256);
          const lat = await pingpong(a2, pings);
          results.push({ name: v.name, big, small: sm, ...lat });
        } finally {
          for (const p of procs) await stopProc(p);
          for (const f of ['cap.ipctap', 'cap2.ipctap', 'socat.log']) if (existsSync(join(dir, f))) statSync(join(dir, f));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const direct = results[0]!;
    const socat = results.find((r) => r.name === 'socat')!;
    for (const r of results) {
      lines.push(
        `${transport.padEnd(6)} ${r.name.padEnd(24)} ${r.big.toFixed(0).padStart(9)} ${(r.big / direct.big).toFixed(2).padStart(6)} ${r.small.toFixed(0).padStart(10)} ${(r.small / direct.small).toFixed(2).padStart(6)} ${r.p50.toFixed(0).padStart(8)} ${r.p99.toFixed(0).padStart(8)} ${(r.p50 / socat.p50).toFixed(2).padStart(13)}`,
      );
    }
  }
  lines.push('ratio = throughput / direct in the same run; p50 vs socat = added-latency comparison (lower is better).');
  return lines.join('\n');
}

if (require.main === module) {
  benchForward().then((t) => console.log(t), (e) => {
    console.error(e);
    process.exit(1);
  });
}

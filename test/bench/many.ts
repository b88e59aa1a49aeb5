// npm run bench -- many: 200 concurrent TCP connections, each sending 32 MiB to a sink, through
// ipctap's TCP proxy (without and with a capture file; and with --json decoding to /dev/null)
// and through socat's fork proxy, with a direct run as the ceiling. Throughput as a ratio to
// socat in the same run; peak resident memory of the proxy (socat: all its forked children).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** Resident KiB of `pid` and every child it forked (socat forks one per connection). */
function treeRss(pid: number): number {
  const rss = (p: number): number => {
    try {
      return Number(readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  let total = rss(pid);
  try {
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += rss(Number(c));
  } catch {
    // (gone)
  }
  return total;
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function run(port: number, conns: number, per: number, proc?: ChildProcess): Promise<{ mibs: number; peakMiB: number; failed: number }> {
  let peak = 0;
  const timer = proc ? setInterval(() => (peak = Math.max(peak, treeRss(proc.pid!))), 100) : undefined;
  const buf = Buffer.alloc(64 * 1024, 1);
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((res) => {
          const s = net.connect(port, '127.0.0.1');
          let left = per;
          s.on('error', () => {
            failed++;
            res();
          });
          s.on('connect', function pump() {
            while (left > 0) {
              left -= buf.length;
              if (!s.write(buf)) return void s.once('drain', pump);
            }
            s.end();
          });
          s.resume();
          s.on('close', () => res());
        }),
    ),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (timer) clearInterval(timer);
  return { mibs: (conns * per) / 1048576 / secs, peakMiB: peak / 1024, failed };
}

export async function benchMany(): Promise<string> {
  const conns = arg('conns', 200);
  const per = arg('mib-each', 32) * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-many-'));
  const sinkPort = await freePort();
  const sink = net.createServer((s) => {
    s.on('error', () => undefined);
    s.resume();
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', () => r()));
  const variants: [string, (front: number) => [string, string[]] | undefined][] = [
    ['direct', () => undefined],
    ['socat fork', (f) => ['socat', [`TCP-LISTEN:${f},bind=127.0.0.1,fork,reuseaddr,backlog=1024`, `TCP:127.0.0.1:${sinkPort}`]]],
    ['ipctap, no capture', (f) => [process.execPath, [CLI, 'proxy', '-q', '--tap', `tcp:${f}=127.0.0.1:${sinkPort}`]]],
    ['ipctap, capture', (f) => [process.execPath, [CLI, 'proxy', '-q', '-w', join(dir, 'c.ipctap'), '--tap', `tcp:${f}=127.0.0.1:${sinkPort}`]]],
    ['ipctap, --json decoding', (f) => [process.execPath, [CLI, 'proxy', '--json', '--tap', `tcp:${f}=127.0.0.1:${sinkPort}`]]],
  ];
  const rows: string[] = [];
  let socat = 0;
  try {
    for (const [name, cmd] of variants) {
      const front = await freePort();
      const c = cmd(front);
      const proc = c ? spawn(c[0], c[1], { stdio: 'ignore' }) : undefined;
      try {
        if (proc) await listening(front);
        const r = await run(proc ? front : sinkPort, conns, per, proc);
        if (name === 'socat fork') socat = r.mibs;
        const ratio = socat && name !== 'direct' && name !== 'socat fork' ? ` (${(r.mibs / socat).toFixed(2)}x socat)` : '';
        rows.push(`| ${name} | ${r.mibs.toFixed(0)} MiB/s${ratio} | ${proc ? `${r.peakMiB.toFixed(0)} MiB` : '-'} | ${r.failed} |`);
      } finally {
        if (proc && proc.exitCode === null) {
          await new Promise<void>((r) => {
            proc.once('exit', () => r());
            proc.kill('SIGINT');
            setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
          });
        }
        rmSync(join(dir, 'c.ipctap'), { force: true });
      }
    }
  } finally {
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return [`${conns} concurrent TCP connections x ${per / 1048576} MiB each`, '| proxy | throughput | peak RSS | failed connections |', '|---|---|---|---|', ...rows].join('\n');
}

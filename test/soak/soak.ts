// npm run soak [-- --minutes N] [--conns N]: four tap kinds at once in one ipctap (a Unix socket
// takeover, a Unix proxy, a FIFO relay and a TCP proxy, capturing with --lossless), kept busy by
// `--conns` concurrent connections (default 200) opening and closing for `--minutes` (default 10):
// random write sizes 1 B–1 MiB, the client half-closing at a random point of each connection
// while the echo keeps coming back. Checked: sha256 of what each side sent and received, and of
// each connection's bytes in the capture file. Halfway through, one connection starts reading
// its echo at 1 KiB/s: the other connections' throughput before and after is printed, and
// ipctap's memory is sampled throughout. Prints one summary; exit 1 on any mismatch.
// `--rate MiB/s` (default 20) paces the clients so the capture file stays within the disk.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, constants } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openCapture } from '../../extension/engine/capture/reader';

const CLI = resolve(__dirname, '../../dist/cli.js');
const PEERS = resolve(__dirname, '../bench/peers.mjs');
const READER = resolve(__dirname, '../fixtures/node/fifo-reader.mjs');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MINUTES = arg('minutes', 10);
const CONNS = arg('conns', 200);
/** What the clients send, all connections together (MiB/s): the capture file takes twice that
 *  (both directions), so a 10-minute run at the default writes ~24 GiB. */
const RATE = arg('rate', 20) * 1024 * 1024;
const MAX_CONN_BYTES = 4 * 1024 * 1024;
const ID_LEN = 16; // every connection starts with its id (hex), so the capture can be matched

/** A token bucket shared by every writer: resolves once `n` bytes may be sent. */
let tokens = 0;
let refilled = Date.now();
async function take(n: number): Promise<void> {
  for (;;) {
    const now = Date.now();
    tokens = Math.min(RATE, tokens + ((now - refilled) / 1000) * RATE);
    refilled = now;
    if (tokens >= n || (n > RATE && tokens >= RATE)) {
      tokens -= n;
      return;
    }
    await new Promise((r) => setTimeout(r, Math.max(5, ((n - tokens) / RATE) * 1000)));
  }
}

type Addr = { path: string } | { port: number; host: string };
interface ConnResult {
  id: string;
  sent: string;
  echoed: string;
  bytes: number;
}

const dir = mkdtempSync(join(tmpdir(), 'ipctap-soak-'));
const procs: ChildProcess[] = [];
// However the soak ends (an exception included), its peers and its ipctap end with it (SIGTERM:
// ipctap puts back what it took over).
process.on('exit', () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
});
function start(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  p.stderr!.on('data', (d) => process.stderr.write(`[${args[1] ?? cmd}] ${d}`));
  return p;
}
const line = (p: ChildProcess, re: RegExp): Promise<string> =>
  new Promise((res, rej) => {
    let buf = '';
    p.stdout!.on('data', (d) => {
      buf += d;
      const m = buf.match(re);
      if (m) res(m[0]);
    });
    p.once('exit', () => rej(new Error(`exited before printing ${re}`)));
  });

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** VmRSS / VmHWM of a process in MiB. */
function memory(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** One connection: the id, then random writes (1 B–1 MiB) up to a random total; the client
 *  half-closes when done sending and reads the echo to its end. */
function oneConn(addr: Addr, slow = false): Promise<ConnResult> {
  return new Promise((res, rej) => {
    const id = randomBytes(ID_LEN / 2).toString('hex');
    const total = slow ? 8 * 1024 * 1024 : ID_LEN + Math.floor(Math.random() * MAX_CONN_BYTES);
    const sent = createHash('sha256');
    const echoed = createHash('sha256');
    let got = 0;
    const s = net.connect({ ...addr, allowHalfOpen: true } as net.NetConnectOpts);
    s.on('error', rej);
    s.on('data', (d: Buffer) => {
      echoed.update(d);
      got += d.length;
      if (slow) {
        // 1 KiB/s: hold the rest of the echo back in the kernel and the tap.
        s.pause();
        setTimeout(() => s.resume(), Math.max(1, (d.length / 1024) * 1000));
      }
    });
    s.on('end', () => res({ id, sent: sent.digest('hex'), echoed: echoed.digest('hex'), bytes: got }));
    s.on('connect', async () => {
      const head = Buffer.from(id);
      sent.update(head);
      s.write(head);
      let left = total - ID_LEN;
      while (left > 0) {
        const n = Math.min(left, 1 + Math.floor(Math.random() ** 3 * 1024 * 1024));
        await take(n);
        const b = randomBytes(n);
        sent.update(b);
        left -= n;
        if (!s.write(b)) await new Promise((r) => s.once('drain', r));
      }
      s.end();
    });
  });
}

async function main(): Promise<void> {
  const unixA = join(dir, 'takeover.sock');
  const unixTarget = join(dir, 'target.sock');
  const unixFront = join(dir, 'front.sock');
  const fifoFront = join(dir, 'front.fifo');
  const fifoTarget = join(dir, 'target.fifo');
  const tcpTarget = await freePort();
  const tcpFront = await freePort();
  const capture = join(dir, 'soak.ipctap');
  for (const a of [unixA, unixTarget, `tcp:${tcpTarget}`]) await line(start(process.execPath, [PEERS, 'echo', a]), /ready/);
  spawnSync('mkfifo', [fifoTarget]);
  const reader = start(process.execPath, [READER, fifoTarget]);
  await line(reader, /ready/);
  const tap = start(process.execPath, [
    CLI,
    'proxy',
    '-q',
    '--lossless',
    '-w',
    capture,
    '--decode',
    'raw',
    '--tap',
    `unix:${unixA}`,
    '--tap',
    `unix:${unixFront}=${unixTarget}`,
    '--tap',
    `fifo:${fifoFront}=${fifoTarget}`,
    '--tap',
    `tcp:${tcpFront}=127.0.0.1:${tcpTarget}`,
  ]);
  // (-q prints nothing: wait until every endpoint answers.)
  for (;;) {
    const ok = await Promise.all(
      [{ path: unixA }, { path: unixFront }, { port: tcpFront, host: '127.0.0.1' }].map(
        (a) =>
          new Promise<boolean>((r) => {
            const s = net.connect(a as net.NetConnectOpts);
            s.once('connect', () => (s.destroy(), r(true)));
            s.once('error', () => r(false));
          }),
      ),
    );
    if (ok.every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const addrs: Addr[] = [{ path: unixA }, { path: unixFront }, { port: tcpFront, host: '127.0.0.1' }];
  const t0 = Date.now();
  const end = t0 + MINUTES * 60_000;
  const half = t0 + (MINUTES * 60_000) / 2;
  const results: ConnResult[] = [];
  const failures: string[] = [];
  let bytes = 0;
  let bytesBefore = 0;
  let bytesAfter = 0;
  let peak = 0;
  let slow: Promise<ConnResult> | undefined;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, memory(tap.pid!).rss);
    } catch {
      // (ending)
    }
  }, 500);
  // FIFO writer sessions, one after another, each a random size; the reader hashes the stream.
  const fifoSent = createHash('sha256');
  let fifoBytes = 0;
  const fifoLoop = (async () => {
    while (Date.now() < end) {
      let fd = -1;
      while (fd < 0) {
        try {
          fd = openSync(fifoFront, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch (e) {
          // ENXIO: the tap is between two writer sessions (not reading the FIFO this moment).
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      let left = 1 + Math.floor(Math.random() * MAX_CONN_BYTES);
      while (left > 0) {
        const b = randomBytes(Math.min(left, 1 + Math.floor(Math.random() ** 3 * 1024 * 1024)));
        await take(b.length);
        fifoSent.update(b);
        for (let off = 0; off < b.length;) {
          try {
            off += writeSync(fd, b, off);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        fifoBytes += b.length;
        left -= b.length;
        await new Promise((r) => setImmediate(r));
      }
      closeSync(fd);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  fifoLoop.catch(() => undefined);
  const worker = async (n: number) => {
    while (Date.now() < end) {
      const addr = addrs[n % addrs.length]!;
      try {
        const r = await oneConn(addr);
        results.push(r);
        bytes += r.bytes * 2;
        if (Date.now() < half) bytesBefore += r.bytes * 2;
        else bytesAfter += r.bytes * 2;
        if (r.sent !== r.echoed) failures.push(`connection ${r.id}: echo differs`);
      } catch (e) {
        failures.push(`connection error: ${(e as Error).message}`);
      }
      if (!slow && Date.now() >= half) {
        slow = oneConn({ path: unixFront }, true);
        slow.catch(() => undefined); // (cut when the tap stops)
      }
    }
  };
  await Promise.all(Array.from({ length: CONNS }, (_, i) => worker(i)));
  await fifoLoop;
  const wallS = (Date.now() - t0) / 1000;
  // The slow reader is not waited for (8 MiB at 1 KiB/s); its connection is cut at the end.
  tap.kill('SIGINT');
  await new Promise((r) => tap.once('exit', r));
  clearInterval(sampler);
  reader.kill('SIGTERM');
  const fifoGot = JSON.parse(await line(reader, /\{.*\}/)) as { sha: string; bytes: number };
  if (fifoGot.sha !== fifoSent.digest('hex')) failures.push(`fifo: reader got ${fifoGot.bytes} of ${fifoBytes} bytes, sha differs`);

  // The capture: per connection, the client's bytes and the echo, matched by the id at the start.
  const byId = new Map(results.map((r) => [r.id, r]));
  const conns = new Map<number, { c2s: ReturnType<typeof createHash>; s2c: ReturnType<typeof createHash>; head: string; fifo: boolean }>();
  const fifoCaptured = createHash('sha256');
  const cap = await openCapture(capture);
  const fifoConns = new Set<number>();
  let dropped = 0;
  for await (const { record } of cap.records()) {
    if (record.t === 'e') {
      if (record.kind === 'open' && String(record.tap).startsWith('fifo:') && record.conn !== undefined) fifoConns.add(record.conn);
      if (record.kind === 'capture-dropped') dropped++;
      continue;
    }
    if (record.t !== 'c') continue;
    if (fifoConns.has(record.conn)) {
      fifoCaptured.update(record.data);
      continue;
    }
    let c = conns.get(record.conn);
    if (!c) conns.set(record.conn, (c = { c2s: createHash('sha256'), s2c: createHash('sha256'), head: '', fifo: false }));
    if (record.dir === 'c2s' && c.head.length < ID_LEN) c.head += Buffer.from(record.data.subarray(0, ID_LEN - c.head.length)).toString();
    (record.dir === 'c2s' ? c.c2s : c.s2c).update(record.data);
  }
  let matched = 0;
  for (const c of conns.values()) {
    const r = byId.get(c.head);
    if (!r) continue; // readiness probes, the slow reader
    matched++;
    const a = c.c2s.digest('hex');
    const b = c.s2c.digest('hex');
    if (a !== r.sent || b !== r.echoed) failures.push(`capture of connection ${r.id} differs from what was sent`);
  }
  if (matched !== results.length) failures.push(`capture holds ${matched} of ${results.length} connections`);
  if (fifoCaptured.digest('hex') !== fifoGot.sha) failures.push('capture of the FIFO differs from what the reader got');
  if (dropped) failures.push(`${dropped} capture-dropped events (with --lossless)`);

  const mib = (n: number) => (n / 1048576).toFixed(0);
  const out = [
    `soak: ${MINUTES} min, ${CONNS} concurrent connections, 4 tap kinds in one ipctap (--lossless, -w), clients paced to ${RATE / 1048576} MiB/s`,
    `connections: ${results.length} (+ ${fifoConns.size} FIFO writer sessions); bytes forwarded: ${mib(bytes + fifoBytes)} MiB (sockets both ways ${mib(bytes)}, FIFO ${mib(fifoBytes)})`,
    `throughput: ${(bytes / 1048576 / wallS).toFixed(1)} MiB/s over sockets; first half ${(bytesBefore / 1048576 / (wallS / 2)).toFixed(1)} MiB/s, second half (one reader at 1 KiB/s) ${(bytesAfter / 1048576 / (wallS / 2)).toFixed(1)} MiB/s`,
    `ipctap peak RSS: ${peak.toFixed(0)} MiB; capture file: ${mib(Number(spawnSync('stat', ['-c', '%s', capture], { encoding: 'utf8' }).stdout))} MiB`,
    `mismatches: ${failures.length}${failures.length ? '\n  ' + failures.slice(0, 20).join('\n  ') : ''}`,
  ].join('\n');
  console.log(out);
  process.exitCode = failures.length ? 1 : 0;
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

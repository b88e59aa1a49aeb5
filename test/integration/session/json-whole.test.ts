// JSON Lines hold every frame: `ipctap proxy --tap … --json` with no -w, 64 MiB each way through
// every tap kind, faster than live decoding keeps up with. What the JSON's frames carry must be
// byte for byte what the peers sent (the part live decoding could not keep up with waits in a
// private unlinked spill file, never dropped).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { CLI, cliEnv } from '../../helpers/cli';

const TOTAL = 64 * 1024 * 1024;
const env = cliEnv();
after(() => env.cleanup());

/** `ipctap proxy … --json` whose frames are hashed per connection and direction as they arrive. */
class JsonProxy {
  readonly hashes = new Map<string, { hash: ReturnType<typeof createHash>; bytes: number }>();
  readonly kinds: string[] = [];
  readonly notes: string[] = [];
  stderr = '';
  readonly closed: Promise<number | null>;
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));
  private readonly proc;

  constructor(spec: string) {
    this.proc = spawn(process.execPath, [CLI, 'proxy', '--tap', spec, '--json', '--decode', 'raw'], { env: { ...env.env, TMPDIR: env.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      if (row.type === 'frame') {
        const key = `${row.conn}:${row.dir}`;
        let h = this.hashes.get(key);
        if (!h) this.hashes.set(key, (h = { hash: createHash('sha256'), bytes: 0 }));
        const data = Buffer.from(String(row.data), 'base64');
        h.hash.update(data);
        h.bytes += data.length;
      } else {
        this.kinds.push(String(row.kind));
        if (row.kind === 'tap-ready') this.readyResolve();
        if (row.kind === 'note') this.notes.push(String(row.message));
      }
    });
    this.closed = new Promise((res) => this.proc.on('close', (code) => res(code)));
  }

  async stop(): Promise<number | null> {
    this.proc.kill('SIGINT');
    return this.closed;
  }

  /** sha256 and size of what the JSON held for one direction (all connections). */
  digest(dir: string): { sha: string; bytes: number }[] {
    const out = this.digests.get(dir) ?? [...this.hashes].filter(([k]) => k.endsWith(`:${dir}`)).map(([, h]) => ({ sha: h.hash.digest('hex'), bytes: h.bytes }));
    this.digests.set(dir, out);
    return out;
  }
  private readonly digests = new Map<string, { sha: string; bytes: number }[]>();
}

/** 64 MiB of random data in uneven writes; resolves with its sha256. */
function pattern(): { chunks: Buffer[]; sha: string } {
  const chunks: Buffer[] = [];
  const h = createHash('sha256');
  let left = TOTAL;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, [65536, 1000, 200_000, 7][i % 4]!);
    const b = randomBytes(n);
    chunks.push(b);
    h.update(b);
    left -= n;
  }
  return { chunks, sha: h.digest('hex') };
}

async function clientRound(sock: net.Socket): Promise<{ sent: string; echoed: string; got: number }> {
  const { chunks, sha } = pattern();
  const h = createHash('sha256');
  let got = 0;
  const done = new Promise<void>((res, rej) => {
    sock.on('data', (d: Buffer) => {
      h.update(d);
      got += d.length;
    });
    sock.on('end', () => res());
    sock.on('error', rej);
  });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  for (const c of chunks) if (!sock.write(c)) await new Promise((r) => sock.once('drain', r));
  sock.end();
  await done;
  return { sent: sha, echoed: h.digest('hex'), got };
}

function echoServer(): net.Server {
  return net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
}

async function checkSocket(name: string, listen: (srv: net.Server) => Promise<string>, connect: () => net.Socket): Promise<void> {
  const srv = echoServer();
  const spec = await listen(srv);
  const proxy = new JsonProxy(spec);
  try {
    await proxy.ready;
    const r = await clientRound(connect());
    assert.equal(r.sent, r.echoed, `${name}: the echo came back whole`);
    assert.equal(await proxy.stop(), 0, proxy.stderr);
    assert.deepEqual(proxy.digest('c2s'), [{ sha: r.sent, bytes: TOTAL }], `${name}: JSON frames client→server`);
    assert.deepEqual(proxy.digest('s2c'), [{ sha: r.sent, bytes: TOTAL }], `${name}: JSON frames server→client`);
    assert.ok(!proxy.notes.some((n) => /fell behind|not decoded/.test(n)), `${name}: ${proxy.notes.join('\n')}`);
  } finally {
    await proxy.stop();
    srv.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

test('unix takeover: 64 MiB each way, every byte in the JSON', async () => {
  const path = join(env.dir, 'take.sock');
  await checkSocket(
    'unix takeover',
    (srv) => new Promise((r) => srv.listen(path, () => r(`unix:${path}`))),
    () => net.connect({ path, allowHalfOpen: true }),
  );
});

test('unix proxy: 64 MiB each way, every byte in the JSON', async () => {
  const target = join(env.dir, 'target.sock');
  const front = join(env.dir, 'front.sock');
  await checkSocket(
    'unix proxy',
    (srv) => new Promise((r) => srv.listen(target, () => r(`unix:${front}=${target}`))),
    () => net.connect({ path: front, allowHalfOpen: true }),
  );
});

test('tcp proxy: 64 MiB each way, every byte in the JSON', async () => {
  const front = await freePort();
  await checkSocket(
    'tcp proxy',
    (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(`tcp:${front}=127.0.0.1:${(srv.address() as net.AddressInfo).port}`))),
    () => net.connect({ port: front, host: '127.0.0.1', allowHalfOpen: true }),
  );
});

test('fifo relay: 64 MiB, every byte in the JSON', async () => {
  const target = join(env.dir, 'target.fifo');
  const front = join(env.dir, 'front.fifo');
  assert.equal(spawnSync('mkfifo', [target]).status, 0);
  const proxy = new JsonProxy(`fifo:${front}=${target}`);
  // The reader of the target FIFO: sha256sum prints the hash of everything relayed to it.
  const reader = spawn('sha256sum', [target], { stdio: ['ignore', 'pipe', 'inherit'] });
  let readerOut = '';
  reader.stdout.on('data', (d) => (readerOut += d));
  const readerDone = new Promise<void>((r) => reader.on('close', () => r()));
  try {
    await proxy.ready;
    const { chunks, sha } = pattern();
    const w = createWriteStream(front);
    for (const c of chunks) if (!w.write(c)) await new Promise<void>((r) => w.once('drain', () => r()));
    await new Promise<void>((r) => w.end(() => r()));
    await readerDone;
    assert.equal(readerOut.split(' ')[0], sha, 'the reader got every byte');
    assert.equal(await proxy.stop(), 0, proxy.stderr);
    assert.equal(
      proxy.digest('c2s').reduce((n, d) => n + d.bytes, 0),
      TOTAL,
      'bytes in the JSON',
    );
    assert.deepEqual(
      proxy.digest('c2s').map((d) => d.sha),
      [sha],
      'one writer session, every byte',
    );
    assert.ok(!proxy.notes.some((n) => /fell behind|not decoded/.test(n)), proxy.notes.join('\n'));
  } finally {
    await proxy.stop();
    reader.kill();
  }
});

test('nothing is left on disk: the spill file has no name', () => {
  assert.deepEqual(
    readdirSync(env.dir).filter((n) => n.startsWith('ipctap-spill')),
    [],
  );
});

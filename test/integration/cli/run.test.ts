// ipctap run / proxy / read / signal as a user drives them, with real processes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { goBinary } from '../../helpers/go';
import { b64, cliEnv, frames, LiveCli, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());

test('run --json: spawn, stdio frames byte-exact, exit; the capture reads back identically', async () => {
  const cap = join(env.dir, 'run.ipctap');
  const script = "process.stdin.on('data', d => process.stdout.write('echo:' + d)); process.stderr.write('warn\\n')";
  const r = await runCli(['run', '--json', '--decode', 'lines', '-w', cap, '--', process.execPath, '-e', script], { env: env.env });
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const spawnEv = rows.find((x) => x.type === 'event' && x.kind === 'spawn');
  assert.ok(spawnEv, 'spawn event');
  assert.equal(typeof spawnEv.pid, 'number');
  const exitEv = rows.find((x) => x.type === 'event' && x.kind === 'exit');
  assert.equal(exitEv.code, 0);
  const err = frames(rows, (f) => f.dir === 'stderr');
  assert.equal(err.map((f) => b64(f).toString()).join(''), 'warn\n');
  assert.equal(err[0]!.proto, 'lines');
  // ids are dense and increasing
  rows.forEach((row, i) => assert.equal(row.id, i + 1));
  // The capture decodes again to the same rows.
  const again = await runCli(['read', '--json', '--decode', 'lines', cap], { env: env.env });
  assert.equal(again.code, 0, again.stderr);
  const rows2 = again.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const strip = (x: Record<string, unknown>) => ({ ...x, ts: 0 });
  assert.deepEqual(frames(rows2).map(strip), frames(rows).map(strip));
  // Text output names the frames readably.
  const text = await runCli(['read', cap], { env: env.env });
  assert.match(text.stdout, /spawn pid \d+/);
  assert.match(text.stdout, /warn/);
});

test('proxy tcp: both directions captured byte-exact with connection ids and JSON Lines shape', async () => {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const target = (server.address() as net.AddressInfo).port;
  const live = new LiveCli(['proxy', '--json', '--decode', 'lines', '--tap', `tcp:0=127.0.0.1:${target}`], env.env);
  try {
    const ready = await live.waitFor((x) => x.kind === 'tap-ready');
    const port = Number(String(ready.address).split(':').pop());
    assert.ok(port > 0, `listening address ${ready.address}`);
    const payload = Buffer.from('hello\nworld\n');
    const got = await new Promise<Buffer>((res, rej) => {
      const c = net.connect(port, '127.0.0.1', () => c.end(payload));
      const parts: Buffer[] = [];
      c.on('data', (d) => parts.push(d));
      c.on('end', () => res(Buffer.concat(parts)));
      c.on('error', rej);
    });
    assert.deepEqual(got, payload);
    await live.waitFor((x) => x.kind === 'close');
    const f = frames(live.rows);
    const c2s = f.filter((x) => x.dir === 'c2s');
    const s2c = f.filter((x) => x.dir === 's2c');
    assert.deepEqual(
      c2s.map((x) => x.summary),
      ['hello', 'world'],
    );
    assert.deepEqual(Buffer.concat(s2c.map(b64)), payload);
    const open = live.rows.find((x) => x.kind === 'open')!;
    assert.equal(f[0]!.conn, open.conn);
    for (const x of f) {
      for (const k of ['id', 'ts', 'tap', 'conn', 'dir', 'proto', 'len', 'data', 'summary', 'decoded']) assert.ok(k in x, `frame has ${k}`);
      assert.equal(x.len, b64(x).length);
    }
  } finally {
    const end = await live.stop();
    server.close();
    assert.equal(end.code, 0, live.stderr);
  }
});

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

test('proxy -q --stats: nothing per frame, a per-connection table on exit', async () => {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const target = (server.address() as net.AddressInfo).port;
  const port = await freePort();
  const live = new LiveCli(['proxy', '-q', '--stats', '--decode', 'lines', '--tap', `tcp:${port}=127.0.0.1:${target}`], env.env);
  try {
    await live.waitForStderr(/tapping/);
    await new Promise<void>((res, rej) => {
      const c = net.connect(port, '127.0.0.1', () => c.end('one\ntwo\nthree\n'));
      c.resume();
      c.on('end', () => res());
      c.on('error', rej);
    });
  } finally {
    const end = await live.stop();
    server.close();
    assert.equal(end.code, 0, live.stderr);
    assert.equal(live.rows.length, 0, 'nothing printed per frame');
    assert.match(live.stderr, /^1\s+tcp:\d+=127\.0\.0\.1:\d+\s+lines\s+3\/3\s+14\/14\s+0\s/m);
  }
});

test('signal through a running session: the Go program reacts, signal-sent and exit are recorded', async () => {
  const bin = goBinary('signals');
  const live = new LiveCli(['run', '--json', '--decode', 'lines', '--', bin], env.env);
  const spawnEv = await live.waitFor((x) => x.kind === 'spawn');
  const pid = Number(spawnEv.pid);
  await live.waitFor((x) => x.type === 'frame' && /^ready/.test(String(x.summary)));
  const s = await runCli(['signal', String(pid), 'USR1'], { env: env.env });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /recorded by the ipctap session/);
  await live.waitFor((x) => x.type === 'frame' && x.summary === 'got SIGUSR1');
  const sent = await live.waitFor((x) => x.kind === 'signal-sent');
  assert.equal(sent.signal, 'SIGUSR1');
  assert.equal(sent.pid, pid);
  await runCli(['signal', String(pid), 'SIGTERM'], { env: env.env });
  const exit = await live.waitFor((x) => x.kind === 'exit');
  assert.equal(exit.code, 43, 'the Go handler ran and exited with its code for SIGTERM');
  const end = await live.closed;
  assert.equal(end.code, 43, `run ends with the program's own status: ${live.stderr}`);
});

test("run ends with the launched program's status: its code, or 128 + the signal", async () => {
  const a = await runCli(['run', '-q', '--no-stdin', '--', 'sh', '-c', 'exit 3'], { env: env.env });
  assert.equal(a.code, 3, a.stderr);
  assert.match(a.stderr, /sh exited with code 3/);
  const b = await runCli(['run', '-q', '--no-stdin', '--', 'sh', '-c', 'kill -TERM $$'], { env: env.env });
  assert.equal(b.code, 143, b.stderr);
  const c = await runCli(['run', '-q', '--no-stdin', '--', 'true'], { env: env.env });
  assert.equal(c.code, 0, c.stderr);
});

test('a 16 MiB stream through run stdio is captured whole', async () => {
  const cap = join(env.dir, 'big.ipctap');
  const script = "const b=Buffer.alloc(65536,7);let n=0;(function w(){while(n<256){n++;if(!process.stdout.write(b))return process.stdout.once('drain',w)}})()";
  const r = await runCli(['run', '--json', '-q', '-w', cap, '--', process.execPath, '-e', script], { env: env.env });
  assert.equal(r.code, 0, r.stderr);
  const back = await runCli(['read', '--json', '--decode', 'raw', cap], { env: env.env, timeoutMs: 60000 });
  const out = frames(
    back.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    (x) => x.dir === 'stdout',
  );
  const h = createHash('sha256');
  let n = 0;
  for (const f of out) {
    const b = b64(f);
    n += b.length;
    h.update(b);
  }
  assert.equal(n, 16 * 1024 * 1024);
  assert.equal(
    h.digest('hex'),
    createHash('sha256')
      .update(Buffer.alloc(16 * 1024 * 1024, 7))
      .digest('hex'),
  );
});

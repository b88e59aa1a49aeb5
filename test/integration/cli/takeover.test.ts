// Takeover through the CLI: traffic captured at the original path, and the original always put
// back — on SIGINT, and after SIGKILL by `ipctap restore` or by the next ipctap command.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { b64, CLI, cliEnv, frames, LiveCli, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const env = cliEnv();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  env.cleanup();
});

function echoServer(path: string): Promise<ChildProcess> {
  const p = spawn(goBinary('unixserver'), [path], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(p);
  return new Promise((res, rej) => {
    p.stdout!.once('data', () => res(p));
    p.once('exit', (c) => rej(new Error(`unixserver exited ${c}`)));
  });
}

function roundTrip(path: string, msg: string, holdMs = 0): Promise<string> {
  return new Promise((res, rej) => {
    const c = net.connect(path, () => {
      c.write(msg);
      setTimeout(() => c.end(), holdMs);
    });
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => res(got));
    c.on('error', rej);
  });
}

/** The Go server's own socket is at `path` again: nothing renamed is left beside it. */
function assertOriginalBack(dir: string, path: string) {
  assert.ok(existsSync(path), 'the socket path exists');
  const leftovers = readdirSync(dir).filter((n) => n.includes('ipctap'));
  assert.deepEqual(leftovers, [], 'no renamed socket left beside it');
}

test('run --tap unix:PATH captures a client of a server launched by ipctap', async () => {
  const path = join(env.dir, 'run.sock');
  const live = new LiveCli(['run', '--json', '--decode', 'raw', '--tap', `unix:${path}`, '--', goBinary('unixserver'), path], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready' && String(x.tap).startsWith('unix:'));
    assert.equal(await roundTrip(path, 'ping through the tap', 500), 'ping through the tap');
    const open = await live.waitFor((x) => x.kind === 'open' && String(x.tap).startsWith('unix:'));
    await live.waitFor((x) => x.kind === 'close' && x.conn === open.conn);
    const f = frames(live.rows, (x) => x.conn === open.conn);
    assert.equal(Buffer.concat(f.filter((x) => x.dir === 'c2s').map(b64)).toString(), 'ping through the tap');
    assert.equal(Buffer.concat(f.filter((x) => x.dir === 's2c').map(b64)).toString(), 'ping through the tap');
    // The peers' pids: in the open event, or in a note that follows when the lookup finished later.
    const server = live.rows.find((x) => x.kind === 'spawn')!;
    const peerEv = await live.waitFor((x) => x.conn === open.conn && !!(x.peers as { server?: number[] } | undefined)?.server);
    assert.deepEqual((peerEv.peers as { server: number[] }).server, [server.pid], 'the server pid is known');
  } finally {
    const end = await live.stop('SIGINT');
    assert.equal(end.code, 0, live.stderr);
  }
  assert.deepEqual(
    readdirSync(env.dir).filter((n) => n.includes('ipctap')),
    [],
    'nothing left renamed',
  );
});

test('proxy takeover -w: the Go server restarts while ipctap runs; calls before and after are captured, and its new socket is back at the path', async () => {
  const path = join(env.dir, 'restart.sock');
  const capture = join(env.dir, 'restart.ipctap');
  let server = await echoServer(path);
  const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '-w', capture, '--tap', `unix:${path}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    assert.equal(await roundTrip(path, 'before the restart'), 'before the restart');
    server.kill('SIGTERM'); // the Go server removes its path on the way out
    await new Promise((r) => server.once('exit', r));
    server = await echoServer(path);
    await live.waitFor((x) => x.kind === 'note' && /the server restarted and bound .* again; taken over again/.test(String(x.message)));
    assert.equal(await roundTrip(path, 'after the restart'), 'after the restart');
    await live.waitFor((x) => x.type === 'frame' && x.dir === 's2c' && b64(x).toString() === 'after the restart');
  } finally {
    const end = await live.stop('SIGINT');
    assert.equal(end.code, 0, live.stderr);
  }
  const read = await runCli(['read', '--json', '--decode', 'raw', capture], { env: env.env });
  assert.equal(read.code, 0, read.stderr);
  const rows = read.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const sent = frames(rows, (x) => x.dir === 'c2s').map((x) => b64(x).toString());
  assert.ok(sent.includes('before the restart') && sent.includes('after the restart'), `both calls captured: ${JSON.stringify(sent)}`);
  rmSync(capture);
  assertOriginalBack(env.dir, path);
  // The restarted server's own socket: a client reaches it directly.
  const direct = net.connect(path);
  await new Promise<void>((res, rej) => direct.once('connect', res).once('error', rej));
  direct.destroy();
  assert.equal(await roundTrip(path, 'direct'), 'direct');
  server.kill();
});

test('proxy takeover: SIGINT puts the original socket back', async () => {
  const path = join(env.dir, 'int.sock');
  await echoServer(path);
  const live = new LiveCli(['proxy', '--json', '--tap', `unix:${path}`], env.env);
  await live.waitFor((x) => x.kind === 'tap-ready');
  assert.equal(await roundTrip(path, 'a'), 'a');
  await live.waitFor((x) => x.type === 'frame' && x.dir === 's2c');
  const end = await live.stop('SIGINT');
  assert.equal(end.code, 0, live.stderr);
  assert.ok(
    live.rows.some((x) => x.kind === 'restored'),
    'a restored event',
  );
  assertOriginalBack(env.dir, path);
  assert.equal(await roundTrip(path, 'direct again'), 'direct again');
});

test('proxy takeover killed with SIGKILL: ipctap restore puts the original back', async () => {
  const path = join(env.dir, 'kill.sock');
  await echoServer(path);
  const live = new LiveCli(['proxy', '--json', '--tap', `unix:${path}`], env.env);
  await live.waitFor((x) => x.kind === 'tap-ready');
  await live.stop('SIGKILL');
  await assert.rejects(roundTrip(path, 'x'), 'the dead tap socket refuses connections');
  const r = await runCli(['restore'], { env: env.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /restored/);
  assertOriginalBack(env.dir, path);
  assert.equal(await roundTrip(path, 'back'), 'back');
  const again = await runCli(['restore'], { env: env.env });
  assert.match(again.stdout, /nothing to restore/);
});

test('after SIGKILL, the next ipctap command of any kind restores first', async () => {
  const path = join(env.dir, 'next.sock');
  await echoServer(path);
  const live = new LiveCli(['proxy', '--json', '--tap', `unix:${path}`], env.env);
  await live.waitFor((x) => x.kind === 'tap-ready');
  await live.stop('SIGKILL');
  const r = await runCli(['decoders'], { env: env.env });
  assert.equal(r.code, 0);
  assert.match(r.stderr, new RegExp(`${path.replace(/[.]/g, '\\.')}`), 'says what it restored');
  assertOriginalBack(env.dir, path);
  assert.equal(await roundTrip(path, 'ok'), 'ok');
});

test('an ipctap killed while its parent does not reap it (a zombie) counts as gone: restore puts the original back', async () => {
  const path = join(env.dir, 'zombie.sock');
  await echoServer(path);
  const serverIno = lstatSync(path).ino;
  // sh starts ipctap in the background and becomes `sleep`, which never waits for children: the
  // killed ipctap stays a zombie (as with `ipctap proxy … &` from a shell that is still busy).
  const sh = spawn('sh', ['-c', `"$0" "$1" proxy --tap "unix:$2" & echo $!; exec sleep 60`, process.execPath, CLI, path], { env: env.env, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(sh);
  const pid = Number(await new Promise<string>((res) => sh.stdout!.once('data', (d) => res(String(d)))));
  const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
  // The takeover is complete once the tap's own socket answers at the path (the journal is
  // written before the tap's socket takes the path).
  for (let i = 0; i < 400 && lstatSync(path, { throwIfNoEntry: false })?.ino === serverIno; i++) await new Promise((r) => setTimeout(r, 25));
  assert.notEqual(lstatSync(path).ino, serverIno, 'the tap took the path over');
  assert.equal(await roundTrip(path, 'through the tap'), 'through the tap');
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(state(), 'Z', 'ipctap is a zombie');
  const r = await runCli(['restore'], { env: env.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^restored ${path.replace(/[.]/g, '\\.')} from `, 'm'));
  assertOriginalBack(env.dir, path);
  assert.equal(await roundTrip(path, 'back from a zombie'), 'back from a zombie');
});

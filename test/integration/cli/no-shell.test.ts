// No shell between a value a user gives and a process: tap paths, the run command, its
// arguments, --cwd and --env values, and what the engine receives in session/start (launch
// configurations) are used literally. Every value below carries shell metacharacters that would
// create a file named X (in the working directory of whatever shell ran them); X must never
// appear, and each path must be used exactly as written.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as P from '../../../extension/shared/requests';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { startEngineServer, until } from '../../helpers/engine-server';

const env = cliEnv();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  env.cleanup();
});
const PEERS = resolve(__dirname, '../../bench/peers.mjs');

/** Arguments and values a shell would act on. */
const HOSTILE = ['$(touch X)', '; touch X;', '`touch X`', 'a b  c', `'q"`, 'line\nbreak', '&& touch X', '| touch X', '> X', '$HOME', '*'];
/** A directory name with the same (short: a Unix socket path has at most 107 bytes). */
const DIR = join(env.dir, 'd $(touch X);`touch X`\'"\n&');

/** Every X a shell could have made: in our dirs, in the cwd the CLI and engine ran in. */
function noX(): void {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'X') found.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(env.dir);
  if (existsSync(join(process.cwd(), 'X'))) found.push(join(process.cwd(), 'X'));
  assert.deepEqual(found, [], 'nothing was executed');
}

function roundTrip(path: string, msg: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = net.connect(path, () => c.end(msg));
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => res(got));
    c.on('error', (e) => rej(new Error(`roundTrip ${msg}: ${e.message}`)));
  });
}

function echo(path: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [PEERS, 'echo', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  return new Promise((res, rej) => {
    p.stdout!.once('data', () => res(p));
    p.once('exit', (c) => rej(new Error(`echo exited ${c}`)));
  });
}

/** A node program that prints its arguments, cwd and $V as JSON (stdout, or the file in $OUT). */
// (With OUT, written whole under another name and renamed: whoever sees OUT sees all of it.)
const SHOW = `const r=JSON.stringify({argv:process.argv.slice(1),cwd:process.cwd(),v:process.env.V});const fs=require('fs'),o=process.env.OUT;if(o){fs.writeFileSync(o+'.part',r);fs.renameSync(o+'.part',o)}else console.log(r)`;

mkdirSync(DIR, { recursive: true });

test('tap paths with shell metacharacters are used literally: unix proxy, unix takeover, fifo relay', async () => {
  const target = join(DIR, 's;$(touch X)`touch X`.sock');
  const front = join(DIR, 'f \'q" &.sock');
  const server = await echo(target);
  const fifoIn = join(DIR, 'in $(touch X).fifo');
  const fifoOut = join(DIR, 'out;`touch X`.fifo');
  spawn('mkfifo', [fifoOut]).once('exit', () => undefined);
  await until('the target FIFO', () => existsSync(fifoOut) && lstatSync(fifoOut).isFIFO());
  const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `unix:${front}=${target}`, '--tap', `fifo:${fifoIn}=${fifoOut}`], { ...env.env });
  try {
    await until(
      'both taps ready',
      () => live.rows.filter((r) => r.kind === 'tap-ready').length === 2 || (live.proc.exitCode !== null ? Promise.reject(new Error(live.stderr)) : false),
    );
    assert.equal(await roundTrip(front, 'through the proxy'), 'through the proxy');
    assert.ok(lstatSync(fifoIn).isFIFO(), 'the FIFO was made at the path as written');
    const r = await live.stop();
    assert.equal(r.code, 0, live.stderr);
    // Takeover of the server's own path.
    const take = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `unix:${target}`], env.env);
    try {
      await take.waitFor((x) => x.kind === 'tap-ready');
      assert.equal(await roundTrip(target, 'through the takeover'), 'through the takeover');
      await take.waitFor((x) => x.type === 'frame' && x.dir === 's2c');
      assert.equal((await take.stop()).code, 0, take.stderr);
      assert.equal(await roundTrip(target, 'restored'), 'restored');
    } finally {
      await take.stop();
    }
  } finally {
    await live.stop();
    server.kill();
  }
  noX();
});

test('ipctap run: the command, its arguments, --cwd and --env values reach the program as written', async () => {
  const node = join(DIR, 'node $(touch X)');
  symlinkSync(process.execPath, node);
  const r = await runCli(['run', '-q', '--cwd', DIR, '-e', `V=${HOSTILE[0]};${HOSTILE[2]}`, '--', node, '-e', SHOW, ...HOSTILE], { env: env.env, cwd: env.dir });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(got, { argv: HOSTILE, cwd: DIR, v: `${HOSTILE[0]};${HOSTILE[2]}` });
  noX();
});

test('session/start (a launch configuration): command, args, cwd, env, tap spec and capture path are used literally', async () => {
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: join(env.dir, 'state'), IPCTAP_RUNTIME_DIR: join(env.dir, 'run') });
  const target = join(DIR, 'e$(touch X).sock');
  const server = await echo(target);
  const out = join(DIR, 'out `touch X`.json');
  const capture = join(DIR, 'cap;$(touch X).ipctap');
  try {
    const s = await engine.request(P.SessionStart, {
      name: 'hostile $(touch X)',
      taps: [{ spec: `unix:${target}` }],
      // (It stays up until the session is stopped: a session whose programs have all exited ends by
      // itself, and its taps with it.)
      processes: [
        { name: 'show', command: join(DIR, 'node $(touch X)'), args: ['-e', `${SHOW};setInterval(()=>{},1000)`, ...HOSTILE], cwd: DIR, env: { V: HOSTILE.join(' '), OUT: out } },
      ],
      capturePath: capture,
    });
    const got = await until('the program wrote what it received', () => (existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : undefined));
    assert.deepEqual(got, { argv: HOSTILE, cwd: DIR, v: HOSTILE.join(' ') });
    assert.equal(await roundTrip(target, 'via the session tap'), 'via the session tap');
    await engine.request(P.SessionStop, { sessionId: s.id });
    assert.ok(lstatSync(capture).isFile(), 'the capture is at the path as written');
    assert.equal(await roundTrip(target, 'restored'), 'restored');
  } finally {
    await engine.close();
    server.kill();
  }
  noX();
});

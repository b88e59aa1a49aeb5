// Faults around a running ipctap: peers killed mid-transfer, a server restarted behind a proxy,
// ipctap itself SIGKILLed at any moment of a takeover, and running out of file descriptors.
// What a user must see: the other side told at once, the tap still serving, the original socket
// or FIFO back at its path, and clear errors instead of a crash.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, closeSync, lstatSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { CLI, cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const env = cliEnv();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  env.cleanup();
});
const PEERS = resolve(__dirname, '../../bench/peers.mjs');
const FIFO_READER = resolve(__dirname, '../../fixtures/node/fifo-reader.mjs');

function child(cmd: string, args: string[]): Promise<ChildProcess> {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(p);
  return new Promise((res, rej) => {
    p.stdout!.once('data', () => res(p));
    p.once('exit', (c) => rej(new Error(`${cmd} exited ${c}`)));
  });
}
const echo = (addr: string) => child(process.execPath, [PEERS, 'echo', addr]);

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

function roundTrip(opts: net.NetConnectOpts, msg: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = net.connect(opts, () => c.end(msg));
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => res(got));
    c.on('error', rej);
  });
}

/** A client streaming to `opts` without end; resolves with how it ended once it does. */
function streamer(opts: net.NetConnectOpts): { ended: Promise<string>; started: Promise<void>; echoed: Promise<void> } {
  const s = net.connect(opts);
  const chunk = Buffer.alloc(64 * 1024, 7);
  const started = new Promise<void>((r) => s.once('connect', () => r()));
  const ended = new Promise<string>((res) => {
    s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
    s.on('close', () => res('closed'));
  });
  const echoed = new Promise<void>((r) => s.once('data', () => r()));
  s.on('data', () => undefined);
  const pump = () => {
    while (!s.destroyed && s.write(chunk));
    if (!s.destroyed) s.once('drain', pump);
  };
  s.once('connect', pump);
  return { ended, started, echoed };
}

for (const kind of ['unix', 'tcp'] as const) {
  // Five rounds: whether the proxy has finished passing the server's FIN on to the client when
  // the server's reset arrives is up to timing, and a round goes either way.
  test(`${kind} proxy: server killed mid-transfer — the client is told, the tap serves the restarted server`, async () => {
    const port = await freePort();
    const target = kind === 'unix' ? join(env.dir, `srv-${kind}.sock`) : `tcp:${port}`;
    const front = kind === 'unix' ? join(env.dir, `front-${kind}.sock`) : String(await freePort());
    const spec = kind === 'unix' ? `unix:${front}=${target}` : `tcp:${front}=127.0.0.1:${port}`;
    const connectOpts: net.NetConnectOpts = kind === 'unix' ? { path: front } : { port: Number(front), host: '127.0.0.1' };
    let server = await echo(target);
    // (With a capture file: live decoding catches up from it rather than from a spill file.)
    const live = new LiveCli(['proxy', '--json', '-w', join(env.dir, `kill-${kind}.ipctap`), '--decode', 'raw', '--tap', spec], env.env);
    try {
      await live.waitFor((x) => x.kind === 'tap-ready');
      for (let round = 0; round < 5; round++) {
        const s = streamer(connectOpts);
        await s.started;
        await s.echoed; // (bytes flowing both ways)
        server.kill('SIGKILL');
        const how = await Promise.race([s.ended, new Promise<string>((r) => setTimeout(() => r('still open'), 10_000))]);
        assert.notEqual(how, 'still open', `round ${round}: the client learns that the server is gone`);
        server = await echo(target);
        assert.equal(await roundTrip(connectOpts, 'after the restart'), 'after the restart');
      }
      const r = await live.stop();
      assert.equal(r.code, 0, live.stderr);
    } finally {
      await live.stop();
      server.kill();
    }
  });
}

test('a Unix takeover whose server restarts and binds its path again: ipctap takes it over again, captures new clients, and leaves the new server in place', async () => {
  const path = join(env.dir, 'restart.sock');
  let server = await echo(path);
  const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `unix:${path}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    assert.equal(await roundTrip({ path }, 'through the tap'), 'through the tap');
    server.kill('SIGKILL');
    server = await echo(path); // (it unlinks the path, as servers do, and binds it again)
    const ev = await live.waitFor((x) => x.kind === 'note' && /taken over again/.test(String(x.message)));
    assert.match(String(ev.message), /the server restarted and bound .*restart\.sock again/);
    assert.equal(await roundTrip({ path }, 'after the restart'), 'after the restart');
    await live.waitFor((x) => x.type === 'frame' && x.dir === 's2c' && Buffer.from(String(x.data), 'base64').toString() === 'after the restart');
    const r = await live.stop();
    assert.equal(r.code, 0, live.stderr);
    assert.equal(await roundTrip({ path }, 'still the new server'), 'still the new server');
    assert.deepEqual(
      readdirSync(env.dir).filter((n) => n.startsWith('.restart.sock')),
      [],
      'nothing left beside it',
    );
  } finally {
    await live.stop();
    server.kill();
  }
});

test('a Unix takeover whose path becomes a regular file: an error says new clients are not captured; the file is left alone', async () => {
  const path = join(env.dir, 'notsock.sock');
  const server = await echo(path);
  const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `unix:${path}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    unlinkSync(path);
    writeFileSync(path, 'not a socket');
    const ev = await live.waitFor((x) => x.kind === 'error' && /was replaced/.test(String(x.message)));
    assert.match(String(ev.message), /not captured; start the tap again/);
    const r = await live.stop();
    assert.equal(r.code, 0, live.stderr);
    assert.equal(readFileSync(path, 'utf8'), 'not a socket');
  } finally {
    await live.stop();
    server.kill();
  }
});

// A server printing how each connection ended ("end" or an error code), and a FIFO reader
// printing "eof" once the writers it has had are gone (no writer yet reads as EOF too: not counted).
const ENDS_SERVER = `const net=require('net');const a=process.argv[1];
const srv=net.createServer({allowHalfOpen:true},(s)=>{s.on('data',()=>{});s.on('end',()=>{console.log('end');s.end()});s.on('error',(e)=>console.log(e.code))});
if(a.startsWith('tcp:'))srv.listen(Number(a.slice(4)),'127.0.0.1',()=>console.log('ready'));else srv.listen(a,()=>console.log('ready'));`;
const EOF_READER = `import os,sys,select,time
fd=os.open(sys.argv[1],os.O_RDONLY|os.O_NONBLOCK)
print('ready',flush=True)
seen=False
while True:
    select.select([fd],[],[])
    try:
        d=os.read(fd,1<<16)
    except BlockingIOError:
        continue
    if d:
        seen=True
    elif seen:
        print('eof',flush=True)
        break
    else:
        time.sleep(0.01)
`;
const STREAM_SOCKET = `const s=require('net').connect(JSON.parse(process.argv[1]));const b=Buffer.alloc(65536,7);s.on('connect',()=>{const p=()=>{while(s.write(b));s.once('drain',p)};p()})`;
const STREAM_FIFO = `const fs=require('fs');const w=fs.createWriteStream(process.argv[1]);const b=Buffer.alloc(65536,7);const p=()=>{while(w.write(b));w.once('drain',p)};w.on('open',p)`;

/** Resolves with the next line of `p`'s stdout that matches `re`. */
function lineFrom(p: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((res) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d;
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        p.stdout!.off('data', onData);
        res(line);
      }
    };
    p.stdout!.on('data', onData);
  });
}

for (const kind of ['tcp proxy', 'unix proxy', 'unix takeover', 'fifo takeover'] as const) {
  test(`${kind}: client killed mid-transfer — the server is told, the tap goes on`, async () => {
    const tag = kind.replace(' ', '-');
    const port = await freePort();
    const front = await freePort();
    const target = {
      'tcp proxy': `tcp:${port}`,
      'unix proxy': join(env.dir, `ck-${tag}.sock`),
      'unix takeover': join(env.dir, `ck-${tag}.sock`),
      'fifo takeover': join(env.dir, `ck-${tag}.fifo`),
    }[kind];
    const spec = {
      'tcp proxy': `tcp:${front}=127.0.0.1:${port}`,
      'unix proxy': `unix:${join(env.dir, `ck-front-${tag}.sock`)}=${target}`,
      'unix takeover': `unix:${target}`,
      'fifo takeover': `fifo:${target}`,
    }[kind];
    const where =
      kind === 'tcp proxy' ? JSON.stringify({ port: front, host: '127.0.0.1' }) : JSON.stringify({ path: kind === 'unix proxy' ? join(env.dir, `ck-front-${tag}.sock`) : target });
    let server: ChildProcess;
    if (kind === 'fifo takeover') {
      spawnSync('mkfifo', [target]);
      server = await child('/usr/bin/python3', ['-c', EOF_READER, target]);
    } else server = await child(process.execPath, ['-e', ENDS_SERVER, target]);
    const told = lineFrom(server, kind === 'fifo takeover' ? /^eof$/ : /^(end|E[A-Z]+)$/);
    const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', spec], env.env);
    try {
      await live.waitFor((x) => x.kind === 'tap-ready');
      const client = spawn(process.execPath, ['-e', kind === 'fifo takeover' ? STREAM_FIFO : STREAM_SOCKET, kind === 'fifo takeover' ? target : where], { stdio: 'ignore' });
      children.push(client);
      const open = await live.waitFor((x) => x.kind === 'open');
      await live.waitFor((x) => x.type === 'frame' && x.conn === open.conn);
      client.kill('SIGKILL');
      const how = await Promise.race([told, new Promise<string>((r) => setTimeout(() => r('not told'), 10_000))]);
      assert.notEqual(how, 'not told', 'the server learns that the client is gone');
      const close = await live.waitFor((x) => x.kind === 'close' && x.conn === open.conn);
      assert.ok(['eof', 'reset', 'error'].includes(String(close.reason)), JSON.stringify(close));
      if (kind !== 'fifo takeover') {
        // The tap goes on: a new client reaches the server (which answers nothing; its end is enough).
        const again = lineFrom(server, /^end$/);
        await new Promise<void>((res, rej) => {
          const c = net.connect(JSON.parse(where), () => c.end('still serving'));
          c.on('close', () => res());
          c.on('error', rej);
        });
        assert.equal(await again, 'end');
      }
      const r = await live.stop();
      assert.equal(r.code, 0, live.stderr);
    } finally {
      await live.stop();
      server.kill();
    }
  });
}

/**
 * SIGKILL `ipctap proxy --tap SPEC` at 16 moments, from before its takeover starts (node loading)
 * to after it is done; after each, `ipctap restore` must put the original (inode `ino`) back at
 * `path`, leave nothing beside it, and `reaches(i)` must find the peer through the path.
 */
async function killDuringTakeover(spec: string, path: string, ino: number, reaches: (round: number) => Promise<void>): Promise<void> {
  const leftovers = `.${path.split('/').pop()}`;
  for (let i = 0; i < 16; i++) {
    const p = spawn(process.execPath, [CLI, 'proxy', '-q', '--tap', spec], { env: env.env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 40 + i * 15));
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    const r = await runCli(['restore'], { env: env.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lstatSync(path).ino, ino, `round ${i}: the original is back at the path`);
    assert.deepEqual(
      readdirSync(env.dir).filter((n) => n.startsWith(leftovers)),
      [],
      `round ${i}: nothing left beside it (${r.stdout}${r.stderr})`,
    );
    await reaches(i);
  }
}

test('ipctap SIGKILLed at any moment of a Unix socket takeover: after restore the server is at its path, nothing left over', async () => {
  const path = join(env.dir, 'k.sock');
  const server = await child(goBinary('unixserver'), [path]);
  try {
    await killDuringTakeover(`unix:${path}`, path, lstatSync(path).ino, async (i) => assert.equal(await roundTrip({ path }, `round ${i}`), `round ${i}`));
  } finally {
    server.kill();
  }
});

test('ipctap SIGKILLed around a re-takeover (its server restarted): after restore the new server is at its path, nothing left over', async () => {
  const path = join(env.dir, 'rk.sock');
  for (let i = 0; i < 10; i++) {
    const first = await echo(path);
    const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `unix:${path}`], env.env);
    let second: ChildProcess | undefined;
    try {
      await live.waitFor((x) => x.kind === 'tap-ready');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      second = await echo(path); // unlinks our socket and binds the path again
      // The tap looks every 500 ms: kill it before, around and after it takes the path over again.
      await new Promise((r) => setTimeout(r, i * 70));
      live.proc.kill('SIGKILL');
      await live.closed;
      const r = await runCli(['restore'], { env: env.env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await roundTrip({ path }, `round ${i}`), `round ${i}`, `round ${i}: the new server is reached at its path`);
      assert.deepEqual(
        readdirSync(env.dir).filter((n) => n.startsWith('.rk.sock')),
        [],
        `round ${i}: nothing left beside it (${r.stdout}${r.stderr})`,
      );
    } finally {
      await live.stop('SIGKILL');
      second?.kill();
      if (second) await new Promise((r) => (second!.exitCode !== null ? r(null) : second!.once('exit', r)));
    }
  }
});

test('a FIFO takeover whose reader makes its FIFO again: an error says new writers are not captured; the new FIFO stays', async () => {
  const path = join(env.dir, 'remade.fifo');
  spawnSync('mkfifo', [path]);
  const live = new LiveCli(['proxy', '--json', '--decode', 'raw', '--tap', `fifo:${path}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    unlinkSync(path);
    spawnSync('mkfifo', [path]);
    const ino = lstatSync(path).ino;
    const ev = await live.waitFor((x) => x.kind === 'error' && /was replaced/.test(String(x.message)));
    assert.match(String(ev.message), /the reader made its FIFO again\?\): new writers reach it directly and are not captured/);
    const r = await live.stop();
    assert.equal(r.code, 0, live.stderr);
    assert.equal(lstatSync(path).ino, ino, 'the new FIFO is left at the path');
    assert.deepEqual(
      readdirSync(env.dir).filter((n) => n.startsWith('.remade.fifo')),
      [],
      'nothing left beside it',
    );
  } finally {
    await live.stop();
  }
});

test("ipctap SIGKILLed at any moment of a FIFO takeover: after restore the reader's FIFO is at its path", async () => {
  const path = join(env.dir, 'k.fifo');
  spawnSync('mkfifo', [path]);
  const reader = await child(process.execPath, [FIFO_READER, path]);
  try {
    await killDuringTakeover(`fifo:${path}`, path, lstatSync(path).ino, async (i) => {
      // A writer reaches the reader (ENXIO would mean nobody reads what is at the path).
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, `round ${i}\n`);
      closeSync(fd);
    });
  } finally {
    reader.kill();
  }
});

test('out of file descriptors (ulimit -n 64, 150 clients): clients are refused or reset, ipctap says why, and recovers', async () => {
  const port = await freePort();
  const front = await freePort();
  const server = await echo(`tcp:${port}`);
  const limited = spawn('prlimit', ['--nofile=64', '--', process.execPath, CLI, 'proxy', '--json', '--decode', 'raw', '--tap', `tcp:${front}=127.0.0.1:${port}`], {
    env: env.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(limited);
  let out = '';
  let err = '';
  limited.stdout!.on('data', (d) => (out += d));
  limited.stderr!.on('data', (d) => (err += d));
  try {
    for (let i = 0; i < 200 && !/tap-ready/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const socks: net.Socket[] = [];
    const outcomes = await Promise.all(
      Array.from(
        { length: 150 },
        () =>
          new Promise<string>((res) => {
            const s = net.connect({ port: front, host: '127.0.0.1' });
            socks.push(s);
            s.on('connect', () => s.write('x'));
            s.on('data', () => res('echoed'));
            s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
            s.on('close', () => res('closed'));
            setTimeout(() => res('pending'), 5000);
          }),
      ),
    );
    assert.equal(limited.exitCode, null, `ipctap is still running: ${err}`);
    assert.ok(outcomes.filter((o) => o === 'echoed').length > 0, 'some got through');
    assert.ok(
      outcomes.some((o) => o !== 'echoed'),
      'and some could not (the limit is real)',
    );
    // (Rows reach stdout as live decoding gets to them.)
    for (let i = 0; i < 200 && !/file descriptors ipctap may open are in use/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /file descriptors ipctap may open are in use/, `says why: ${err} ${out.slice(-2000)}`);
    for (const s of socks) s.destroy();
    // Once descriptors are free again, connections work.
    let ok = '';
    for (let i = 0; i < 50 && ok !== 'again'; i++) {
      ok = await roundTrip({ port: front, host: '127.0.0.1' }, 'again').catch(() => '');
      if (ok !== 'again') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ok, 'again');
  } finally {
    limited.kill('SIGINT');
    server.kill();
  }
});

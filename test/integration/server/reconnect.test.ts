// A VS Code window reloading mid-session, as the engine sees it: the engine started detached at
// its private socket (as the extension host starts it), a window leaves (shutdown + exit, or its
// extension host killed), another connects: the same session, still live, with the frames a real
// Go net/rpc client and server exchanged while nobody was connected. Then Stop Session from the
// new window, and the engine exits by itself once nobody is connected and nothing is live,
// leaving nothing behind.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { connectOrStartEngine } from '../../../extension/host/engine-socket';
import { engineLogPath } from '../../../extension/shared/user-dirs';
import { exampleBinary } from '../../helpers/examples';
import { alive, connectEngineSocket, until, type EngineSocketClient } from '../../helpers/engine-server';

const serverModule = join(__dirname, '../../../dist/server.js');

/** A private state directory for an engine at a socket; the engines started are killed after. */
function engineDir(t: TestContext): { dir: string; socketPath: string; pids: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-reconnect-'));
  process.env.IPCTAP_STATE_DIR = dir; // the engine's captures (it inherits our environment)
  const pids: number[] = [];
  t.after(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, socketPath: join(dir, 'run', 'engines', 'test.sock'), pids };
}

test('engine at a socket: a window leaves and another connects; the session captured all along', async (t) => {
  const { dir, socketPath, pids } = engineDir(t);

  const first = await connectOrStartEngine(serverModule, socketPath);
  assert.equal(first.started, true);
  const enginePid = first.pid!;
  pids.push(enginePid);
  assert.equal(statSync(socketPath).mode & 0o777, 0o600, 'the socket is 0600');
  assert.equal(statSync(join(dir, 'run', 'engines')).mode & 0o777, 0o700, 'in a 0700 directory');
  const a: EngineSocketClient = await connectEngineSocket(first.socket);

  const port = 20000 + ((process.pid + 7) % 20000);
  const s = await a.request(P.SessionStart, {
    name: 'reload',
    taps: [{ name: 'rpc', spec: 'tcp:0=127.0.0.1:' + port }],
    processes: [
      { name: 'server', command: exampleBinary('rpcserver'), args: ['-listen', `127.0.0.1:${port}`] },
      { name: 'client', command: exampleBinary('rpcclient'), args: ['-connect', '${tap:rpc}', '-n', '100000', '-interval', '20ms'], delayMs: 200 },
    ],
  });
  for (const p of s.processes) pids.push(p.pid);
  await until('Multiply calls', async () => (await a.request(P.RowsCount, { sessionId: s.id, filter: 'method:Arith.Multiply' })).total >= 4);

  // The window reloads: its client leaves as vscode-languageclient's stop() does.
  await a.leave();
  const leftAt = Date.now() * 1000;
  const sizeAtLeave = statSync(s.capturePath!).size;
  // Nobody connected: the calls go on through the tap and into the capture.
  await until('the capture growing with nobody connected', () => statSync(s.capturePath!).size > sizeAtLeave + 4096, 20_000);
  assert.ok(alive(enginePid), 'the engine runs on');

  // The reloaded window connects to the same engine.
  const second = await connectOrStartEngine(serverModule, socketPath);
  assert.equal(second.started, false, 'the running engine, not a new one');
  const backAt = Date.now() * 1000;
  const b = await connectEngineSocket(second.socket);
  const appended: number[] = [];
  b.onNotification(P.SessionChanged, (p) => {
    if (p.sessionId === s.id && p.appended) appended.push(p.appended.to);
  });
  const listed = (await b.request(P.SessionList, {})).find((x) => x.id === s.id);
  assert.equal(listed?.state, 'live', 'the same session, live');
  // (Rows are decoded a little behind the capture, further under load: waited for, not read once.)
  let inGap: number;
  await until(
    'frames captured while no window was connected (at least 2)',
    async () => {
      const rows = await b.request(P.RowsGet, { sessionId: s.id, start: 0, count: 5000, filter: 'method:Arith.Multiply' });
      inGap = rows.rows.filter((r) => r.type === 'frame' && r.ts > leftAt && r.ts < backAt).length;
      return inGap >= 2;
    },
    20_000,
  );
  // Live notices reach the new window.
  await until('live notices in the new window', () => appended.length > 0);

  // Its extension host killed (no shutdown): the session goes on; the next window sees it.
  b.drop();
  const third = await connectOrStartEngine(serverModule, socketPath);
  assert.equal(third.started, false);
  const c = await connectEngineSocket(third.socket);
  const before = (await c.request(P.SessionGet, { sessionId: s.id })).frames;
  await until('more frames', async () => (await c.request(P.SessionGet, { sessionId: s.id })).frames > before);

  // Stop Session from this window: the launched processes end with it.
  const stopped = await c.request(P.SessionStop, { sessionId: s.id });
  assert.equal(stopped.state, 'stopped');
  for (const p of s.processes) await until(`${p.name} ended`, () => !alive(p.pid));

  // The last window leaves, nothing is live: the engine exits after its grace period and leaves
  // nothing behind (socket, log file).
  await c.leave();
  await until('the engine exited', () => !alive(enginePid), 20_000);
  assert.equal(existsSync(socketPath), false, 'socket file removed');
  assert.equal(existsSync(engineLogPath(socketPath)), false, 'log file removed');
  assert.ok(existsSync(s.capturePath!), 'the capture stays');
});

test('engine at a socket: nobody else can connect; a second engine for the same socket leaves the first alone; a stale socket is replaced', async (t) => {
  const { dir, socketPath, pids } = engineDir(t);
  const first = await connectOrStartEngine(serverModule, socketPath);
  pids.push(first.pid!);
  const a = await connectEngineSocket(first.socket);
  if (process.geteuid?.() === 0) {
    // Even with the directories open, the socket's own mode keeps another user out.
    for (const d of [dir, join(dir, 'run'), join(dir, 'run', 'engines')]) chmodSync(d, 0o755);
    const r = spawnSync(
      'runuser',
      [
        '-u',
        'nobody',
        '--',
        '/usr/bin/python3',
        '-c',
        'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(sys.argv[1]); print("connected")\nexcept Exception as e: print(type(e).__name__)',
        socketPath,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), 'PermissionError', r.stderr);
    chmodSync(join(dir, 'run', 'engines'), 0o700);
  }
  const twin = spawn(process.execPath, [serverModule, '--listen', socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  twin.stdout!.on('data', (d: Buffer) => (said += String(d)));
  const code = await new Promise((r) => twin.once('exit', r));
  assert.equal(code, 0);
  assert.match(said, /another engine serves/);
  assert.deepEqual(await a.request(P.SessionList, {}), [], 'the first engine still answers');

  // SIGKILLed: its socket stays behind; the next window starts a new engine there.
  process.kill(first.pid!, 'SIGKILL');
  await until('the killed engine gone', () => !alive(first.pid!));
  assert.ok(existsSync(socketPath), 'a stale socket left');
  const next = await connectOrStartEngine(serverModule, socketPath);
  assert.equal(next.started, true);
  pids.push(next.pid!);
  const b = await connectEngineSocket(next.socket);
  const r = await b.request(P.EngineExit, {});
  assert.equal(r.pid, next.pid);
  await until('the engine exited on engine/exit', () => !alive(next.pid!));
  assert.equal(existsSync(socketPath), false);
});

// ipctap's own files are its user's alone: the control socket is 0600 whatever the umask, in a
// 0700 directory; stale control sockets are removed; a state directory of another user is refused;
// journals not owned by us with mode 0600 are not trusted; a capture written over an existing 0666
// file becomes 0600; user nobody can neither connect to the control socket nor read a capture.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, runCli } from '../../helpers/cli';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), 'ipctap-priv-'));
chmodSync(base, 0o755); // others may traverse: only ipctap's own modes protect its files
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
  rmSync(base, { recursive: true, force: true });
});

function envFor(name: string): NodeJS.ProcessEnv {
  return { ...process.env, IPCTAP_STATE_DIR: join(base, name, 'state'), IPCTAP_RUNTIME_DIR: join(base, name, 'run') };
}

async function echoServer(path: string): Promise<void> {
  const s = net.createServer((c) => c.pipe(c));
  servers.push(s);
  await new Promise<void>((r) => s.listen(path, r));
}

/** `ipctap proxy` started under umask 000; resolves once its control socket exists. */
async function proxyUnderUmask0(env: NodeJS.ProcessEnv, args: string[]): Promise<{ proc: ChildProcess; sock: string }> {
  const p = spawn('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, CLI, 'proxy', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((res, rej) => {
    p.stderr!.on('data', () => /tapping/.test(err) && res());
    p.once('exit', (c) => rej(new Error(`proxy exited ${c}: ${err}`)));
  });
  return { proc: p, sock: join(env.IPCTAP_RUNTIME_DIR!, 'sessions', `${p.pid}.sock`) };
}

test('control socket 0600 under umask 000, in a 0700 directory; stale sockets removed; nobody cannot connect', async () => {
  const env = envFor('ctl');
  const sessions = join(env.IPCTAP_RUNTIME_DIR!, 'sessions');
  mkdirSync(sessions, { recursive: true, mode: 0o755 });
  chmodSync(sessions, 0o755);
  chmodSync(env.IPCTAP_RUNTIME_DIR!, 0o755);
  const stale = join(sessions, '999999999.sock');
  writeFileSync(stale, '');
  const target = join(base, 'ctl-target.sock');
  await echoServer(target);
  const { proc, sock } = await proxyUnderUmask0(env, ['--tap', `unix:${join(base, 'ctl-listen.sock')}=${target}`]);
  assert.equal(lstatSync(sock).mode & 0o777, 0o600, 'control socket mode');
  assert.equal(lstatSync(sessions).mode & 0o777, 0o700, 'sessions directory mode');
  assert.equal(existsSync(stale), false, 'the stale control socket was removed');
  if (isRoot) {
    chmodSync(sessions, 0o755); // even with the directory open, the socket's own mode keeps nobody out
    const r = spawnSync(
      'runuser',
      [
        '-u',
        'nobody',
        '--',
        '/usr/bin/python3',
        '-c',
        'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(sys.argv[1]); print("connected")\nexcept Exception as e: print(type(e).__name__)',
        sock,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), 'PermissionError', r.stderr);
  }
  proc.kill('SIGINT');
  await new Promise((r) => proc.once('exit', r));
});

test('a state directory owned by another user is refused for a takeover', { skip: !isRoot && 'needs root to chown' }, async () => {
  const env = envFor('foreign');
  mkdirSync(env.IPCTAP_STATE_DIR!, { recursive: true });
  chownSync(env.IPCTAP_STATE_DIR!, NOBODY, NOBODY);
  const path = join(base, 'foreign.sock');
  await echoServer(path);
  const r = await runCli(['proxy', '--tap', `unix:${path}`], { env, timeoutMs: 20000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /belongs to uid 65534, not to you/);
});

test('restore ignores journals that are not ours with mode 0600', { skip: !isRoot && 'needs root to chown' }, async () => {
  const env = envFor('journal');
  const jdir = join(env.IPCTAP_STATE_DIR!, 'journal');
  mkdirSync(jdir, { recursive: true, mode: 0o700 });
  const victim = join(base, 'victim');
  writeFileSync(victim, 'root data');
  const entry = (n: string) => JSON.stringify({ path: join(base, `moved-${n}`), renamedTo: victim, kind: 'fifo', pid: 999999999, createdAt: 0 });
  writeFileSync(join(jdir, '1-1-1.json'), entry('a'), { mode: 0o644 });
  chmodSync(join(jdir, '1-1-1.json'), 0o644);
  writeFileSync(join(jdir, '2-1-1.json'), entry('b'), { mode: 0o600 });
  chownSync(join(jdir, '2-1-1.json'), NOBODY, NOBODY);
  const r = await runCli(['restore'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(victim), 'the file named by an untrusted journal was not moved');
  assert.equal(existsSync(join(base, 'moved-a')) || existsSync(join(base, 'moved-b')), false);
});

test('a capture written over an existing 0666 file is 0600; nobody cannot read it', async () => {
  const env = envFor('cap');
  const cap = join(base, 'cap.ipctap');
  writeFileSync(cap, 'old');
  chmodSync(cap, 0o666);
  const r = await runCli(['run', '-w', cap, '--', 'echo', 'secret'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lstatSync(cap).mode & 0o777, 0o600);
  if (isRoot) {
    const c = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', cap], { encoding: 'utf8' });
    assert.notEqual(c.status, 0, 'nobody read the capture');
    assert.match(c.stderr, /Permission denied/);
  }
});

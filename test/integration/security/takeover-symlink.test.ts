// A root takeover of a socket/FIFO that another user (nobody) owns, in a directory nobody owns:
// nobody must not be able to redirect the tap to a root-only socket or FIFO by renaming or
// replacing what the takeover put beside the path (symlink swap), and a file planted at the
// would-be name must not make the takeover fail. Runs as root (skipped otherwise); nobody's
// programs run through setpriv.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, LiveCli } from '../../helpers/cli';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0 && spawnSync('setpriv', ['--help']).status === 0;
/** Run as nobody (setpriv execs the program itself, so killing the child kills the program). */
const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const env = cliEnv();
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
  env.cleanup();
});

/** base (0755, root) / shared (nobody's) and / secret (0700, root). */
function dirs(): { shared: string; secret: string } {
  const base = mkdtempSync(join(tmpdir(), 'ipctap-sec-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  chmodSync(base, 0o755);
  const shared = join(base, 'shared');
  mkdirSync(shared, { mode: 0o755 });
  chownSync(shared, NOBODY, NOBODY);
  const secret = join(base, 'secret');
  mkdirSync(secret, { mode: 0o700 });
  return { shared, secret };
}

function asNobody(script: string, args: string[], stdio: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  const p = spawn('setpriv', [...AS_NOBODY, '/usr/bin/python3', '-c', script, ...args], { stdio: ['ignore', stdio, 'inherit'] });
  children.push(p);
  return p;
}

function runAsNobody(script: string, args: string[]): string {
  const r = spawnSync('setpriv', [...AS_NOBODY, '/usr/bin/python3', '-c', script, ...args], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// The attacker: every name beside PATH that the takeover made is renamed away and replaced —
// a directory by a look-alike directory full of symlinks, anything else by a symlink — all
// pointing at the root-only target. Also plants symlinks at predictable pid-derived names.
const ATTACK = `
import os, sys
shared, target, base = sys.argv[1], sys.argv[2], sys.argv[3]
done = []
dirs = []
for n in os.listdir(shared):
    if 'ipctap' not in n or n.endswith('.moved'):
        continue
    p = os.path.join(shared, n)
    isdir = os.path.isdir(p) and not os.path.islink(p)
    os.rename(p, p + '.moved')
    if isdir:
        dirs.append(n)
        os.mkdir(p)
        for inner in ('orig', 'new', base):
            os.symlink(target, os.path.join(p, inner))
    else:
        os.symlink(target, p)
    done.append(n)
print(len(done), 'swapped, directories:', ' '.join(dirs))
`;

// Plant symlinks at every pid-derived name (.NAME.ipctap-PID, .NAME.ipctap-PID-1.new) for the next
// pids: the takeover's own names are made by mkdtemp and must not depend on such names being free.
const PLANT = `
import os, sys
shared, target, base, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for pid in range(first, first + 400):
    for n in ('.%s.ipctap-%d' % (base, pid), '.%s.ipctap-%d-1.new' % (base, pid)):
        try:
            os.symlink(target, os.path.join(shared, n))
        except FileExistsError:
            pass
`;

const ECHO_SERVER = `
import os, socket, sys, threading
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
print('ready', flush=True)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(b'echo:' + d)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

const CLIENT = `
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.settimeout(5)
try:
    c.connect(sys.argv[1])
    c.sendall(b'hello')
    print(c.recv(100).decode(errors='replace'))
except Exception as e:
    print('error:', type(e).__name__)
`;

/** A root-only server in the 0700 directory; counts who reached it. */
async function rootOnlySocket(path: string): Promise<{ reached: () => number }> {
  let n = 0;
  const s = net.createServer((c) => {
    n++;
    c.end('ROOT-ONLY');
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(path, r));
  chmodSync(path, 0o600);
  return { reached: () => n };
}

async function startEcho(path: string): Promise<void> {
  const p = asNobody(ECHO_SERVER, [path]);
  await new Promise<void>((res, rej) => {
    p.stdout!.once('data', () => res());
    p.once('exit', (c) => rej(new Error(`echo server exited ${c}`)));
  });
}

test('unix takeover as root: nobody swapping symlinks beside the path cannot reach a root-only socket', { skip: !isRoot && 'needs root and setpriv' }, async () => {
  const { shared, secret } = dirs();
  const path = join(shared, 'app.sock');
  const rootSock = join(secret, 'root.sock');
  const root = await rootOnlySocket(rootSock);
  await startEcho(path);
  // Symlinks planted at predictable names beside the path must not make it fail or redirect it.
  runAsNobody(PLANT, [shared, rootSock, 'app.sock', String(process.pid)]);
  const live = new LiveCli(['proxy', '--json', '--tap', `unix:${path}`], env.env);
  await live.waitFor((x) => x.kind === 'tap-ready');
  assert.equal(runAsNobody(CLIENT, [path]).trim(), 'echo:hello', 'through the tap, before the attack');
  const swapped = runAsNobody(ATTACK, [shared, rootSock, 'app.sock']).trim();
  assert.match(swapped, /\.app\.sock\.ipctap-\w{6}$/, "the attacker swapped the takeover's directory");
  const got = runAsNobody(CLIENT, [path]).trim();
  assert.ok(got === 'echo:hello' || got.startsWith('error:'), `the client reached ${got}`);
  assert.equal(got, 'echo:hello', 'the real server still answers through the tap');
  assert.equal(root.reached(), 0, 'nobody reached the root-only socket');
  const end = await live.stop('SIGINT');
  assert.equal(end.code, 0, live.stderr);
  assert.equal(runAsNobody(CLIENT, [path]).trim(), 'echo:hello', 'the original is back after stop');
  assert.equal(root.reached(), 0);
});

const FIFO_READER = `
import sys
with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'wb') as out:
    print('ready', flush=True)
    while True:
        d = f.read(65536)
        if not d:
            break
        out.write(d)
        out.flush()
`;

test('fifo takeover as root: nobody swapping symlinks beside the path cannot write into a root-only FIFO', { skip: !isRoot && 'needs root and setpriv' }, async () => {
  const { shared, secret } = dirs();
  const path = join(shared, 'app.fifo');
  const got = join(shared, '..', 'got');
  writeFileSync(got, '');
  chownSync(got, NOBODY, NOBODY);
  runAsNobody(`import os, sys\nos.mkfifo(sys.argv[1], 0o600)`, [path]);
  const rootFifo = join(secret, 'root.fifo');
  spawnSync('mkfifo', ['-m', '600', rootFifo]);
  const rootGot = join(secret, 'root-got');
  writeFileSync(rootGot, '');
  // A root reader that keeps the root-only FIFO open (python as root).
  const rootReader = spawn('/usr/bin/python3', ['-c', FIFO_READER, rootFifo, rootGot], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(rootReader);
  // nobody's reader keeps the FIFO open across writers (O_RDWR: it never sees EOF).
  const reader = asNobody(
    `import os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\nout = open(sys.argv[2], 'wb')\nprint('ready', flush=True)\nwhile True:\n    d = os.read(fd, 65536)\n    out.write(d)\n    out.flush()\n`,
    [path, got],
  );
  await new Promise<void>((r) => reader.stdout!.once('data', () => r()));
  runAsNobody(PLANT, [shared, rootFifo, 'app.fifo', String(process.pid)]);
  const live = new LiveCli(['proxy', '--json', '--tap', `fifo:${path}`], env.env);
  await live.waitFor((x) => x.kind === 'tap-ready');
  const write = (msg: string) => runAsNobody(`import sys\nwith open(sys.argv[1], 'w') as f: f.write(sys.argv[2])`, [path, msg]);
  write('one;');
  await live.waitFor((x) => x.type === 'frame');
  const swapped = runAsNobody(ATTACK, [shared, rootFifo, 'app.fifo']).trim();
  assert.match(swapped, /\.app\.fifo\.ipctap-\w{6}$/, "the attacker swapped the takeover's directory");
  write('two;');
  await live.waitFor((x) => x.type === 'frame' && Buffer.from(String(x.data), 'base64').toString() === 'two;');
  for (let i = 0; i < 400 && readFileSync(got, 'utf8') !== 'one;two;'; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(readFileSync(got, 'utf8'), 'one;two;', "the writer's bytes reached nobody's reader");
  assert.equal(readFileSync(rootGot, 'utf8'), '', 'nothing reached the root-only FIFO');
  const end = await live.stop('SIGINT');
  assert.equal(end.code, 0, live.stderr);
  assert.ok(lstatSync(path).isFIFO());
  assert.equal(readFileSync(rootGot, 'utf8'), '');
});

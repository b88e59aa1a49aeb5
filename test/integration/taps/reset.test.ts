// A client that resets its connection (TCP RST; a Unix socket closed with unread data) resets the
// server's side too, through the unix and tcp taps: a server streaming into the connection sees
// ECONNRESET/EPIPE instead of writing on into a half-closed connection.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, LiveCli } from '../../helpers/cli';

const env = cliEnv();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  env.cleanup();
});

// Streams 64 KiB blocks to each client until a send fails; prints the error's name.
const STREAMER = `
import socket, sys
fam, addr = sys.argv[1], sys.argv[2]
if fam == 'unix':
    s = socket.socket(socket.AF_UNIX)
    s.bind(addr)
else:
    s = socket.socket(socket.AF_INET)
    s.bind(('127.0.0.1', 0))
s.listen(4)
print('ready', s.getsockname() if fam == 'unix' else s.getsockname()[1], flush=True)
c, _ = s.accept()
block = b'x' * 65536
try:
    while True:
        c.sendall(block)
except Exception as e:
    print('stopped', type(e).__name__, getattr(e, 'errno', ''), flush=True)
`;

function streamer(fam: 'unix' | 'tcp', addr: string): Promise<{ proc: ChildProcess; port: string; stopped: Promise<string> }> {
  const p = spawn('/usr/bin/python3', ['-c', STREAMER, fam, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  let out = '';
  let onLine: ((l: string) => void)[] = [];
  p.stdout!.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      for (const f of onLine) f(line);
    }
  });
  return new Promise((res) => {
    onLine.push((l) => {
      if (!l.startsWith('ready')) return;
      const stopped = new Promise<string>((r) => (onLine = [(x) => x.startsWith('stopped') && r(x)]));
      res({ proc: p, port: l.split(' ').at(-1)!, stopped });
    });
  });
}

/** Connect, read until some data arrived, then abort the connection. */
async function clientThatResets(opts: net.NetConnectOpts, tcp: boolean): Promise<void> {
  const c = net.connect(opts);
  await new Promise<void>((r) => c.once('data', () => r()));
  c.pause(); // leave data unread
  await new Promise((r) => setTimeout(r, 50)); // let more arrive unread (not an assertion)
  if (tcp) c.resetAndDestroy();
  else c.destroy();
}

test('unix proxy: a client closing with unread data resets the streaming server', async () => {
  const target = join(env.dir, 'stream.sock');
  const listen = join(env.dir, 'tap.sock');
  const s = await streamer('unix', target);
  const live = new LiveCli(['proxy', '--json', '--tap', `unix:${listen}=${target}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    await clientThatResets({ path: listen }, false);
    const how = await Promise.race([s.stopped, new Promise<string>((r) => setTimeout(() => r('still streaming after 15 s'), 15000))]);
    assert.match(how, /^stopped (BrokenPipeError|ConnectionResetError)/);
  } finally {
    await live.stop('SIGINT');
  }
});

test('tcp proxy: a client RST resets the streaming server', async () => {
  const s = await streamer('tcp', '');
  const port = 20000 + (process.pid % 20000);
  const live = new LiveCli(['proxy', '--json', '--tap', `tcp:${port}=127.0.0.1:${s.port}`], env.env);
  try {
    await live.waitFor((x) => x.kind === 'tap-ready');
    await clientThatResets({ host: '127.0.0.1', port }, true);
    const how = await Promise.race([s.stopped, new Promise<string>((r) => setTimeout(() => r('still streaming after 15 s'), 15000))]);
    assert.match(how, /^stopped (BrokenPipeError|ConnectionResetError)/);
  } finally {
    await live.stop('SIGINT');
  }
});

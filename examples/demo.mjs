// `npm run demo`: a tour of the ipctap CLI on the bundled examples, in the terminal.
//  1. a Go net/rpc server launched with its Unix socket taken over, and a client calling it:
//     every call decoded (method, args, reply, latency);
//  2. the capture read back, then replayed against a fresh server (every response compared);
//  3. a Go program that handles signals, sent SIGUSR1 and SIGTERM through the session.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const bin = (name) => join(here, 'bin', name);
const dir = mkdtempSync(join(tmpdir(), 'ipctap-demo-'));
const env = { ...process.env, IPCTAP_STATE_DIR: join(dir, 'state'), IPCTAP_RUNTIME_DIR: join(dir, 'run') };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const title = (t) => console.log(`\n\x1b[1m== ${t}\x1b[0m`);
const show = (args) => console.log(`\x1b[2m$ ipctap ${args.join(' ')}\x1b[0m`);

function ipctap(args, opts = {}) {
  show(args);
  return spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'inherit', 'inherit'], ...opts });
}
const done = (p) => new Promise((r) => p.on('exit', (code) => r(code)));

async function waitFor(path) {
  for (let i = 0; i < 100 && !existsSync(path); i++) await sleep(50);
}

async function main() {
  execFileSync(process.execPath, [join(here, 'build.mjs')], { stdio: 'inherit' });
  const sock = join(dir, 'arith.sock');
  const cap = join(dir, 'demo.ipctap');

  title('1. Launch a Go net/rpc server, take over its Unix socket, and call it');
  const session = ipctap(['run', '-w', cap, '--tap', `unix:${sock}`, '--', bin('rpcserver'), '-listen', `unix:${sock}`]);
  await waitFor(sock);
  await sleep(500);
  execFileSync(bin('rpcclient'), ['-connect', `unix:${sock}`, '-n', '3', '-interval', '100ms'], { stdio: 'ignore' });
  await sleep(300);
  session.kill('SIGINT');
  await done(session);

  title('2. Read the capture back, then replay connection 2 against a fresh server');
  await done(ipctap(['read', cap]));
  const fresh = join(dir, 'fresh.sock');
  const server = spawn(bin('rpcserver'), ['-listen', `unix:${fresh}`], { stdio: 'ignore' });
  await waitFor(fresh);
  await done(ipctap(['replay', cap, '--conn', '2', '--to', `unix:${fresh}`, '-q']));
  server.kill('SIGTERM');

  title('3. Signals: a Go program that handles them, signalled through the session');
  const sig = ipctap(['run', '--show-stdio', '--decode', 'lines', '--', bin('signals')]);
  await sleep(800);
  const pid = String(execFileSync('pgrep', ['-n', '-f', bin('signals')])).trim();
  await done(ipctap(['signal', pid, 'SIGUSR1']));
  await sleep(300);
  await done(ipctap(['signal', pid, 'SIGTERM']));
  await done(sig);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));

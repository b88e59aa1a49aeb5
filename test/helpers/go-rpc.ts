// The Go net/rpc fixtures (test/fixtures/go/rpcserver and rpcclient) as the CLI tests use them:
// the real server on a free loopback port, and the real client's calls captured through
// `ipctap proxy`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LiveCli } from './cli';
import { goBinary } from './go';

/** The server in `mode` (plain/tcp: gob, http, jsonrpc) with `args` after it, and its
 *  127.0.0.1:PORT. Ended with stopRpcServer. */
export async function startRpcServer(mode: string, ...args: string[]): Promise<{ server: ChildProcess; addr: string }> {
  const server = spawn(goBinary('rpcserver'), [mode, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const addr = await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res));
  return { server, addr };
}

/** The server ends when its stdin closes (killed too, in case it does not). */
export function stopRpcServer(server: ChildProcess): void {
  server.stdin!.end();
  server.kill();
}

/** The client's calls in `mode` to the server at `addr`, captured through `ipctap proxy` (with
 *  the environment `env`) into `capture`; the client's own record of them goes to `out`. */
export async function captureRpcCalls(env: NodeJS.ProcessEnv, mode: string, addr: string, capture: string, out: string): Promise<void> {
  const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:0=${addr}`], env);
  try {
    const ready = await live.waitFor((r) => r.kind === 'tap-ready');
    const c = spawnSync(goBinary('rpcclient'), [mode, `127.0.0.1:${String(ready.address).split(':').pop()}`, out], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
  } finally {
    await live.stop();
  }
}

// Starts the built engine server (dist/server.js) as the extension host would, over stdio, and
// talks LSP to it: initialize, then the custom requests of extension/shared/requests.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { join, resolve } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { EngineExit, type NotificationDef, type RequestDef } from '../../extension/shared/requests';

export interface EngineServer {
  child: ChildProcess;
  conn: MessageConnection;
  logs: string[];
  request<P, R>(def: RequestDef<P, R>, params: P): Promise<R>;
  onNotification<P>(def: NotificationDef<P>, fn: (p: P) => void): void;
  close(): Promise<void>;
}

export async function startEngineServer(env: Record<string, string> = {}): Promise<EngineServer> {
  const script = resolve(__dirname, '../../dist/server.js');
  const child = spawn(process.execPath, [script, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: string[] = [];
  conn.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  conn.sendNotification('initialized', {});
  return {
    child,
    conn,
    logs,
    request: <P, R>(def: RequestDef<P, R>, params: P) => conn.sendRequest(def.method, params) as Promise<R>,
    onNotification: <P>(def: NotificationDef<P>, fn: (p: P) => void) => void conn.onNotification(def.method, fn),
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        await conn.sendRequest('shutdown');
        conn.sendNotification('exit');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      conn.dispose();
    },
  };
}

/** An engine server of the test's own, state and runtime in a temporary folder; when the test
 *  ends, `beforeClose` runs, then the engine closes and the folder goes. */
export async function ownEngine(t: TestContext, beforeClose?: (engine: EngineServer) => Promise<void>): Promise<{ engine: EngineServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-engine-'));
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: join(dir, 'state'), IPCTAP_RUNTIME_DIR: join(dir, 'run') });
  t.after(async () => {
    await beforeClose?.(engine);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { engine, dir };
}

/** Polls `fn` every 50 ms until it returns something other than undefined or false (returned),
 *  failing after `ms` with what was waited for. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One client of an engine serving at a Unix socket (`--listen`), talking LSP as a VS Code window
 *  does: initialize with its own process id, requests, notices. */
export interface EngineSocketClient {
  socket: Socket;
  request<P, R>(def: RequestDef<P, R>, params: P): Promise<R>;
  onNotification<P>(def: NotificationDef<P>, fn: (p: P) => void): void;
  /** Leave as vscode-languageclient's stop() does (shutdown, exit), until the socket closes. */
  leave(): Promise<void>;
  /** Vanish without a word (the extension host killed). */
  drop(): void;
}

export async function connectEngineSocket(socket: Socket): Promise<EngineSocketClient> {
  const conn = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  conn.listen();
  const closed = new Promise<void>((r) => (socket.destroyed ? r() : socket.once('close', () => r())));
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  conn.sendNotification('initialized', {});
  return {
    socket,
    request: <P, R>(def: RequestDef<P, R>, params: P) => conn.sendRequest(def.method, params) as Promise<R>,
    onNotification: <P>(def: NotificationDef<P>, fn: (p: P) => void) => void conn.onNotification(def.method, fn),
    async leave() {
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      await closed;
      conn.dispose();
    },
    drop() {
      conn.dispose();
      socket.destroy();
    },
  };
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** End every engine serving at a socket in `runtimeDir`/engines (engine/exit: its sessions
 *  stopped) and wait until each process is gone. VS Code's engines outlive the window that
 *  started them: e2e tests end them this way. Returns their process ids. */
export async function stopEngines(runtimeDir: string): Promise<number[]> {
  let names: string[] = [];
  try {
    names = readdirSync(join(runtimeDir, 'engines')).filter((n) => n.endsWith('.sock'));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) {
    const sock = connect(join(runtimeDir, 'engines', n));
    const ok = await new Promise<boolean>((r) => {
      sock.once('connect', () => r(true));
      sock.once('error', () => r(false));
    });
    if (!ok) continue;
    const client = await connectEngineSocket(sock);
    const { pid } = await client.request(EngineExit, {});
    client.drop();
    await until(`engine ${pid} gone`, () => !alive(pid), 20_000);
    pids.push(pid);
  }
  return pids;
}

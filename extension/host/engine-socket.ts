// The engine this window talks to: the one serving this workspace at its private socket, else one
// started now, detached (its own process group, not ended with the extension host), so that a
// window reload reconnects to it and its live sessions keep capturing. See server/socket-server.ts.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { engineLogPath, engineSocketPath, privateDirProblem, socketProblem } from '../shared/user-dirs';

/** How long a started engine may take to accept connections. */
const START_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

/** The socket of the engine for one workspace (its folders or workspace file) and extension
 *  version: every window of that workspace shares it. */
export function engineSocketFor(workspace: string, version: string): string {
  const key = createHash('sha256').update(`${workspace}\n${version}`).digest('hex').slice(0, 16);
  return engineSocketPath(`vscode-${key}`);
}

export interface EngineConnection {
  socket: net.Socket;
  /** true: started now; false: an engine that was running already. */
  started: boolean;
  /** The process started now (when started). */
  pid?: number;
}

/** Connect to the engine at `socketPath`, starting `serverModule` there first if none accepts. */
export async function connectOrStartEngine(serverModule: string, socketPath: string): Promise<EngineConnection> {
  const dirProblem = privateDirProblem(dirname(socketPath));
  if (dirProblem) throw new Error(dirProblem);
  const running = await connectTo(socketPath);
  if (running) return { socket: running, started: false };

  const logPath = engineLogPath(socketPath);
  const log = openSync(logPath, 'a', 0o600);
  let exited: string | undefined;
  let pid: number | undefined;
  try {
    const child = spawn(process.execPath, [serverModule, '--listen', socketPath], {
      detached: true,
      stdio: ['ignore', log, log],
      // The extension host's executable may be Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.once('error', (e) => (exited = e.message));
    child.once('exit', (code, signal) => (exited = signal ?? `status ${String(code)}`));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const sock = await connectTo(socketPath);
    if (sock) return { socket: sock, started: true, pid };
    // Exited: it failed, or another window's engine got the socket first (one more look).
    if (exited !== undefined) {
      const other = await connectTo(socketPath);
      if (other) return { socket: other, started: false };
      throw new Error(`the engine exited (${exited}) before accepting connections at ${socketPath}${logTail(logPath)}`);
    }
    if (Date.now() > end) throw new Error(`the engine did not accept connections at ${socketPath} within ${START_TIMEOUT_MS / 1000} s${logTail(logPath)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A connected socket, or undefined when nobody accepts at `path` (a socket of ours only). */
function connectTo(path: string): Promise<net.Socket | undefined> {
  const problem = socketProblem(path);
  if (problem) return Promise.reject(new Error(problem));
  return new Promise((resolve) => {
    const s = net.connect(path);
    const fail = () => {
      s.destroy();
      resolve(undefined);
    };
    s.once('error', fail);
    s.once('connect', () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

function logTail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8').trim().split('\n').slice(-5).join('\n');
    return text ? `; its log (${path}) ends:\n${text}` : `; its log is ${path}`;
  } catch {
    return '';
  }
}

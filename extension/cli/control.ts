// The control channel of a running `ipctap` session: a Unix socket (mode 0600) in the user's
// runtime directory, one JSON request per line, one JSON reply per line. `ipctap signal` uses it
// so a signal sent from another terminal (or the VS Code side) is recorded in the session.
//   {"id":1,"method":"processes"}                         → {"id":1,"result":[{pid,name,command,state}]}
//   {"id":2,"method":"signal","pid":N,"signal":"SIGUSR1","group":false} → {"id":2,"result":true}
//   {"id":3,"method":"stop"}                              → {"id":3,"result":true}
// Errors: {"id":N,"error":"message"}.
import { chmodSync, readdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { runtimeDir, ensurePrivateDir, type Session } from '../engine';
import { socketPathTooLong } from '../shared/user-dirs';

export function sessionsDir(): string {
  return join(runtimeDir(), 'sessions');
}

export class ControlServer {
  private constructor(
    private readonly server: net.Server,
    readonly path: string,
  ) {}

  static async start(session: Session, onStop?: () => void): Promise<ControlServer> {
    const dir = sessionsDir();
    ensurePrivateDir(dir);
    removeStale(dir);
    const path = join(dir, `${process.pid}.sock`);
    const long = socketPathTooLong(path);
    if (long) throw new Error(long);
    try {
      unlinkSync(path);
    } catch {
      /* not there */
    }
    const server = net.createServer((sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('error', () => sock.destroy());
      sock.on('data', (d: string) => {
        buf += d;
        if (buf.length > 1 << 20) return sock.destroy();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          sock.write(JSON.stringify(handle(session, line, onStop)) + '\n');
        }
      });
    });
    // The socket is made with mode 0600 whatever the umask (bound while the umask is 0177).
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    server.unref();
    return new ControlServer(server, path);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      /* gone */
    }
  }
}

/** Remove control sockets of sessions that are gone (a SIGKILLed ipctap leaves its socket). */
function removeStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^(\d+)\.sock$/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // still running (or not ours to signal)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    try {
      unlinkSync(join(dir, n));
    } catch {
      // gone meanwhile
    }
  }
}

function handle(session: Session, line: string, onStop?: () => void): unknown {
  let req: { id?: unknown; method?: unknown; pid?: unknown; signal?: unknown; group?: unknown };
  try {
    req = JSON.parse(line);
  } catch {
    return { error: 'not JSON' };
  }
  const id = req.id ?? null;
  try {
    switch (req.method) {
      case 'processes':
        return { id, result: session.processes() };
      case 'signal':
        if (typeof req.pid !== 'number' || (typeof req.signal !== 'string' && typeof req.signal !== 'number')) return { id, error: 'signal needs pid and signal' };
        session.signal(req.pid, req.signal, { group: req.group === true });
        return { id, result: true };
      case 'stop':
        onStop?.();
        return { id, result: true };
      default:
        return { id, error: `unknown method ${String(req.method)}` };
    }
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Ask every running session's control socket; returns the first reply for which `accept` is true. */
export async function askSessions(
  request: object,
  accept: (reply: { result?: unknown; error?: string }) => boolean,
): Promise<{ result?: unknown; error?: string; path: string } | undefined> {
  let names: string[] = [];
  try {
    names = readdirSync(sessionsDir()).filter((n) => n.endsWith('.sock'));
  } catch {
    return undefined;
  }
  for (const n of names) {
    const path = join(sessionsDir(), n);
    const reply = await ask(path, request).catch(() => undefined);
    if (reply && accept(reply)) return { ...reply, path };
  }
  return undefined;
}

export function ask(path: string, request: object, timeoutMs = 2000): Promise<{ result?: unknown; error?: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ id: 1, ...request }) + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)));
        } catch (e) {
          reject(e);
        }
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

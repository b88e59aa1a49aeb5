// The engine serving the VS Code windows of one workspace over a private Unix socket (mode 0600
// in a 0700 directory of the user's runtime dir; see shared/user-dirs.ts). Started detached by
// the extension host, in its own process group, so a window reload does not end it:
//   - every connection is one LSP client (a window); notices and log lines go to all of them;
//   - a client's shutdown/exit ends its connection only, never a session;
//   - with no client connected and no live session, the engine exits after IDLE_MS: sessions'
//     temp files removed, the socket and log file unlinked;
//   - engine/exit (Restart Engine) and SIGTERM/SIGINT/SIGHUP stop every session and exit.
// A second engine started for the same socket while one accepts there exits at once (status 0).
import { lstatSync, unlinkSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { createProtocolConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter, type Connection } from 'vscode-languageserver/node';
// The transport-neutral connection: its watchdog is ours to give. vscode-languageserver/node's
// own ends the process on `exit` and when the client's process is gone; here an exit or a gone
// window ends that window's connection only.
import { createConnection as createLspConnection } from 'vscode-languageserver/lib/common/server';
import { ensurePrivateDir } from '../engine';
import { engineLogPath, socketProblem } from '../shared/user-dirs';
import { createCore, serveConnection } from './core';

/** With nobody connected and nothing live: how long before the engine exits. */
const IDLE_MS = 5000;
/** At exit: how long to wait for the last replies to reach the clients. */
const FLUSH_MS = 2000;

export async function serveOnSocket(path: string): Promise<void> {
  if (!path) throw new Error('--listen needs the path of a socket');
  ensurePrivateDir(dirname(path));
  const server = await bindOnce(path);
  if (!server) {
    process.stdout.write(`${stamp()} another engine serves ${path}; this one exits\n`);
    process.exit(0);
  }
  const bound = lstatSync(path).ino;
  const sockets = new Set<net.Socket>();
  let idle: ReturnType<typeof setTimeout> | undefined;
  let quitting: Promise<void> | undefined;

  const core = createCore({
    logLine: (m) => process.stdout.write(`${stamp()} ${m}\n`),
    onNotice: () => queueMicrotask(checkIdle),
  });
  const live = () => core.sessions.list().some((s) => s.state === 'live' || s.state === 'starting');

  function checkIdle(): void {
    if (quitting) return;
    if (core.connections.size > 0 || live()) {
      if (idle) clearTimeout(idle);
      idle = undefined;
      return;
    }
    idle ??= setTimeout(() => {
      idle = undefined;
      if (core.connections.size === 0 && !live()) void quit('no window connected and no live session');
    }, IDLE_MS);
  }

  function quit(reason: string): Promise<void> {
    return (quitting ??= (async () => {
      if (idle) clearTimeout(idle);
      // No new window gets this engine from now on: one connecting meanwhile starts a new one,
      // with a log of its own (this one's is removed with the socket, in the same tick).
      server!.close();
      removeOwn(path, bound);
      removeOwn(engineLogPath(path));
      await core.sessions.shutdown().catch(() => undefined);
      // Said to every window after anything already queued for it (a reply to engine/exit).
      const message = `IPC Tap engine exiting (pid ${process.pid}): ${reason}`;
      process.stdout.write(`${stamp()} ${message}\n`);
      await Promise.all(
        [...core.connections].map(async (c) => {
          try {
            await c.sendNotification('window/logMessage', { type: 3, message });
          } catch {
            // its connection closed
          }
        }),
      );
      const closed = Promise.all([...sockets].map((s) => new Promise((r) => (s.destroyed ? r(null) : (s.once('close', r), s.end())))));
      await Promise.race([closed, new Promise((r) => setTimeout(r, FLUSH_MS).unref())]);
      process.exit(0);
    })());
  }

  server.on('connection', (sock) => {
    if (quitting) return sock.destroy();
    sockets.add(sock);
    sock.on('error', () => sock.destroy());
    let shutdownReceived = false;
    const connection: Connection = createLspConnection(
      (logger) => createProtocolConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock), logger),
      {
        get shutdownReceived() {
          return shutdownReceived;
        },
        set shutdownReceived(v: boolean) {
          shutdownReceived = v;
        },
        initialize: () => undefined,
        // A window leaving (closed or reloading) ends its connection only; the sessions go on.
        exit: () => sock.end(),
      },
      ProposedFeatures.all,
    );
    core.connections.add(connection);
    process.stdout.write(`${stamp()} a window connected (${core.connections.size} connected)\n`);
    checkIdle();
    serveConnection(core, connection, async () => {
      await core.sessions.stopAll();
      // Exit once the reply is on its way.
      setImmediate(() => void quit('engine/exit'));
    });
    sock.on('close', () => {
      sockets.delete(sock);
      core.connections.delete(connection);
      connection.dispose();
      process.stdout.write(`${stamp()} a window left (${core.connections.size} connected)\n`);
      checkIdle();
    });
    connection.listen();
    const n = core.sessions.list().filter((s) => s.state === 'live').length;
    connection.console.log(`IPC Tap engine (pid ${process.pid}, node ${process.version}) serving at ${path}: ${n} live session(s), ${core.connections.size} window(s) connected`);
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void quit(sig));
  // Live sessions of every window depend on this process: a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (err) => core.log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  core.log(`IPC Tap engine started (pid ${process.pid}, node ${process.version}) at ${path}`);
  checkIdle();
}

/** Listen at `path` (mode 0600 whatever the umask); undefined when another engine accepts there.
 *  A socket left by an engine that is gone is replaced; anything else at the path is refused. */
async function bindOnce(path: string): Promise<net.Server | undefined> {
  for (let attempt = 0; ; attempt++) {
    const problem = socketProblem(path);
    if (problem) throw new Error(problem);
    if (await accepts(path)) return undefined;
    try {
      unlinkSync(path);
    } catch {
      // not there
    }
    const server = net.createServer();
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      chmodSync(path, 0o600);
      return server;
    } catch (err) {
      // Another engine bound the path between our look and our bind: look again.
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 2) throw err;
    } finally {
      process.umask(umask);
    }
  }
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Unlink `path` if it is still the file we made (inode `ino`), or unconditionally without one. */
function removeOwn(path: string, ino?: number): void {
  try {
    if (ino !== undefined && lstatSync(path).ino !== ino) return;
    unlinkSync(path);
  } catch {
    // gone already
  }
}

function stamp(): string {
  return new Date().toISOString();
}

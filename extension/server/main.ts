// The engine hosted as a language server: the composition root of the server process.
// Two ways to run it:
//   node dist/server.js --listen SOCKET   what the extension host starts (detached): serves every
//                                         window of one workspace over a private Unix socket and
//                                         outlives a window reload while sessions are live
//                                         (socket-server.ts)
//   node dist/server.js --stdio           one client on stdin/stdout (tests); --node-ipc likewise
// A crash here never freezes the VS Code window.
import { createConnection, ProposedFeatures, type Connection } from 'vscode-languageserver/node';
import { createCore, serveConnection } from './core';
import { serveOnSocket } from './socket-server';

/** One client over stdio or node IPC: the engine ends with it (shutdown stops every session). */
export function startServer(connection: Connection): void {
  const core = createCore();
  core.connections.add(connection);
  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= core.sessions.shutdown());
  // engine/exit: sessions stopped before the reply; the process ends when the client leaves.
  serveConnection(core, connection, () => core.sessions.stopAll());
  connection.onShutdown(() => stopAll());
  connection.onExit(() => {
    void stopAll().finally(() => process.exit(0));
  });
  // The host went away without a shutdown: still restore takeovers and end our processes.
  process.on('disconnect', () => void stopAll().finally(() => process.exit(0)));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => void stopAll().finally(() => process.exit(0)));
  }
  connection.listen();
  core.log(`IPC Tap engine started (pid ${process.pid}, node ${process.version})`);
}

if (require.main === module) {
  const at = process.argv.indexOf('--listen');
  if (at >= 0) {
    serveOnSocket(process.argv[at + 1] ?? '').catch((err: unknown) => {
      process.stderr.write(`ipctap engine: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    });
  } else startServer(createConnection(ProposedFeatures.all));
}

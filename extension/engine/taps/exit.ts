// Undo takeovers when the process is told to go away. Nothing is installed at import time: the CLI
// (or the engine server) calls installExitRestore() once, and may uninstall it again.
//
// - SIGINT/SIGTERM/SIGHUP: stop the given taps (each restores and emits 'restored'), run the
//   caller's onSignal (flush captures...), restore whatever the journal still lists for this
//   process, then die by the same signal (the default action), unless onSignal exited first.
//   A second signal while that runs restores at once and exits with 128+signal.
// - 'exit' (normal exit, process.exit, uncaught exception, unhandled rejection): restore this
//   process's journal entries synchronously.
import { signalExitStatus } from '../process/signal-table';
import { restoreOwnSync } from './journal';
import type { Tap } from './tap';

export interface ExitRestoreOptions {
  /** Taps to stop on a signal. */
  taps?: () => Iterable<Tap>;
  /** Called on a signal after the taps stopped (and before dying): close sessions, flush files. */
  onSignal?: (signal: NodeJS.Signals) => Promise<void> | void;
  /** How long stopping and onSignal may take before we restore and exit anyway. Default 3000. */
  graceMs?: number;
  signals?: NodeJS.Signals[];
}

/** Returns a function that removes the handlers again. */
export function installExitRestore(opts: ExitRestoreOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const grace = opts.graceMs ?? 3000;
  let handling = false;

  const onExit = (): void => {
    restoreOwnSync();
  };
  const onSig = (sig: NodeJS.Signals): void => {
    if (handling) {
      restoreOwnSync();
      process.exit(signalExitStatus(sig));
    }
    handling = true;
    void (async () => {
      const work = (async () => {
        const taps = opts.taps ? [...opts.taps()] : [];
        await Promise.allSettled(taps.map((t) => t.stop()));
        if (opts.onSignal) await opts.onSignal(sig);
      })();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        work.catch(() => undefined),
        new Promise<void>((r) => {
          timer = setTimeout(r, grace);
        }),
      ]);
      if (timer) clearTimeout(timer);
      restoreOwnSync();
      uninstall();
      // Die by the same signal, unless somebody else still listens for it (then exit plainly).
      if (process.listenerCount(sig) > 0) process.exit(signalExitStatus(sig));
      process.kill(process.pid, sig);
    })();
  };

  const uninstall = (): void => {
    for (const s of signals) process.removeListener(s, onSig);
    process.removeListener('exit', onExit);
  };
  for (const s of signals) process.on(s, onSig);
  process.on('exit', onExit);
  return uninstall;
}

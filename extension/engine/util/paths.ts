// Where ipctap keeps per-user files: the state dir (journal; see taps/journal.ts) and the runtime
// dir (control sockets of running sessions).
import { join } from 'node:path';
import { stateDir } from '../taps/journal';

export { stateDir };

/** $IPCTAP_RUNTIME_DIR, else $XDG_RUNTIME_DIR/ipctap, else <state dir>/run. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IPCTAP_RUNTIME_DIR) return env.IPCTAP_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'ipctap');
  return join(stateDir(env), 'run');
}

// Where ipctap keeps per-user files: the state dir (journal; see taps/journal.ts) and the runtime
// dir (control sockets of running sessions).
import { runtimeDirOf } from '../../shared/user-dirs';
import { stateDir } from '../taps/journal';

export { stateDir };

/** $IPCTAP_RUNTIME_DIR, else $XDG_RUNTIME_DIR/ipctap, else <state dir>/run. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return runtimeDirOf(env);
}

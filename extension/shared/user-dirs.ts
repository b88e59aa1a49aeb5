// Where ipctap keeps per-user files, for the engine, the CLI and the extension host alike, and
// the checks that those places are the user's own: a directory or socket another user owns or
// can write could feed us journals or sockets of theirs.
//   state dir:   $IPCTAP_STATE_DIR, else $XDG_STATE_HOME/ipctap, else ~/.local/state/ipctap
//   runtime dir: $IPCTAP_RUNTIME_DIR, else $XDG_RUNTIME_DIR/ipctap, else <state dir>/run
//   engine of a VS Code workspace: <runtime dir>/engines/<key>.sock (and .log beside it)
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDirOf(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IPCTAP_STATE_DIR) return env.IPCTAP_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'ipctap');
  return join(homedir(), '.local', 'state', 'ipctap');
}

export function runtimeDirOf(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IPCTAP_RUNTIME_DIR) return env.IPCTAP_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'ipctap');
  return join(stateDirOf(env), 'run');
}

/** The socket of the engine serving the VS Code windows of one workspace (`key` names it). */
export function engineSocketPath(key: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDirOf(env), 'engines', `${key}.sock`);
}

/** The engine's log file, beside its socket. */
export function engineLogPath(socketPath: string): string {
  return socketPath.replace(/\.sock$/, '') + '.log';
}

/** Create `dir` (0700) if needed; say why it cannot be used when it is a symlink or not owned by
 *  us; make one of ours that others can read or write 0700. */
export function privateDirProblem(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) return `${dir} is not a directory (a symlink?): refusing to keep ipctap's files there`;
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): refusing to keep ipctap's files there`;
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return undefined;
}

/** Longest path a Unix socket can have (sun_path is 108 bytes with the NUL): Node cuts a longer
 *  one short without a word, so the socket would be made under another name. */
export const SOCKET_PATH_MAX = 107;

/** Why a socket of ours cannot be made or reached at `path` because of its length (undefined: it fits). */
export function socketPathTooLong(path: string): string | undefined {
  const n = Buffer.byteLength(path);
  if (n <= SOCKET_PATH_MAX) return undefined;
  return `${path} is ${n} bytes long, more than the ${SOCKET_PATH_MAX} a Unix socket path can have: set IPCTAP_RUNTIME_DIR to a shorter directory`;
}

/** Why the file at `path` is not a socket of ours to connect to, or cannot be one (too long)
 *  (undefined: it is, or nothing is there). */
export function socketProblem(path: string): string | undefined {
  const long = socketPathTooLong(path);
  if (long) return long;
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (!st.isSocket()) return `${path} is not a socket: refusing to use it`;
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) return `${path} belongs to uid ${st.uid}, not to you (uid ${uid}): refusing to connect to it`;
  return undefined;
}

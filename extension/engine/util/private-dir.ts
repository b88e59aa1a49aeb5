// Per-user directories (state, journal, control sockets) must be ours and private: a directory
// another user owns or can write could feed us journals or sockets of theirs.
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { UserError } from './errors';

/** Create `dir` (0700) if needed; refuse one that is a symlink or not owned by us, and make one
 *  of ours that others can read or write 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new UserError(`${dir} is not a directory (a symlink?): refusing to keep ipctap's files there`);
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UserError(`${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): refusing to keep ipctap's files there`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Whether a file is ours and readable/writable by us alone (a journal to trust). */
export function ownedPrivateFile(st: { uid: number; mode: number; isFile(): boolean }): boolean {
  const uid = process.geteuid?.();
  return st.isFile() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
}

// Per-user directories (state, journal, control sockets) must be ours and private: a directory
// another user owns or can write could feed us journals or sockets of theirs.
import { privateDirProblem } from '../../shared/user-dirs';
import { UserError } from './errors';

/** Create `dir` (0700) if needed; refuse one that is a symlink or not owned by us, and make one
 *  of ours that others can read or write 0700. */
export function ensurePrivateDir(dir: string): void {
  const problem = privateDirProblem(dir);
  if (problem) throw new UserError(problem);
}

/** Whether a file is ours and readable/writable by us alone (a journal to trust). */
export function ownedPrivateFile(st: { uid: number; mode: number; isFile(): boolean }): boolean {
  const uid = process.geteuid?.();
  return st.isFile() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
}

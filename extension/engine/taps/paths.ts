// Where a takeover keeps the original while it lasts, and names shared by the socket taps.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SOCKET_PATH_MAX } from '../../shared/user-dirs';

/** Names inside a private directory: the original, and our own socket/FIFO before it is renamed
 *  onto the path. */
export const ORIG_NAME = 'orig';
export const NEW_NAME = 'new';

const PROC_FD = '/proc/self/fd';

/** The owner we run as (root when getuid is missing). */
function myUid(): number {
  return process.geteuid?.() ?? 0;
}

/**
 * A directory of ours, mode 0700, beside the taken-over path (same file system, so the original
 * can be linked or renamed into it), created with an unpredictable name that did not exist before
 * (mkdtemp). Nobody else can add, remove or replace what is inside. We hold a descriptor on it
 * and reach its entries through that descriptor (/proc/self/fd/N/NAME), so even when another user
 * who owns the parent directory renames it away and plants a look-alike, every connect and open
 * still lands in our directory.
 */
export class PrivateDir {
  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly stat: Stats,
  ) {}

  /** An unpredictable name for one next to `path` (not created: see create). */
  static plan(path: string): string {
    // Six random letters and digits, as mkdtemp makes them.
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const suffix = Array.from(randomBytes(6), (b) => chars[b % chars.length]).join('');
    return join(dirname(path), `.${basename(path).slice(0, 40)}.ipctap-${suffix}`);
  }

  /** Create one next to `path`, at `planned` (a name from plan(), recorded in the journal first
   *  so that a crash right after leaves nothing unaccounted for). The name must not exist yet. */
  static create(path: string, planned = PrivateDir.plan(path)): PrivateDir {
    const dir = planned;
    mkdirSync(dir, { mode: 0o700 }); // EEXIST: something is there already, never used
    chmodSync(dir, 0o700); // (whatever the umask)
    const opened = PrivateDir.open(dir);
    if (!opened.ok) {
      throw new Error(`the private directory ${dir} was replaced right after it was made (${opened.why})`);
    }
    return opened.dir;
  }

  /** Open an existing private directory, without following a symlink, and check that it is ours
   *  (owner, mode 0700, and the inode when `expect` is given). */
  static open(dir: string, expect?: { ino?: number; dev?: number }): { ok: true; dir: PrivateDir } | { ok: false; why: string } {
    let fd: number;
    try {
      fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      return { ok: false, why: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
    const st = fstatSync(fd);
    const why =
      st.uid !== myUid()
        ? `owned by uid ${st.uid}`
        : (st.mode & 0o777) !== 0o700
          ? `mode ${(st.mode & 0o777).toString(8)}`
          : expect?.ino !== undefined && (st.ino !== expect.ino || (expect.dev !== undefined && st.dev !== expect.dev))
            ? 'not the directory the takeover made'
            : undefined;
    if (why) {
      closeSync(fd);
      return { ok: false, why };
    }
    return { ok: true, dir: new PrivateDir(dir, fd, st) };
  }

  /** A path that reaches NAME in this very directory (through our descriptor when /proc is there). */
  ref(name: string): string {
    return hasProcFd() ? `${PROC_FD}/${this.fd}/${name}` : join(this.path, name);
  }

  /** The path as people read it. */
  shown(name: string): string {
    return join(this.path, name);
  }

  /** Remove what we left inside, the directory itself (when it is still ours at its name), and
   *  close the descriptor unless `keepOpen`. */
  remove(keepOpen = false): void {
    for (const n of [ORIG_NAME, NEW_NAME]) {
      try {
        unlinkSync(this.ref(n));
      } catch {
        // not there
      }
    }
    const again = PrivateDir.open(this.path, this.stat);
    if (again.ok) {
      closeSync(again.dir.fd);
      try {
        rmdirSync(this.path);
      } catch {
        // not empty (something we do not know) or gone
      }
    }
    if (!keepOpen) this.close();
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
  }
}

let procFd: boolean | undefined;
function hasProcFd(): boolean {
  if (procFd === undefined) {
    procFd = lstatSync(PROC_FD, { throwIfNoEntry: false })?.isDirectory() ?? false;
  }
  return procFd;
}

export function fits(...paths: string[]): boolean {
  return paths.every((p) => Buffer.byteLength(p) <= SOCKET_PATH_MAX);
}

/** Node's spelling of an abstract socket name ("@name" → "\0name"). */
export function nodeSocketPath(p: string): string {
  return p.startsWith('@') ? `\0${p.slice(1)}` : p;
}

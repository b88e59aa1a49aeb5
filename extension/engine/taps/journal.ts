// The takeover journal: every rename a takeover makes is recorded here (written and fsync'd
// BEFORE the rename) so that it can be undone on stop, on a signal, after an uncaught error, and
// — after SIGKILL or a crash — by the next ipctap run or `ipctap restore`.
//
// Layout: <state dir>/journal/<pid>-<seq>-<time>.json, one file per takeover, so concurrent ipctap
// processes never write the same file. A restorer claims an entry by renaming its file to
// "<name>.claim-<pid>" (atomic; the loser sees ENOENT and skips it).
//
// The state dir is $IPCTAP_STATE_DIR, else $XDG_STATE_HOME/ipctap, else ~/.local/state/ipctap.
// Everything here is synchronous on purpose: the 'exit' handler can only run synchronous code.
import {
  chownSync,
  closeSync,
  linkSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { canConnect } from './probe';
import { NEW_NAME, ORIG_NAME, PrivateDir } from './paths';
import { ensurePrivateDir, ownedPrivateFile } from '../util/private-dir';
import { stateDirOf } from '../../shared/user-dirs';
import { UserError } from '../util/errors';

export interface JournalEntry {
  /** The path that was taken over (where the original lived and will live again). */
  path: string;
  /** Where the original socket/FIFO sits while the takeover lasts. */
  renamedTo: string;
  kind: 'unix' | 'fifo';
  /** The ipctap process that made the takeover. */
  pid: number;
  /** Its start time (/proc/PID/stat field 22), to tell a reused pid from the owner. */
  pidStart?: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Our own socket/FIFO, created under this name and then renamed onto `path`. */
  tmpPath?: string;
  /** Inode of our own socket/FIFO (so a restore never clobbers somebody else's new file). */
  tapIno?: number;
  tapDev?: number;
  /** Its birth time (ms, from statx), so a reused inode number is not mistaken for ours. */
  tapBirth?: number;
  /** The private directory (ours, 0700) that holds the original as "orig" and our socket/FIFO as
   *  "new" before it is renamed onto `path`; `renamedTo` and `tmpPath` are inside it. Restoring
   *  opens it without following symlinks and checks owner, mode and inode first. */
  privDir?: string;
  privIno?: number;
  privDev?: number;
}

export interface RestoreResult {
  path: string;
  renamedTo: string;
  kind: 'unix' | 'fifo';
  pid: number;
  /** restored: the original is back at `path`. removed: nothing to put back, our leftovers removed.
   *  skipped: the owner still runs. failed: see message. */
  action: 'restored' | 'removed' | 'skipped' | 'failed';
  message: string;
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return stateDirOf(env);
}

export function journalDir(): string {
  return join(stateDir(), 'journal');
}

let seq = 0;

/** The start time of a process, or undefined when it does not exist (or /proc is unavailable). */
/** /proc/PID/stat's fields after the command name (field 3, the state, first), if readable. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may contain spaces; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function processStart(pid: number): string | undefined {
  return statFields(pid)?.[19]; // field 22 overall
}

/** Whether the process that wrote a journal entry still runs. A zombie (killed, not yet reaped
 *  by its parent, as after `kill -9` of an ipctap started in the background) has ended. */
function alive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (fields === undefined) return true; // no /proc to ask: trust kill(0)
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return start === undefined || fields[19] === start;
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on directories; the file itself was synced
  }
}

function writeDurable(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(join(file, '..'));
}

/** A journal entry on disk, owned by this process until removed or restored. */
export class JournalHandle {
  /** The takeover's private directory, held open by the tap. */
  held: PrivateDir | undefined;

  constructor(
    readonly file: string,
    public entry: JournalEntry,
  ) {}

  /** Rewrite the entry (e.g. after learning our socket's inode). */
  update(patch: Partial<JournalEntry>): void {
    this.entry = { ...this.entry, ...patch };
    writeDurable(this.file, JSON.stringify(this.entry));
  }

  /** Undo the takeover now (idempotent: a second call, or a call after another restorer took the
   *  entry, returns undefined). */
  restore(): RestoreResult | undefined {
    return restoreFile(this.file, { held: this.held });
  }

  /** restore(), first checking (for a Unix socket whose name was removed meanwhile) whether the
   *  original server still accepts, so a dead server's stale socket is removed, not put back. */
  async restoreChecked(): Promise<RestoreResult | undefined> {
    return restoreFile(this.file, await liveness(this.entry, this.held));
  }

  /** Forget the entry without touching the file system (nothing was renamed after all). */
  discard(): void {
    rmQuiet(this.file);
  }
}

/** Record a takeover before making it. */
export function writeEntry(e: Omit<JournalEntry, 'pid' | 'createdAt' | 'pidStart'>, held?: PrivateDir): JournalHandle {
  const dir = journalDir();
  ensurePrivateDir(stateDir());
  ensurePrivateDir(dir);
  const entry: JournalEntry = {
    ...e,
    pid: process.pid,
    pidStart: processStart(process.pid),
    createdAt: Date.now(),
  };
  const file = join(dir, `${process.pid}-${++seq}-${Date.now()}.json`);
  writeDurable(file, JSON.stringify(entry));
  const h = new JournalHandle(file, entry);
  h.held = held;
  return h;
}

/**
 * The private directory for a takeover of `path`, journaled before it is made (its name first,
 * then its inode), so that whatever happens from here (a SIGKILL included) the next ipctap
 * removes it. The tap adds its own inode to the entry once its socket or FIFO exists.
 */
export function journaledPrivateDir(path: string, kind: JournalEntry['kind']): { priv: PrivateDir; journal: JournalHandle } {
  const planned = PrivateDir.plan(path);
  const journal = writeEntry({ path, renamedTo: join(planned, ORIG_NAME), kind, tmpPath: join(planned, NEW_NAME), privDir: planned });
  let priv: PrivateDir;
  try {
    priv = PrivateDir.create(path, planned);
  } catch (e) {
    journal.discard();
    throw new UserError(`cannot take over ${path}: ${(e as Error).message}`);
  }
  journal.held = priv;
  journal.update({ privIno: priv.stat.ino, privDev: priv.stat.dev });
  return { priv, journal };
}

/**
 * The takeover's swap, once the tap's own socket or FIFO exists as NEW_NAME in `priv`: give it the
 * original's owner (when allowed), journal its inode, move the original into `priv` as ORIG_NAME
 * (a hard link, or a rename where links are refused), check that what moved is what was there
 * (same kind and inode), then put ours at `path`. Throws; the caller restores from the journal.
 */
export function swapIn(path: string, orig: Stats, priv: PrivateDir, journal: JournalHandle, isKind: (st: Stats) => boolean, gone: string): void {
  const tmp = priv.ref(NEW_NAME);
  try {
    chownSync(tmp, orig.uid, orig.gid);
  } catch {
    // only root may give files away; ours then has our owner and the original's mode
  }
  const ours = lstatSync(tmp);
  journal.update({ tapIno: ours.ino, tapDev: ours.dev, tapBirth: ours.birthtimeMs });
  try {
    linkSync(path, priv.ref(ORIG_NAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`cannot take over ${path}: ${gone}`);
    renameSync(path, priv.ref(ORIG_NAME)); // links refused (protected_hardlinks, odd filesystem)
  }
  const moved = lstatSync(priv.ref(ORIG_NAME));
  if (!isKind(moved) || moved.ino !== orig.ino || moved.dev !== orig.dev) {
    throw new UserError(`cannot take over ${path}: it was replaced while the tap was taking it over`);
  }
  renameSync(tmp, path);
}

function rmQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

function lstatQuiet(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

function readEntry(file: string): JournalEntry | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as JournalEntry;
    if (typeof v.path !== 'string' || typeof v.renamedTo !== 'string' || typeof v.pid !== 'number') return undefined;
    return v;
  } catch {
    return undefined;
  }
}

/** Claim the entry file and undo its takeover. undefined when someone else claimed it first. */
function restoreFile(file: string, opts: UndoOptions = {}): RestoreResult | undefined {
  const claimed = `${file.replace(/\.claim-\d+$/, '')}.claim-${process.pid}`;
  if (claimed !== file) {
    try {
      renameSync(file, claimed);
    } catch {
      return undefined;
    }
  }
  const e = readEntry(claimed);
  if (!e) {
    rmQuiet(claimed);
    return undefined;
  }
  const result = undoTakeover(e, opts);
  if (result.action !== 'failed') rmQuiet(claimed);
  else {
    // keep the entry for a later `ipctap restore`, under its original name
    try {
      renameSync(claimed, file.replace(/\.claim-\d+$/, ''));
    } catch {
      // leave it claimed; restoreAll also picks up claims of dead processes
    }
  }
  return result;
}

function sameFile(a: Stats, ino: number | undefined, dev: number | undefined, birth?: number): boolean {
  if (ino === undefined) return true;
  if (a.ino !== ino || (dev !== undefined && a.dev !== dev)) return false;
  return !birth || !a.birthtimeMs || a.birthtimeMs === birth;
}

export interface UndoOptions {
  /** Whether the original (a Unix socket) still accepts connections, when known. When its name
   *  was removed meanwhile (servers unlink their path when they shut down, by name, which removes
   *  our socket) and it does not accept, its stale socket is removed rather than put back: a
   *  stale file at PATH would make the server's next start fail with "address in use". */
  origAlive?: boolean;
  /** The takeover's private directory, held open by the tap that made it (used instead of
   *  opening it again by name, so a restore works even when someone renamed it meanwhile). */
  held?: PrivateDir;
}

async function liveness(e: JournalEntry, held?: PrivateDir): Promise<UndoOptions> {
  if (e.kind !== 'unix' || lstatQuiet(e.path)) return { held };
  const at = refs(e, held);
  if (!at.ok) return { held };
  try {
    if (!lstatQuiet(at.orig)) return { held };
    return { origAlive: await canConnect(at.orig), held };
  } finally {
    at.done();
  }
}

/** Where to reach the original and our temporary name: through a descriptor on the private
 *  directory after checking it is the one the takeover made; by name for entries without one. */
function refs(e: JournalEntry, held?: PrivateDir): { ok: true; orig: string; tmp: string | undefined; done(): void; finish(): void } | { ok: false; why: string } {
  if (!e.privDir) return { ok: true, orig: e.renamedTo, tmp: e.tmpPath, done: () => undefined, finish: () => undefined };
  if (held) return { ok: true, orig: held.ref(ORIG_NAME), tmp: held.ref(NEW_NAME), done: () => undefined, finish: () => held.remove(true) };
  const o = PrivateDir.open(e.privDir, { ino: e.privIno, dev: e.privDev });
  if (!o.ok) {
    if (o.why === 'ENOENT') return { ok: true, orig: join(e.privDir, ORIG_NAME, 'missing'), tmp: undefined, done: () => undefined, finish: () => undefined };
    return { ok: false, why: `${e.privDir} is not the private directory the takeover made (${o.why})` };
  }
  return { ok: true, orig: o.dir.ref(ORIG_NAME), tmp: o.dir.ref(NEW_NAME), done: () => o.dir.close(), finish: () => o.dir.remove() };
}

/** Put the original back at e.path. Synchronous and careful not to clobber a newer file. */
export function undoTakeover(e: JournalEntry, opts: UndoOptions = {}): RestoreResult {
  const base = { path: e.path, renamedTo: e.renamedTo, kind: e.kind, pid: e.pid };
  const at = refs(e, opts.held);
  if (!at.ok) return { ...base, action: 'failed', message: `could not restore ${e.path}: ${at.why}` };
  try {
    const orig = lstatQuiet(at.orig);
    const cur = lstatQuiet(e.path);
    const curIsOurs = cur !== undefined && sameFile(cur, e.tapIno, e.tapDev, e.tapBirth) && (e.tapIno !== undefined || !!orig);
    let out: RestoreResult;
    if (!orig) {
      if (cur && e.tapIno !== undefined && curIsOurs) {
        rmQuiet(e.path);
        out = { ...base, action: 'removed', message: `removed the tap's leftover at ${e.path} (the original was gone)` };
      } else out = { ...base, action: 'removed', message: `nothing to restore at ${e.path}` };
    } else if (cur && cur.ino === orig.ino && cur.dev === orig.dev) {
      // interrupted between linking the original to its sibling name and replacing PATH
      rmQuiet(at.orig);
      out = { ...base, action: 'restored', message: `${e.path} was never replaced; removed the extra name ${e.renamedTo}` };
    } else if (!cur && opts.origAlive === false) {
      rmQuiet(at.orig);
      out = { ...base, action: 'removed', message: `the server of ${e.path} has gone (its path was removed); removed its stale socket ${e.renamedTo}` };
    } else if (!cur || curIsOurs) {
      // Writers that opened our FIFO after the tap died wait in open() for a reader that never
      // comes, and would wait on after it is replaced: open it for reading across the rename, so
      // they get through and then see the broken pipe (EPIPE) instead of hanging forever.
      const release = cur && e.kind === 'fifo' ? openOurFifo(e.path, e.tapIno) : undefined;
      try {
        renameSync(at.orig, e.path);
      } finally {
        if (release !== undefined) closeSync(release);
      }
      out = { ...base, action: 'restored', message: `restored ${e.path} from ${e.renamedTo}` };
    } else {
      // Something else now lives at PATH (the server restarted and bound it again): keep that,
      // and drop the stale renamed original.
      rmQuiet(at.orig);
      out = {
        ...base,
        action: 'removed',
        message: `${e.path} was replaced by someone else meanwhile; removed the old original ${e.renamedTo}`,
      };
    }
    if (at.tmp) {
      const t = lstatQuiet(at.tmp);
      if (t && sameFile(t, e.tapIno, e.tapDev, e.tapBirth)) rmQuiet(at.tmp);
    }
    at.finish();
    return out;
  } catch (err) {
    at.done();
    return { ...base, action: 'failed', message: `could not restore ${e.path}: ${(err as Error).message}` };
  }
}

/** Journal files to trust: in a directory of ours, each a regular file of ours with mode 0600
 *  (anything else could have been planted by another user to make us rename their files). */
/** A read end on our FIFO at `path` (checked by inode), or undefined. */
function openOurFifo(path: string, ino: number | undefined): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  if (ino === undefined || fstatSync(fd).ino !== ino) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

function listEntries(): string[] {
  const dir = journalDir();
  let names: string[];
  try {
    const st = lstatSync(dir);
    const uid = process.geteuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return [];
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.json(\.claim-\d+)?$/.test(n))
    .map((n) => join(dir, n))
    .filter((f) => {
      const st = lstatQuiet(f);
      return st !== undefined && ownedPrivateFile(st);
    });
}

/** Restore every takeover whose owning process is gone (any ipctap start, `ipctap restore`). */
export function restoreAllSync(): RestoreResult[] {
  const out: RestoreResult[] = [];
  for (const { file } of deadEntries(out)) {
    const r = restoreFile(file);
    if (r) out.push(r);
  }
  return out;
}

async function restoreAllWith(check: (e: JournalEntry) => Promise<UndoOptions>): Promise<RestoreResult[]> {
  const out: RestoreResult[] = [];
  for (const { file, entry } of deadEntries(out)) {
    const r = restoreFile(file, await check(entry));
    if (r) out.push(r);
  }
  return out;
}

/** Entries whose owner is gone; entries still owned are reported as skipped into `out`. */
function deadEntries(out: RestoreResult[]): Array<{ file: string; entry: JournalEntry }> {
  const dead: Array<{ file: string; entry: JournalEntry }> = [];
  for (const file of listEntries()) {
    const claim = /\.claim-(\d+)$/.exec(file);
    if (claim && alive(Number(claim[1]), undefined)) continue; // someone is restoring it now
    const e = readEntry(file);
    if (!e) continue;
    if (e.pid === process.pid) continue;
    if (alive(e.pid, e.pidStart)) {
      out.push({
        path: e.path,
        renamedTo: e.renamedTo,
        kind: e.kind,
        pid: e.pid,
        action: 'skipped',
        message: `left alone: ${e.path} is still taken over by ipctap process ${e.pid}`,
      });
      continue;
    }
    dead.push({ file, entry: e });
  }
  return dead;
}

export async function restoreAll(): Promise<RestoreResult[]> {
  return restoreAllWith(async (e) => liveness(e));
}

/** Restore this process's own takeovers (on exit; taps normally restore themselves on stop). */
export function restoreOwnSync(): RestoreResult[] {
  const out: RestoreResult[] = [];
  for (const file of listEntries()) {
    if (/\.claim-\d+$/.test(file)) continue;
    const e = readEntry(file);
    if (!e || e.pid !== process.pid) continue;
    const r = restoreFile(file);
    if (r) out.push(r);
  }
  return out;
}

export async function restoreOwn(): Promise<RestoreResult[]> {
  return restoreOwnSync();
}

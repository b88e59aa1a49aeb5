// What `shm watch` reads: a System V segment (by key or id) through /proc/PID/mem of a process
// that has it attached, a POSIX shm or any other file read directly, or PID:ADDR (the mapping of
// a process at an address, through /proc/PID/mem). Errors are UserErrors worded for the user.
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../util/errors';
import { hexKey, parseMaps, readSysvSegments, scanSharedMaps, sysvAttachments } from './list';
import { readFileSync } from 'node:fs';
import { processInfo } from '../process/procfs';

export type WatchTarget = { kind: 'sysv-key'; key: number } | { kind: 'sysv-id'; shmid: number } | { kind: 'file'; path: string } | { kind: 'mem'; pid: number; address: bigint };

/** KEY (0x hex, or key:N), ID (decimal, or id:N), PID:ADDR (ADDR hex), or a file path. */
export function parseWatchTarget(arg: string): WatchTarget {
  const a = arg.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(?:key[:=])?(0x[0-9a-f]{1,8})$/i.exec(a))) return { kind: 'sysv-key', key: parseInt(m[1]!, 16) >>> 0 };
  if ((m = /^key[:=](-?\d+)$/i.exec(a))) return { kind: 'sysv-key', key: Number(m[1]) >>> 0 };
  if ((m = /^(?:id[:=])?(\d+)$/i.exec(a))) return { kind: 'sysv-id', shmid: Number(m[1]) };
  if ((m = /^(\d+):(?:0x)?([0-9a-f]+)$/i.exec(a))) return { kind: 'mem', pid: Number(m[1]), address: BigInt('0x' + m[2]) };
  if (a === '') throw new UserError('shm watch needs what to watch: KEY (0x…), ID, /dev/shm/NAME, FILE or PID:ADDR', 1);
  return { kind: 'file', path: a };
}

/** The tap's name for a target. */
export function targetSpec(t: WatchTarget): string {
  switch (t.kind) {
    case 'sysv-key':
      return `shm:${hexKey(t.key)}`;
    case 'sysv-id':
      return `shm:id=${t.shmid}`;
    case 'file':
      return `shm:${t.path}`;
    case 'mem':
      return `shm:${t.pid}:0x${t.address.toString(16)}`;
  }
}

/** Where the bytes come from. `read` fills `buf` from `offset` (relative to the segment/file
 *  start); it resolves with the bytes read, or rejects when the source is unreadable now. */
export interface ShmSource {
  describe: string;
  size: number;
  /** The process whose memory is read (System V and PID:ADDR), with its name. */
  proc?: { pid: number; name: string };
  key?: string;
  shmid?: number;
  read(buf: Uint8Array, offset: number): Promise<number>;
  /** After a failed read: a new way to read the same memory, 'gone' with why, or 'wait' (it
   *  exists but cannot be read now, e.g. no process has the segment attached). */
  recover(): Promise<{ source: ShmSource } | { gone: string } | { wait: string }>;
  /** The watched thing went away although reads still work (an unlinked file). */
  goneReason(): Promise<string | undefined>;
  close(): Promise<void>;
}

function ptraceHint(): string {
  try {
    const scope = readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'latin1').trim();
    if (scope !== '0')
      return ` (kernel.yama.ptrace_scope is ${scope}: reading another process's memory needs it at 0 — sudo sysctl kernel.yama.ptrace_scope=0 — or CAP_SYS_PTRACE, e.g. running as root)`;
  } catch {
    /* no Yama */
  }
  return ' (the process belongs to another user: run as that user or root)';
}

function openError(err: unknown, what: string): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`permission denied reading ${what}${what.startsWith('/proc/') ? ptraceHint() : ''}`);
  if (code === 'ENOENT' || code === 'ESRCH') return new UserError(`${what}: no such ${what.startsWith('/proc/') ? 'process' : 'file'}`);
  return new UserError(`cannot read ${what}: ${(err as Error).message}`);
}

async function readFully(fh: FileHandle, buf: Uint8Array, position: number | bigint): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    // (A bigint position fails with EIO on /proc/PID/mem; user addresses fit a double exactly.)
    const pos = Number(position) + done;
    const { bytesRead } = await fh.read(buf, done, buf.length - done, pos);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

class FileSource implements ShmSource {
  constructor(
    readonly describe: string,
    readonly size: number,
    private readonly fh: FileHandle,
    private readonly path: string,
  ) {}

  read(buf: Uint8Array, offset: number): Promise<number> {
    return readFully(this.fh, buf, offset);
  }

  async recover(): Promise<{ gone: string }> {
    return { gone: `${this.path} cannot be read any more` };
  }

  async goneReason(): Promise<string | undefined> {
    try {
      const st = await this.fh.stat();
      return st.nlink === 0 ? `${this.path} was removed` : undefined;
    } catch {
      return `${this.path} cannot be read any more`;
    }
  }

  close(): Promise<void> {
    return this.fh.close().catch(() => undefined);
  }
}

class MemSource implements ShmSource {
  constructor(
    readonly describe: string,
    readonly size: number,
    private readonly fh: FileHandle,
    /** Address of offset 0 of the segment in that process. */
    private readonly base: bigint,
    private readonly again: () => Promise<{ source: ShmSource } | { gone: string } | { wait: string }>,
    readonly proc: { pid: number; name: string },
    readonly key?: string,
    readonly shmid?: number,
  ) {}

  async read(buf: Uint8Array, offset: number): Promise<number> {
    const n = await readFully(this.fh, buf, this.base + BigInt(offset));
    if (n < buf.length) throw new Error('short read from /proc/PID/mem');
    return n;
  }

  async recover(): Promise<{ source: ShmSource } | { gone: string } | { wait: string }> {
    await this.close();
    return this.again();
  }

  async goneReason(): Promise<string | undefined> {
    return undefined;
  }

  close(): Promise<void> {
    return this.fh.close().catch(() => undefined);
  }
}

/** Open the source of a target (UserError when it does not exist or cannot be read). */
export async function openSource(t: WatchTarget): Promise<ShmSource> {
  if (t.kind === 'file') {
    let fh: FileHandle;
    try {
      fh = await open(t.path, 'r');
    } catch (err) {
      throw openError(err, t.path);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new UserError(`${t.path} is not a regular file (shm watch reads /dev/shm entries and mmap'd files)`, 1);
    }
    if (st.size === 0) {
      await fh.close();
      throw new UserError(`${t.path} is empty: nothing to watch`);
    }
    return new FileSource(t.path, st.size, fh, t.path);
  }
  if (t.kind === 'mem') return openMem(t.pid, t.address);
  const r = await openSysv(t, false);
  if ('source' in r) return r.source;
  throw new UserError('gone' in r ? r.gone : r.wait);
}

async function openMem(pid: number, address: bigint): Promise<ShmSource> {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'latin1');
  } catch (err) {
    throw openError(err, `/proc/${pid}/maps`);
  }
  const entry = parseMaps(maps).find((e) => address >= e.start && address < e.end);
  if (!entry) throw new UserError(`pid ${pid} has nothing mapped at 0x${address.toString(16)} (see /proc/${pid}/maps or ipctap shm list)`);
  let fh: FileHandle;
  try {
    fh = await open(`/proc/${pid}/mem`, 'r');
  } catch (err) {
    throw openError(err, `/proc/${pid}/mem`);
  }
  const size = Number(entry.end - address);
  const describe = `/proc/${pid}/mem at 0x${address.toString(16)}${entry.path ? ` (${entry.path})` : ''}`;
  const name = processInfo(pid)?.name ?? `pid ${pid}`;
  return new MemSource(describe, size, fh, address, async () => ({ gone: `pid ${pid} exited or unmapped 0x${address.toString(16)}` }), { pid, name });
}

/**
 * A System V segment through a process that has it attached. With `retry` (after a failed read),
 * a missing segment is 'gone' and one without an attached process is 'wait'.
 */
async function openSysv(
  t: { kind: 'sysv-key'; key: number } | { kind: 'sysv-id'; shmid: number },
  retry: boolean,
): Promise<{ source: ShmSource } | { gone: string } | { wait: string }> {
  const segs = readSysvSegments();
  const seg = t.kind === 'sysv-id' ? segs.find((s) => s.shmid === t.shmid) : segs.find((s) => s.key >>> 0 === t.key);
  const name = t.kind === 'sysv-id' ? `id ${t.shmid}` : `key ${hexKey(t.key)}`;
  if (!seg) {
    if (retry) return { gone: `System V segment ${name} was removed` };
    throw new UserError(
      `no System V shared memory segment with ${name} (ipctap shm list shows them${t.kind === 'sysv-key' ? '; a plain decimal number is an id' : '; 0x… is a key'})`,
    );
  }
  const label = `${hexKey(seg.key)} (id ${seg.shmid})`;
  const { procs, unreadable } = await scanSharedMaps();
  const attached = sysvAttachments(procs, seg.shmid);
  if (attached.length === 0 && seg.nattch > 0 && unreadable > 0) {
    // Attached, but by processes whose maps this user cannot read.
    const why = `permission denied reading System V segment ${label}: it is attached by ${seg.nattch} process${seg.nattch === 1 ? '' : 'es'} (last attach by pid ${seg.lpid}) whose memory this user may not read${ptraceHint()}`;
    if (retry) return { wait: why };
    throw new UserError(why);
  }
  if (attached.length === 0) {
    const why = `System V segment ${label} has no process attached: IPC Tap reads a segment through /proc/PID/mem of a process that has it attached (shmat); nothing can read it while none does`;
    if (retry) return { wait: why };
    throw new UserError(why);
  }
  let firstErr: unknown;
  for (const a of attached) {
    try {
      const fh = await open(`/proc/${a.proc.pid}/mem`, 'r');
      const base = a.entry.start - BigInt(a.entry.offset);
      const again = () => openSysv({ kind: 'sysv-id', shmid: seg.shmid }, true);
      return {
        source: new MemSource(
          `/proc/${a.proc.pid}/mem (${a.proc.name}) at 0x${a.entry.start.toString(16)}`,
          seg.size,
          fh,
          base,
          again,
          { pid: a.proc.pid, name: a.proc.name },
          hexKey(seg.key),
          seg.shmid,
        ),
      };
    } catch (err) {
      firstErr ??= err;
    }
  }
  const e = openError(firstErr, `/proc/${attached[0]!.proc.pid}/mem`);
  if (retry) return { wait: e.message };
  throw e;
}

/** OFF:LEN (decimal or 0x hex; LEN may be omitted: to the end) → absolute region. */
export function parseRegion(text: string): { offset: number; length?: number } {
  const m = /^\s*((?:0x)?[0-9a-f]+)\s*(?::\s*((?:0x)?[0-9a-f]+)?)?\s*$/i.exec(text);
  const num = (s: string) => (/^0x/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? Number(s) : NaN);
  if (!m) throw new UserError(`bad --region "${text}": expected OFF:LEN in bytes (decimal or 0x hex), e.g. 0:64 or 0x40:0x100`, 1);
  const offset = num(m[1]!);
  const length = m[2] !== undefined ? num(m[2]) : undefined;
  if (!Number.isSafeInteger(offset) || (length !== undefined && (!Number.isSafeInteger(length) || length <= 0)))
    throw new UserError(`bad --region "${text}": expected OFF:LEN in bytes (decimal or 0x hex) with LEN > 0, e.g. 0:64 or 0x40:0x100`, 1);
  return { offset, length };
}

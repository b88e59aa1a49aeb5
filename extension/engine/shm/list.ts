// What shared memory exists on this machine and who has it mapped: System V segments
// (/proc/sysvipc/shm), POSIX shared memory (/dev/shm) and every process's shared mappings
// (/proc/PID/maps: the `s` flag, /dev/shm files, SYSV<key> segments), with the processes
// attached to each. Processes that vanish or cannot be read are skipped (and counted).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { listPids, processInfo, userName } from '../process/procfs';

export interface Attachment {
  pid: number;
  name: string;
  /** Start address of the mapping in that process. */
  address: string;
  /** End address (exclusive). */
  end: string;
  perms: string;
  /** Offset of the mapping within the file or segment. */
  offset: number;
}

export interface SysvSegment {
  /** The key as 0x%08x (0x00000000 = IPC_PRIVATE, or a segment marked for removal). */
  key: string;
  shmid: number;
  perms: string;
  size: number;
  owner: string;
  uid: number;
  /** Creator and last shmat/shmdt pids. */
  cpid: number;
  lpid: number;
  nattch: number;
  attached: Attachment[];
}

export interface PosixShm {
  name: string;
  path: string;
  size: number;
  owner: string;
  uid: number;
  mode: string;
  attached: Attachment[];
}

export interface SharedMapping {
  path: string;
  inode: number;
  dev: string;
  /** The file is gone (unlinked) or anonymous shared memory. */
  deleted: boolean;
  attached: Attachment[];
}

export interface ShmListing {
  sysv: SysvSegment[];
  posix: PosixShm[];
  /** Shared mappings that are neither System V segments nor /dev/shm files (mmap'd files,
   *  anonymous shared memory between a parent and its children), mapped writable by at least
   *  one process. */
  mappings: SharedMapping[];
  /** Processes whose maps could not be read (another user's, without privileges). */
  unreadable: number;
}

export interface MapsEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: number;
  dev: string;
  inode: number;
  path: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/;

export function parseMaps(text: string): MapsEntry[] {
  const out: MapsEntry[] = [];
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m) continue;
    out.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3]!, offset: parseInt(m[4]!, 16), dev: m[5]!, inode: Number(m[6]), path: m[7]! });
  }
  return out;
}

/** Shared: the `s` flag, a /dev/shm file or a System V segment. */
export function isSharedMapping(e: MapsEntry): boolean {
  return e.perms[3] === 's' || e.path.startsWith('/dev/shm/') || e.path.startsWith('/SYSV');
}

/** Whether a shared mapping can carry data between processes: files every process maps read-only
 *  (locale caches and the like) cannot, and kernel objects (io_uring rings, perf buffers:
 *  anon_inode:[…]) are not memory programs share with each other. */
export function isChannel(m: SharedMapping): boolean {
  return m.attached.some((a) => a.perms[1] === 'w') && !m.path.startsWith('anon_inode:');
}

/** "/SYSV0000162e (deleted)" → "0x0000162e". */
export function sysvKeyOfPath(path: string): string | undefined {
  const m = /^\/SYSV([0-9a-f]{8})\b/.exec(path);
  return m ? '0x' + m[1] : undefined;
}

export function hexKey(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

export interface SysvRow {
  key: number;
  shmid: number;
  perms: number;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
}

/** /proc/sysvipc/shm, parsed by its header line. */
export function parseSysvShm(text: string): SysvRow[] {
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length === 0) return [];
  const cols = lines[0]!.trim().split(/\s+/);
  const at = (name: string) => cols.indexOf(name);
  const out: SysvRow[] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    const num = (name: string) => Number(f[at(name)]);
    out.push({
      key: num('key'),
      shmid: num('shmid'),
      perms: parseInt(f[at('perms')] ?? '0', 8),
      size: num('size'),
      cpid: num('cpid'),
      lpid: num('lpid'),
      nattch: num('nattch'),
      uid: num('uid'),
    });
  }
  return out;
}

export function readSysvSegments(): SysvRow[] {
  try {
    return parseSysvShm(readFileSync('/proc/sysvipc/shm', 'latin1'));
  } catch {
    return [];
  }
}

export interface ProcMaps {
  pid: number;
  name: string;
  entries: MapsEntry[];
}

/** Every readable process's shared mappings (not our own). */
export async function scanSharedMaps(): Promise<{ procs: ProcMaps[]; unreadable: number }> {
  const procs: ProcMaps[] = [];
  let unreadable = 0;
  for (const pid of await listPids()) {
    if (pid === process.pid) continue;
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/maps`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EPERM') unreadable++;
      continue;
    }
    const entries = parseMaps(text).filter(isSharedMapping);
    if (entries.length === 0) continue;
    procs.push({ pid, name: processInfo(pid)?.name ?? String(pid), entries });
  }
  return { procs, unreadable };
}

function attachment(p: ProcMaps, e: MapsEntry): Attachment {
  return { pid: p.pid, name: p.name, address: '0x' + e.start.toString(16), end: '0x' + e.end.toString(16), perms: e.perms, offset: e.offset };
}

/** Processes that have System V segment `shmid` attached, with where. */
export function sysvAttachments(procs: ProcMaps[], shmid: number): { proc: ProcMaps; entry: MapsEntry }[] {
  const out: { proc: ProcMaps; entry: MapsEntry }[] = [];
  for (const p of procs) for (const e of p.entries) if (e.path.startsWith('/SYSV') && e.inode === shmid) out.push({ proc: p, entry: e });
  return out;
}

export async function listSharedMemory(): Promise<ShmListing> {
  const { procs, unreadable } = await scanSharedMaps();
  const sysv: SysvSegment[] = readSysvSegments().map((s) => ({
    key: hexKey(s.key),
    shmid: s.shmid,
    perms: s.perms.toString(8),
    size: s.size,
    owner: userName(s.uid),
    uid: s.uid,
    cpid: s.cpid,
    lpid: s.lpid,
    nattch: s.nattch,
    attached: sysvAttachments(procs, s.shmid).map((a) => attachment(a.proc, a.entry)),
  }));
  const posix: PosixShm[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    /* no /dev/shm */
  }
  const byPath = new Map<string, PosixShm>();
  for (const name of names.sort()) {
    const path = `/dev/shm/${name}`;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      const entry: PosixShm = { name, path, size: st.size, owner: userName(st.uid), uid: st.uid, mode: (st.mode & 0o7777).toString(8), attached: [] };
      posix.push(entry);
      byPath.set(path, entry);
    } catch {
      /* removed meanwhile */
    }
  }
  const others = new Map<string, SharedMapping>();
  for (const p of procs) {
    for (const e of p.entries) {
      if (e.path.startsWith('/SYSV')) continue;
      const deleted = e.path.endsWith(' (deleted)');
      const path = deleted ? e.path.slice(0, -' (deleted)'.length) : e.path;
      const posixEntry = !deleted ? byPath.get(path) : undefined;
      if (posixEntry) {
        posixEntry.attached.push(attachment(p, e));
        continue;
      }
      const key = `${e.dev}:${e.inode}:${e.path}`;
      let m = others.get(key);
      if (!m) others.set(key, (m = { path: path || '[anonymous]', inode: e.inode, dev: e.dev, deleted: deleted || !path, attached: [] }));
      m.attached.push(attachment(p, e));
    }
  }
  const mappings = [...others.values()].filter(isChannel);
  return { sysv, posix, mappings, unreadable };
}

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function who(list: Attachment[]): string {
  if (list.length === 0) return '-';
  const pids = [...new Map(list.map((a) => [a.pid, a])).values()];
  return pids.map((a) => `${a.pid} ${a.name} @${a.address}`).join(', ');
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${+(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** The listing as tables for a terminal. */
export function formatListing(l: ShmListing): string {
  const out: string[] = [];
  out.push('System V shared memory (ipctap shm watch KEY or ID)');
  if (l.sysv.length === 0) out.push('  (none)');
  else
    out.push(
      pad([
        ['key', 'shmid', 'size', 'owner', 'perms', 'cpid', 'lpid', 'nattch', 'attached (pid name @address)'],
        ...l.sysv.map((s) => [s.key, String(s.shmid), formatSize(s.size), s.owner, s.perms, String(s.cpid), String(s.lpid), String(s.nattch), who(s.attached)]),
      ]),
    );
  out.push('', 'POSIX shared memory (/dev/shm; ipctap shm watch /dev/shm/NAME)');
  if (l.posix.length === 0) out.push('  (none)');
  else out.push(pad([['name', 'size', 'owner', 'mode', 'mapped by'], ...l.posix.map((p) => [p.name, formatSize(p.size), p.owner, p.mode, who(p.attached)])]));
  out.push('', 'Other shared mappings (mmap MAP_SHARED; ipctap shm watch FILE or PID:ADDR)');
  if (l.mappings.length === 0) out.push('  (none)');
  else
    out.push(
      pad([['path', 'inode', 'mapped by'], ...l.mappings.map((m) => [m.path + (m.deleted && m.path !== '[anonymous]' ? ' (deleted)' : ''), String(m.inode), who(m.attached)])]),
    );
  if (l.unreadable > 0)
    out.push(
      '',
      `${l.unreadable} process${l.unreadable === 1 ? '' : 'es'} could not be read (another user's): their mappings are not listed; run as that user or root to see them.`,
    );
  return out.join('\n');
}

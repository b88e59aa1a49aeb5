// Reading /proc: a process's name, state and owner, its open file descriptors, the socket tables
// of its network namespace, and which processes hold a given pipe or socket. Scans are bounded
// in time and never throw for processes that vanish or cannot be read.
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { addressKey, parseProcNetTcp, parseProcNetUnix, type TcpEntry, type UnixSocketEntry } from './procnet';
import { tcpSockets, unixPeerMap } from './ss';

export interface ProcStat {
  pid: number;
  /** The kernel's short name (comm), up to 15 characters. */
  comm: string;
  /** R running, S sleeping, D disk wait, T stopped, t traced, Z zombie, X dead, I idle. */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  uid: number;
}

/** /proc/PID/stat plus the owner's uid; undefined when the process does not exist (or is gone). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    if (open < 0 || close < open) return undefined;
    const rest = text.slice(close + 2).split(' ');
    const uid = statSync(`/proc/${pid}`).uid;
    return {
      pid,
      comm: text.slice(open + 1, close),
      state: rest[0],
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
      session: Number(rest[3]),
      uid,
    };
  } catch {
    return undefined;
  }
}

export interface ProcessInfo extends ProcStat {
  /** argv; empty for kernel threads and zombies. */
  cmdline: string[];
  /** A display name: the basename of argv[0] when there is one, else comm. */
  name: string;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  const st = readProcStat(pid);
  if (!st) return undefined;
  let cmdline: string[] = [];
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    cmdline = raw.split('\0');
    if (cmdline.length > 0 && cmdline[cmdline.length - 1] === '') cmdline.pop();
  } catch {
    /* gone or unreadable: keep comm */
  }
  // A program that rewrote its argv into a title ("nginx: worker process", Chromium's one long
  // string) is named by the kernel's comm instead.
  const argv0 = cmdline[0]?.split('/').pop();
  return { ...st, cmdline, name: argv0 && !/\s/.test(argv0) ? argv0 : st.comm };
}

let passwd: Map<number, string> | undefined;
/** The login name for a uid (from /etc/passwd), or the number as text. */
export function userName(uid: number): string {
  if (!passwd) {
    passwd = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && !passwd.has(Number(f[2]))) passwd.set(Number(f[2]), f[0]);
      }
    } catch {
      /* no passwd: numbers only */
    }
  }
  return passwd.get(uid) ?? String(uid);
}

export interface FdEntry {
  fd: number;
  /** readlink of /proc/PID/fd/N: "socket:[123]", "pipe:[456]", "/tmp/x.fifo", "/dev/pts/0", ... */
  target: string;
}

/**
 * The open fds of a process. Rejects with the errno error (ENOENT: no such process, EACCES:
 * another user's process) so callers can word the message; fds closing meanwhile are skipped.
 */
export async function listFds(pid: number): Promise<FdEntry[]> {
  const names = await readdir(`/proc/${pid}/fd`);
  const out: FdEntry[] = [];
  await Promise.all(
    names.map(async (n) => {
      try {
        out.push({ fd: Number(n), target: await readlink(`/proc/${pid}/fd/${n}`) });
      } catch {
        /* closed meanwhile */
      }
    }),
  );
  return out.sort((a, b) => a.fd - b.fd);
}

export type FdMode = 'read' | 'write' | 'read-write';

/** Access mode of an open fd, from /proc/PID/fdinfo/N (flags, octal). */
export async function fdMode(pid: number, fd: number): Promise<FdMode | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'latin1');
    const m = /^flags:\s+([0-7]+)/m.exec(text);
    if (!m) return undefined;
    const acc = parseInt(m[1], 8) & 3;
    return acc === 0 ? 'read' : acc === 1 ? 'write' : 'read-write';
  } catch {
    return undefined;
  }
}

/** "socket:[123]" → 123 (and the same for pipe:[n]); undefined for other targets. */
export function inodeOf(target: string, kind: 'socket' | 'pipe'): number | undefined {
  const m = /^(socket|pipe):\[(\d+)\]$/.exec(target);
  return m && m[1] === kind ? Number(m[2]) : undefined;
}

/** The Unix socket table as seen from `pid`'s network namespace (default: ours). */
export async function readUnixTable(pid: number | 'self' = 'self'): Promise<UnixSocketEntry[]> {
  try {
    return parseProcNetUnix(await readFile(`/proc/${pid}/net/unix`, 'utf8'));
  } catch {
    return [];
  }
}

/** The TCP tables (IPv4 then IPv6) as seen from `pid`'s network namespace (default: ours). */
export async function readTcpTables(pid: number | 'self' = 'self'): Promise<TcpEntry[]> {
  const read = async (name: string, fam: 4 | 6) => {
    try {
      return parseProcNetTcp(await readFile(`/proc/${pid}/net/${name}`, 'latin1'), fam);
    } catch {
      return [];
    }
  };
  const [v4, v6] = await Promise.all([read('tcp', 4), read('tcp6', 6)]);
  return [...v4, ...v6];
}

/** Numeric entries of /proc, i.e. every visible pid. */
export async function listPids(): Promise<number[]> {
  const names = await readdir('/proc');
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

export interface Holder {
  pid: number;
  fd: number;
}

export interface HolderScanOptions {
  /** Pids not to report (by default our own process). */
  exclude?: number[];
  /** Stop scanning after this many milliseconds (default 1500); what was found so far is returned. */
  budgetMs?: number;
  /** Only scan these pids (default: every pid in /proc). */
  pids?: number[];
}

/**
 * Which processes hold each of `targets` (fd link texts like "socket:[123]", "pipe:[9]", or a FIFO
 * path). One bounded pass over /proc/*\/fd; unreadable processes are skipped.
 */
export async function findHolders(targets: Iterable<string>, opts: HolderScanOptions = {}): Promise<Map<string, Holder[]>> {
  const want = new Set(targets);
  const found = new Map<string, Holder[]>();
  if (want.size === 0) return found;
  const exclude = new Set(opts.exclude ?? [process.pid]);
  const deadline = Date.now() + (opts.budgetMs ?? 1500);
  // Newest first: the peer of a fresh connection is most often a process started moments ago
  // (a client that may be gone again soon), and the budget may run out before the old ones.
  const pids = (opts.pids ?? (await listPids())).filter((p) => !exclude.has(p)).sort((a, b) => b - a);
  const BATCH = 32;
  for (let i = 0; i < pids.length && Date.now() < deadline; i += BATCH) {
    await Promise.all(
      pids.slice(i, i + BATCH).map(async (pid) => {
        let names: string[];
        try {
          names = await readdir(`/proc/${pid}/fd`);
        } catch {
          return;
        }
        await Promise.all(
          names.map(async (n) => {
            let t: string;
            try {
              t = await readlink(`/proc/${pid}/fd/${n}`);
            } catch {
              return;
            }
            if (!want.has(t)) return;
            const list = found.get(t) ?? [];
            list.push({ pid, fd: Number(n) });
            found.set(t, list);
          }),
        );
      }),
    );
  }
  for (const list of found.values()) list.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  return found;
}

/** Distinct pids of a holder list, in order. */
export function holderPids(list: Holder[] | undefined): number[] {
  return [...new Set((list ?? []).map((h) => h.pid))];
}

/** The fd number behind a Node socket (Unix only; undefined once closed or for odd handles). */
function socketFd(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

interface PeerRequest {
  tcp?: { local: string; localPort: number; remote: string; remotePort: number };
  unixInode?: Promise<number | undefined>;
  resolve(pids: number[]): void;
}

let batch: PeerRequest[] | undefined;
const BATCH_DELAY_MS = 1;

/**
 * The pids (other than ours) holding the other end of a connected Unix or TCP socket.
 * TCP: the peer is the socket whose 4-tuple is ours reversed (from `ss` with a port filter, or
 * /proc/net/tcp{,6} without `ss`); Unix: the peer inode comes from `ss -x` (sock_diag). Then one
 * bounded /proc scan finds the holders.
 * Requests arriving within a few milliseconds share one `ss` run and one scan (50 connections
 * accepted at once cost about as much as one). The socket's addresses (or fd) are read at the
 * call, so closing it right after is fine.
 * Resolves [] whenever it cannot tell (closed socket, peer in another namespace, no `ss`).
 */
export function peerPidsOfSocket(sock: Socket): Promise<number[]> {
  return new Promise((resolve) => {
    const req: PeerRequest = { resolve };
    const { localAddress, localPort, remoteAddress, remotePort } = sock;
    if (remotePort !== undefined || remoteAddress !== undefined) {
      const local = localAddress && addressKey(localAddress);
      const remote = remoteAddress && addressKey(remoteAddress);
      if (!local || !remote || localPort === undefined || remotePort === undefined) return resolve([]);
      req.tcp = { local, localPort, remote, remotePort };
    } else {
      const fd = socketFd(sock);
      if (fd === undefined) return resolve([]);
      req.unixInode = readlink(`/proc/self/fd/${fd}`).then(
        (t) => inodeOf(t, 'socket'),
        () => undefined,
      );
    }
    if (!batch) {
      batch = [];
      setTimeout(() => void runPeerBatch(), BATCH_DELAY_MS);
    }
    batch.push(req);
  });
}

/** Full scans start at least this far apart. */
const FULL_SCAN_GAP_MS = 100;
/** Full scans of /proc for peers, started (for tests). */
export const peerScans = { full: 0 };
let scanRunning: Promise<unknown> = Promise.resolve();
let nextScan: { targets: Set<string>; result: Promise<Map<string, Holder[]>> } | undefined;
let lastScanStart = -Infinity;

/**
 * A full /proc scan for `targets`, shared: one runs at a time, at least FULL_SCAN_GAP_MS after
 * the last one started, and the lookups waiting for it share it. Short connections, whose far
 * end is often gone before the lookup (so the recent peers do not hold it), would each ask for
 * a scan of their own: a burst of them would keep the event loop busy with readlink callbacks
 * (~9 ms and up to 4 ms of loop lag per scan with 70 processes) and make connection setup
 * through a tap take 2–9 ms.
 */
function fullScan(targets: string[]): Promise<Map<string, Holder[]>> {
  if (!nextScan) {
    const scan = { targets: new Set<string>(), result: Promise.resolve(new Map<string, Holder[]>()) };
    scan.result = scanRunning.then(async () => {
      const gap = lastScanStart + FULL_SCAN_GAP_MS - performance.now();
      if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      if (nextScan === scan) nextScan = undefined; // later lookups wait for the one after
      lastScanStart = performance.now();
      peerScans.full++;
      return findHolders([...scan.targets]);
    });
    scanRunning = scan.result.catch(() => undefined);
    nextScan = scan;
  }
  for (const t of targets) nextScan.targets.add(t);
  return nextScan.result;
}

/** Pids found at the far end of recent connections, most recent first (a tap's peers are most
 *  often the same few processes, connection after connection). */
const recentPeers: number[] = [];
const RECENT_PEERS = 16;

/**
 * findHolders for connection peers: the processes that were peers recently are looked at first,
 * and when they hold every target the rest of /proc is not scanned (a full scan reads the fds of
 * every process, a few milliseconds of the engine's time per new connection). Otherwise a full
 * scan looks for what is still missing; full scans are shared (see fullScan).
 */
async function findPeerHolders(targets: string[]): Promise<Map<string, Holder[]>> {
  const hinted = recentPeers.length > 0 ? await findHolders(targets, { pids: [...recentPeers] }) : new Map<string, Holder[]>();
  const missing = targets.filter((t) => !hinted.has(t));
  const found = new Map<string, Holder[]>();
  if (missing.length > 0) {
    const all = await fullScan(missing);
    for (const t of missing) {
      const list = all.get(t);
      if (list) found.set(t, list);
    }
  }
  for (const [t, list] of hinted) found.set(t, list);
  for (const list of found.values()) {
    for (const h of list) {
      const at = recentPeers.indexOf(h.pid);
      if (at >= 0) recentPeers.splice(at, 1);
      recentPeers.unshift(h.pid);
    }
  }
  recentPeers.length = Math.min(recentPeers.length, RECENT_PEERS);
  return found;
}

async function runPeerBatch(): Promise<void> {
  const reqs = batch ?? [];
  batch = undefined;
  const peerOf = new Map<PeerRequest, number>();
  try {
    const tcpWanted = reqs.flatMap((r) => (r.tcp ? [{ localPort: r.tcp.remotePort, remotePort: r.tcp.localPort }] : []));
    const [tcp, unix] = await Promise.all([
      tcpWanted.length > 0 ? tcpSockets(tcpWanted).then((found) => found ?? readTcpTables()) : Promise.resolve([]),
      reqs.some((r) => r.unixInode) ? unixPeerMap() : Promise.resolve(undefined),
    ]);
    for (const r of reqs) {
      if (r.tcp) {
        const t = r.tcp;
        const e = tcp.find(
          (x) => x.inode > 0 && x.localPort === t.remotePort && x.remotePort === t.localPort && addressKey(x.localAddress) === t.remote && addressKey(x.remoteAddress) === t.local,
        );
        if (e) peerOf.set(r, e.inode);
      } else if (r.unixInode && unix) {
        const own = await r.unixInode;
        const peer = own === undefined ? undefined : unix.peers.get(own);
        if (peer !== undefined) peerOf.set(r, peer);
      }
    }
    const holders = peerOf.size > 0 ? await findPeerHolders([...peerOf.values()].map((i) => `socket:[${i}]`)) : new Map<string, Holder[]>();
    for (const r of reqs) {
      const ino = peerOf.get(r);
      r.resolve(ino === undefined ? [] : holderPids(holders.get(`socket:[${ino}]`)));
    }
  } catch {
    for (const r of reqs) r.resolve([]);
  }
}

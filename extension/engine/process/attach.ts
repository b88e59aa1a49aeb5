// Attach: what a running process has open that IPC Tap can show or take over — Unix sockets,
// TCP listeners and connections, pipes and FIFOs — with the processes at the other end where
// /proc (and `ss` for Unix socket peers) can tell, and the --tap spec for each listening endpoint.
import { statSync } from 'node:fs';
import { UserError } from '../util/errors';
import {
  fdMode,
  findHolders,
  inodeOf,
  listFds,
  listPids,
  processInfo,
  readProcStat,
  readTcpTables,
  readUnixTable,
  userName,
  type FdEntry,
  type FdMode,
  type Holder,
} from './procfs';
import { hostPort, isLoopback, isUnspecified, type TcpEntry, type UnixSockType } from './procnet';
import { unixPeerMap } from './ss';

export type EndpointKind = 'unix' | 'tcp' | 'pipe' | 'fifo' | 'socket' | 'tty' | 'file';

export interface EndpointPeer {
  pid: number;
  /** Display name (basename of argv[0], or comm). */
  name: string;
  fd: number;
  /** For pipes and FIFOs: whether that process reads or writes its end. */
  mode?: FdMode;
}

export interface Endpoint {
  fd: number;
  /** Set for fds 0, 1, 2. */
  stdio?: 'stdin' | 'stdout' | 'stderr';
  kind: EndpointKind;
  /** unix: listening|connected|unconnected|...; tcp: listening|established|time-wait|...; pipes/FIFOs: unset. */
  state?: string;
  /** unix socket type. */
  sockType?: UnixSockType;
  /** tcp: 4 or 6. */
  family?: 4 | 6;
  /** unix: the bound path or @abstract; tcp: host:port; fifo: its path. */
  local?: string;
  /** unix: the peer's bound path (what a client is connected to); tcp: remote host:port. */
  remote?: string;
  /** Pipes, FIFOs, ttys, files: how this process opened it. */
  mode?: FdMode;
  inode?: number;
  /** The fd's link text, e.g. "socket:[123]". */
  target: string;
  /** The processes holding the other end (sockets) or other ends (pipes, FIFOs), when known. */
  peers?: EndpointPeer[];
  /** For a listening endpoint: the --tap argument that takes it over or proxies it. */
  tapSpec?: string;
  note?: string;
}

const STDIO = ['stdin', 'stdout', 'stderr'] as const;

interface Tables {
  unix: Map<number, { type: UnixSockType; state: string; path?: string }>;
  tcp: Map<number, TcpEntry>;
  tcpAll: TcpEntry[];
}

async function readTables(pid: number): Promise<Tables> {
  const [unix, tcpAll] = await Promise.all([readUnixTable(pid), readTcpTables(pid)]);
  return {
    unix: new Map(unix.map((u) => [u.inode, u])),
    tcp: new Map(tcpAll.filter((t) => t.inode > 0).map((t) => [t.inode, t])),
    tcpAll,
  };
}

/** Throws UserError when pid does not exist or its fds cannot be read. */
async function fdsOf(pid: number): Promise<FdEntry[]> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new UserError(`invalid pid ${pid}: a process id is a positive integer`, 1);
  const st = readProcStat(pid);
  if (!st) throw new UserError(`no process with pid ${pid}`);
  try {
    return await listFds(pid);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw new UserError(`no process with pid ${pid} (it exited)`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserError(`cannot read the open files of pid ${pid} (${st.comm}, owned by ${userName(st.uid)}): run ipctap as that user or with sudo`);
    }
    throw new UserError(`cannot read /proc/${pid}/fd: ${(err as Error).message}`);
  }
}

function isFifoPath(pid: number, fd: number, target: string): boolean {
  if (!target.startsWith('/')) return false;
  try {
    return statSync(`/proc/${pid}/fd/${fd}`).isFIFO();
  } catch {
    return false;
  }
}

/** The tap spec that proxies a TCP listener: a free loopback port forwarding to it. */
function tcpTapSpec(e: TcpEntry): string {
  const host =
    isUnspecified(e.localAddress) || isLoopback(e.localAddress)
      ? e.family === 6 && !e.localAddress.startsWith('::ffff:') && !isUnspecified(e.localAddress)
        ? '::1'
        : '127.0.0.1'
      : e.localAddress.replace(/^::ffff:/, '');
  return `tcp:0=${hostPort(host, e.localPort)}`;
}

/** Endpoints of `pid`: sockets, pipes and FIFOs, plus fds 0-2 whatever they are. */
export async function listEndpoints(pid: number, opts: { budgetMs?: number } = {}): Promise<Endpoint[]> {
  const fds = await fdsOf(pid);
  const tables = await readTables(pid);
  const out: Endpoint[] = [];
  const needUnixPeers = fds.some((f) => {
    const ino = inodeOf(f.target, 'socket');
    return ino !== undefined && tables.unix.get(ino)?.state === 'connected';
  });
  const ssMap = needUnixPeers ? await unixPeerMap() : undefined;
  /** peer target text → endpoints waiting for its holders */
  const wanted = new Map<string, { ep: Endpoint; excludeSelf: boolean }[]>();
  const want = (target: string, ep: Endpoint, excludeSelf: boolean): void => {
    const list = wanted.get(target) ?? [];
    list.push({ ep, excludeSelf });
    wanted.set(target, list);
  };

  for (const { fd, target } of fds) {
    const stdio = fd <= 2 ? STDIO[fd] : undefined;
    const base = { fd, target, ...(stdio ? { stdio } : {}) };
    const sockIno = inodeOf(target, 'socket');
    const pipeIno = inodeOf(target, 'pipe');
    if (sockIno !== undefined) {
      const u = tables.unix.get(sockIno);
      const t = tables.tcp.get(sockIno);
      if (u) {
        const ep: Endpoint = { ...base, kind: 'unix', state: u.state, sockType: u.type, inode: sockIno };
        if (u.path) ep.local = u.path;
        if (u.state === 'listening') {
          if (u.path && !u.path.startsWith('@')) ep.tapSpec = `unix:${u.path}`;
          else if (u.path) ep.note = 'abstract name: cannot be taken over; proxy it with unix:NEWPATH=' + u.path;
        } else if (u.state === 'connected') {
          const peerIno = ssMap?.peers.get(sockIno);
          if (peerIno !== undefined) {
            const peerPath = tables.unix.get(peerIno)?.path;
            if (peerPath) ep.remote = peerPath;
            want(`socket:[${peerIno}]`, ep, false);
          } else if (ssMap && !ssMap.available) {
            ep.note = 'peer unknown: needs `ss` (iproute2)';
          }
        }
        out.push(ep);
      } else if (t) {
        const ep: Endpoint = { ...base, kind: 'tcp', state: t.state, family: t.family, inode: sockIno, local: hostPort(t.localAddress, t.localPort) };
        if (t.state === 'listening') {
          ep.tapSpec = tcpTapSpec(t);
        } else {
          ep.remote = hostPort(t.remoteAddress, t.remotePort);
          const peer = tables.tcpAll.find(
            (x) => x.inode > 0 && x.localPort === t.remotePort && x.remotePort === t.localPort && x.localAddress === t.remoteAddress && x.remoteAddress === t.localAddress,
          );
          if (peer) want(`socket:[${peer.inode}]`, ep, false);
        }
        out.push(ep);
      } else {
        out.push({ ...base, kind: 'socket', inode: sockIno, note: 'not a Unix or TCP socket (UDP, netlink, ...)' });
      }
    } else if (pipeIno !== undefined) {
      const ep: Endpoint = { ...base, kind: 'pipe', inode: pipeIno, mode: await fdMode(pid, fd) };
      want(target, ep, true);
      out.push(ep);
    } else if (isFifoPath(pid, fd, target)) {
      const ep: Endpoint = { ...base, kind: 'fifo', local: target, mode: await fdMode(pid, fd) };
      if (!target.endsWith(' (deleted)')) ep.tapSpec = `fifo:${target}`;
      want(target, ep, true);
      out.push(ep);
    } else if (stdio) {
      const kind = /^\/dev\/(pts\/\d+|tty\w*|console)$/.test(target) ? 'tty' : 'file';
      out.push({ ...base, kind, local: target, mode: await fdMode(pid, fd) });
    }
  }

  if (wanted.size > 0) {
    const holders = await findHolders(wanted.keys(), { exclude: [], budgetMs: opts.budgetMs });
    const names = new Map<number, string>();
    const nameOf = (p: number): string => {
      if (!names.has(p)) names.set(p, processInfo(p)?.name ?? '?');
      return names.get(p)!;
    };
    for (const [target, eps] of wanted) {
      const list: Holder[] = holders.get(target) ?? [];
      for (const { ep, excludeSelf } of eps) {
        const peers: EndpointPeer[] = [];
        let selfOtherEnd = false;
        for (const h of list) {
          const pipeLike = ep.kind === 'pipe' || ep.kind === 'fifo';
          const mode = pipeLike ? await fdMode(h.pid, h.fd) : undefined;
          if (excludeSelf && h.pid === pid) {
            if (h.fd !== ep.fd && mode !== undefined && mode !== ep.mode) selfOtherEnd = true;
            continue;
          }
          const peer: EndpointPeer = { pid: h.pid, name: nameOf(h.pid), fd: h.fd };
          if (mode) peer.mode = mode;
          peers.push(peer);
        }
        // The other end first: for a write end, the readers.
        ep.peers = [...peers.filter((x) => x.mode === undefined || x.mode !== ep.mode), ...peers.filter((x) => x.mode !== undefined && x.mode === ep.mode)];
        if (selfOtherEnd) ep.note = 'this process also holds the other end';
      }
    }
  }
  return out;
}

export interface ProcessSummary {
  pid: number;
  name: string;
  /** The command line, shortened to 200 characters. */
  command: string;
  /** Open sockets, pipes and FIFOs. */
  endpoints: number;
}

/**
 * Processes of the current user that have sockets, pipes or FIFOs open (for an "attach to
 * process" picker), by name. Bounded by `budgetMs` (default 2000): `truncated` says it stopped early.
 */
export async function listProcessesWithEndpoints(opts: { budgetMs?: number; includeSelf?: boolean } = {}): Promise<{ processes: ProcessSummary[]; truncated: boolean }> {
  const deadline = Date.now() + (opts.budgetMs ?? 2000);
  const me = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  const out: ProcessSummary[] = [];
  let truncated = false;
  for (const pid of await listPids()) {
    if (Date.now() > deadline) {
      truncated = true;
      break;
    }
    if (pid === process.pid && !opts.includeSelf) continue;
    const info = processInfo(pid);
    if (!info || info.cmdline.length === 0 || (me !== undefined && info.uid !== me)) continue;
    let fds: FdEntry[];
    try {
      fds = await listFds(pid);
    } catch {
      continue;
    }
    let n = 0;
    for (const f of fds) {
      if (f.target.startsWith('socket:[') || f.target.startsWith('pipe:[') || (f.target.startsWith('/') && !f.target.startsWith('/dev/') && isFifoPath(pid, f.fd, f.target))) n++;
    }
    if (n === 0) continue;
    const command = info.cmdline.join(' ');
    out.push({ pid, name: info.name, command: command.length > 200 ? command.slice(0, 199) + '…' : command, endpoints: n });
  }
  out.sort((a, b) => a.name.localeCompare(b.name) || a.pid - b.pid);
  return { processes: out, truncated };
}

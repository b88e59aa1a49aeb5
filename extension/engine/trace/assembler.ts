// Turns parsed strace records into the connections, chunks and events every tap produces.
//
// A connection is what both ends share: a pipe's inode, a socket pair's two inodes, a TCP
// connection's two addresses, a FIFO's path. Each direction is one byte stream that up to two
// sides reveal: the writer's writes and the reader's reads (a side outside the trace reveals
// nothing). Both count stream positions from where the trace began; a byte is emitted once, from
// whichever side shows it first, so a pipe between two traced processes is not seen twice, and
// bytes one side's call did not print (longer than strace's -s) are filled in from the other
// side's calls when it printed them. Bytes no side printed become a 'gap' event (decoders resync
// after it).
//
// Direction: for a pipe or FIFO, c2s is what the writer writes. For a socket, the end that sent
// the connection's first observed bytes is the client (c2s), the other end the server.
// Regular files, ttys and other paths that are not FIFOs are left out unless traceFiles is set;
// then each path is a connection with writes as c2s and reads as s2c.
import type { TapSink } from '../taps/tap';
import type { Direction, EventBody } from '../types';
import { connectionKey, parseEndpoint, type Endpoint } from './endpoint';
import { callData, fdAnnotationEnd, fdOf, type Piece, type StraceRecord } from './strace-line';

const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg', 'sendmmsg']);
const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);
const READS = new Set(['read', 'readv', 'pread64', 'preadv', 'preadv2', 'recvfrom', 'recvmsg', 'recvmmsg']);
/** Bytes held behind a missing stretch, waiting for the other side to fill it in, before the
 *  stretch is given up as a gap. */
const MAX_HELD = 4 * 1024 * 1024;

export interface AssemblerOptions {
  /** Include regular files, ttys and other non-IPC paths. */
  traceFiles?: boolean;
  /** Pipe and socket inodes to leave out (the launched program's stdio, which the stdio tap
   *  captures). */
  excludeInodes?: Set<string>;
  /** The trace began while connections were open (attach): each connection starts with a gap. */
  midStream?: boolean;
  /** A pid whose exit is reported elsewhere (the launched program). */
  skipExitOf?: number;
  /** A new process (not a thread) was seen starting, by its pid. */
  onProcess?(pid: number): void;
  /** The process (thread group) a thread belongs to; undefined when it cannot be told. */
  tgidOf(tid: number): number | undefined;
  /** What a path is. */
  pathKind(path: string): 'fifo' | 'other';
  /** A process's command name, if it is still there. */
  commOf(pid: number): string | undefined;
}

interface Seg {
  len: number;
  data?: Uint8Array;
}

/** One direction's byte stream, revealed by two sides (0: writes, 1: reads). */
export class Flow {
  private readonly pos = [0, 0];
  private readonly seen = [false, false];
  private emitted = 0;
  private held: Seg[] = [];
  private heldEnd = 0;
  private heldBytes = 0;

  /** A call of `n` bytes on this side shows nothing new (the other side showed it already): count
   *  it and return true, so the caller need not decode its bytes. */
  skipIfSeen(side: 0 | 1, n: number): boolean {
    if (this.pos[side]! + n > this.emitted) return false;
    this.pos[side]! += n;
    this.seen[side] = true;
    return true;
  }

  /** Add what one side's call revealed; returns what can be emitted now, in order. */
  add(side: 0 | 1, pieces: Piece[]): Piece[] {
    this.seen[side] = true;
    let at = this.pos[side]!;
    for (const p of pieces) {
      const len = typeof p === 'number' ? p : p.length;
      this.merge(at, len, typeof p === 'number' ? undefined : p);
      at += len;
    }
    this.pos[side] = at;
    return this.flush(false);
  }

  /** Everything still held, missing stretches as counts (the stream ended). */
  finish(): Piece[] {
    return this.flush(true);
  }

  private merge(a: number, len: number, data: Uint8Array | undefined): void {
    const end = a + len;
    if (end <= this.emitted) return;
    if (a < this.emitted) {
      if (data) data = data.subarray(this.emitted - a);
      a = this.emitted;
    }
    // The part already claimed: known bytes replace missing stretches.
    if (a < this.heldEnd && data) {
      const out: Seg[] = [];
      let s = this.emitted;
      for (const seg of this.held) {
        const e = s + seg.len;
        if (seg.data || e <= a || s >= end) {
          out.push(seg);
        } else {
          const from = Math.max(s, a);
          const to = Math.min(e, end);
          if (from > s) out.push({ len: from - s });
          out.push({ len: to - from, data: data.subarray(from - a, to - a) });
          this.heldBytes += to - from;
          if (e > to) out.push({ len: e - to });
        }
        s = e;
      }
      this.held = out;
    }
    if (end > this.heldEnd) {
      const from = Math.max(a, this.heldEnd);
      if (from > this.heldEnd) this.held.push({ len: from - this.heldEnd }); // (never expected)
      const seg: Seg = { len: end - from };
      if (data) {
        seg.data = data.subarray(from - a);
        this.heldBytes += seg.len;
      }
      this.held.push(seg);
      this.heldEnd = end;
    }
  }

  private flush(final: boolean): Piece[] {
    const out: Piece[] = [];
    while (this.held.length) {
      const seg = this.held[0]!;
      const segEnd = this.emitted + seg.len;
      if (!seg.data) {
        // Missing here: wait while a side that has been seen has not passed it yet.
        const waiting = [0, 1].some((s) => this.seen[s] && this.pos[s]! < segEnd);
        if (waiting && !final && this.heldBytes <= MAX_HELD) break;
        out.push(seg.len);
      } else {
        out.push(seg.data);
        this.heldBytes -= seg.len;
      }
      this.held.shift();
      this.emitted = segEnd;
    }
    return out;
  }
}

interface Conn {
  id: number;
  key: string;
  /** A file traced with traceFiles: calls go out as they are, no stream matching. */
  file: boolean;
  dgram: boolean;
  client?: string;
  flows: Map<Direction, Flow>;
  ended: Set<Direction>;
  pids: { client: number[]; server: number[] };
  seenFds: Set<string>;
}

export class TraceAssembler {
  private readonly conns = new Map<string, Conn>();
  private readonly tgids = new Map<number, number | undefined>();
  /** Thread group leaders found so far (processes, as opposed to their other threads). */
  private readonly leaders = new Set<number>();
  private readonly skipped = new Set<string>();
  /** Parsed `N<annotation>` of recent calls (the same few descriptors come back all the time). */
  private readonly fds = new Map<string, { fd: number; ep: Endpoint } | null>();
  /** The peer of each socket end seen connected ("family:end" → peer): once the peer has closed,
   *  -yy shows the end alone (`UNIX-STREAM:[12]`), and its reads still belong to that connection. */
  private readonly peers = new Map<string, string>();

  constructor(
    private readonly sink: TapSink,
    private readonly opts: AssemblerOptions,
  ) {}

  /** A process known to be one (a thread group leader): the attached tree, the launched program.
   *  Its exit is then recorded even when parsing lags and /proc no longer knows it. */
  knownProcess(pid: number): void {
    this.leaders.add(pid);
  }

  record(rec: StraceRecord): void {
    const pid = this.tgid(rec.pid);
    if (rec.type === 'signal') {
      // Go's runtime preempts its own goroutines with SIGURG many times a second: not news.
      if (rec.signal === 'SIGURG' && rec.senderPid === pid) return;
      const ev: EventBody = { kind: 'signal-received', pid, signal: rec.signal };
      if (rec.senderPid !== undefined && rec.senderPid > 0) {
        ev.senderPid = rec.senderPid;
        const comm = this.opts.commOf(rec.senderPid);
        if (comm !== undefined) ev.senderCommand = comm;
      }
      this.sink.event(ev);
      return;
    }
    if (rec.type === 'exit') {
      // strace reports the end of every thread; the process ended with its leader's. A leader is
      // known as the thread group of some thread seen before, or from /proc while it is a zombie
      // (it may have made no traced call itself: a Go program writes from any thread), or given by
      // knownProcess().
      if (rec.pid === this.opts.skipExitOf || !(this.leaders.has(rec.pid) || this.opts.tgidOf(rec.pid) === rec.pid)) return;
      this.sink.event({ kind: 'exit', pid: rec.pid, code: rec.code, signal: rec.signal });
      return;
    }
    if (CLONES.has(rec.name)) {
      // The new pid: a thread of the caller's process (CLONE_THREAD), or a process of its own.
      if (rec.ret <= 0) return;
      if (/\bCLONE_THREAD\b/.test(rec.args)) this.tgids.set(rec.ret, pid);
      else {
        this.tgids.set(rec.ret, rec.ret);
        this.leaders.add(rec.ret);
        this.opts.onProcess?.(rec.ret);
      }
      return;
    }
    const out = WRITES.has(rec.name);
    if (!out && !READS.has(rec.name)) return;
    if (rec.ret < 0) return;
    const end = fdAnnotationEnd(rec.args);
    if (end < 0) return;
    const key = rec.args.slice(0, end);
    let fd = this.fds.get(key);
    if (fd === undefined) {
      const f = fdOf(key);
      fd = f ? { fd: f.fd, ep: parseEndpoint(f.annotation) } : null;
      if (this.fds.size > 4096) this.fds.clear();
      this.fds.set(key, fd);
    }
    if (!fd) return;
    const ep = fd.ep;
    const place = this.place(ep, out);
    if (!place) return;
    const { conn, dir, side } = place;
    const isNew = conn.id === 0;
    if (rec.ret === 0 && !out) {
      if (!conn.dgram && !isNew) this.endDir(conn, dir);
      return;
    }
    if (rec.ret === 0) return;
    if (isNew) this.open(conn, ep, pid, fd.fd, side, dir);
    else this.notePid(conn, pid, fd.fd, side, dir);
    if (conn.file) {
      this.emit(conn, dir, callData(rec.name, rec.args, rec.ret, rec.blobs));
      return;
    }
    let flow = conn.flows.get(dir);
    if (!flow) conn.flows.set(dir, (flow = new Flow()));
    // (Byte counts of mmsg calls are per message, known only from their data.)
    if (!rec.name.endsWith('mmsg') && flow.skipIfSeen(side, rec.ret)) return;
    this.emit(conn, dir, flow.add(side, callData(rec.name, rec.args, rec.ret, rec.blobs)));
  }

  /** The trace ended: emit what is held and close every connection. */
  finish(reason = 'trace ended'): void {
    for (const conn of this.conns.values()) {
      if (conn.id === 0) continue;
      for (const [dir, flow] of conn.flows) this.emit(conn, dir, flow.finish());
      this.sink.event({ kind: 'close', conn: conn.id, reason: 'stopped', message: reason });
    }
    this.conns.clear();
  }

  private tgid(tid: number): number {
    if (!this.tgids.has(tid)) {
      const leader = this.opts.tgidOf(tid);
      this.tgids.set(tid, leader);
      if (leader !== undefined) this.leaders.add(leader);
    }
    return this.tgids.get(tid) ?? tid;
  }

  /** Which connection, direction and side a call on this endpoint is. */
  private place(ep: Endpoint, out: boolean): { conn: Conn; dir: Direction; side: 0 | 1 } | undefined {
    if (ep.kind === 'other') return undefined;
    const ex = this.opts.excludeInodes;
    if (ex?.size && ((ep.kind === 'pipe' && ex.has(ep.ino)) || (ep.kind === 'socket' && ex.has(ep.local)))) return undefined;
    let file = false;
    if (ep.kind === 'path') {
      if (!this.skipped.has(ep.path) && !this.conns.has(`path:${ep.path}`)) {
        if (this.opts.pathKind(ep.path) !== 'fifo') {
          if (!this.opts.traceFiles) {
            this.skipped.add(ep.path);
            return undefined;
          }
          file = true;
        }
      } else if (this.skipped.has(ep.path)) return undefined;
    }
    if (ep.kind === 'socket') ep = this.withPeer(ep);
    const { key, end, other } = connectionKey(ep);
    let conn = this.conns.get(key);
    if (!conn) {
      conn = {
        id: 0,
        key,
        file: file || (this.conns.get(key)?.file ?? false),
        dgram: ep.kind === 'socket' && /DGRAM|UDP/.test(ep.family),
        flows: new Map(),
        ended: new Set(),
        pids: { client: [], server: [] },
        seenFds: new Set(),
      };
      this.conns.set(key, conn);
    }
    if (conn.file) return { conn, dir: out ? 'c2s' : 's2c', side: out ? 0 : 1 };
    if (end === undefined) return { conn, dir: 'c2s', side: out ? 0 : 1 };
    // A socket: bytes flow from `source`.
    const source = out ? end : (other ?? `~${end}`);
    conn.client ??= source;
    return { conn, dir: source === conn.client ? 'c2s' : 's2c', side: out ? 0 : 1 };
  }

  /** A socket end shown without its peer gets the peer it was seen with before. */
  private withPeer(ep: Extract<Endpoint, { kind: 'socket' }>): Endpoint {
    const family = ep.family.replace(/v6$/, '');
    if (ep.peer) {
      if (this.peers.get(`${family}:${ep.local}`) !== ep.peer) {
        if (this.peers.size > 65536) this.peers.clear();
        this.peers.set(`${family}:${ep.local}`, ep.peer);
        this.peers.set(`${family}:${ep.peer}`, ep.local);
      }
      return ep;
    }
    const peer = this.peers.get(`${family}:${ep.local}`);
    return peer === undefined ? ep : { ...ep, peer };
  }

  private open(conn: Conn, ep: Endpoint, pid: number, fd: number, side: 0 | 1, dir: Direction): void {
    conn.id = this.sink.newConn();
    const role = (side === 0) === (dir === 'c2s') ? 'client' : 'server';
    conn.pids[role].push(pid);
    conn.seenFds.add(`${pid}:${fd}`);
    this.sink.event({
      kind: 'open',
      conn: conn.id,
      tap: 'trace',
      from: ep.text,
      peers: { [role]: [pid] },
      message: this.whoUses(pid, fd, side),
    });
    if (this.opts.midStream) {
      this.sink.event({
        kind: 'gap',
        conn: conn.id,
        tap: 'trace',
        message: 'joined mid-stream: the connection was open before the trace began; what was sent before is not captured',
      });
    }
  }

  /** "pid 6479 (tr) reads it on fd 0". */
  private whoUses(pid: number, fd: number, side: 0 | 1): string {
    const comm = this.opts.commOf(pid);
    return `pid ${pid}${comm !== undefined ? ` (${comm})` : ''} ${side === 0 ? 'writes' : 'reads'} it on fd ${fd}`;
  }

  private notePid(conn: Conn, pid: number, fd: number, side: 0 | 1, dir: Direction): void {
    const k = `${pid}:${fd}`;
    if (conn.seenFds.has(k)) return;
    conn.seenFds.add(k);
    const role = (side === 0) === (dir === 'c2s') ? 'client' : 'server';
    if (!conn.pids[role].includes(pid)) conn.pids[role].push(pid);
    this.sink.event({
      kind: 'note',
      conn: conn.id,
      peers: { client: [...conn.pids.client], server: [...conn.pids.server] },
      message: this.whoUses(pid, fd, side),
    });
  }

  private emit(conn: Conn, dir: Direction, pieces: Piece[]): void {
    for (const p of pieces) {
      if (typeof p === 'number') {
        this.sink.event({
          kind: 'gap',
          conn: conn.id,
          tap: 'trace',
          dir,
          bytes: p,
          message: `${p} bytes not captured (longer than strace printed)`,
        });
      } else if (p.length) this.sink.chunk(conn.id, dir, p);
    }
  }

  private endDir(conn: Conn, dir: Direction): void {
    if (conn.ended.has(dir)) return;
    const flow = conn.flows.get(dir);
    if (flow) this.emit(conn, dir, flow.finish());
    conn.ended.add(dir);
    const single = conn.key.startsWith('pipe:') || conn.key.startsWith('path:');
    if (single || conn.ended.size === 2) {
      this.sink.event({ kind: 'close', conn: conn.id, reason: 'eof' });
      this.conns.delete(conn.key);
    } else {
      this.sink.event({ kind: 'half-close', conn: conn.id, dir });
    }
  }
}

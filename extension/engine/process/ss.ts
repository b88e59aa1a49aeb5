// Socket tables through iproute2's `ss` (sock_diag netlink; Node has no netlink access).
// Unix: /proc/net/unix has no peer column; the kernel tells it (UNIX_DIAG_PEER), which `ss -x`
// prints as "Peer Port". TCP: /proc/net/tcp lists every socket, TIME_WAIT included, and a busy
// machine has thousands of those: reading and parsing 3,000 entries costs 30-70 ms per new
// connection. `ss` with a port filter has the kernel return only the sockets asked for.
// Without `ss` the Unix answer is "unknown" (an empty map) and TCP callers fall back to /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pushAll } from '../util/arrays';

export interface UnixPeerMap {
  /** false when `ss` is missing or failed: no peer can be known. */
  available: boolean;
  /** local socket inode → peer socket inode, for every connected Unix socket in our namespace. */
  peers: Map<number, number>;
}

/**
 * Parse `ss -x -a -n -H` output. Columns: Netid State Recv-Q Send-Q Local-Address Local-Port
 * Peer-Address Peer-Port; addresses may be paths (possibly with spaces) or "*", ports are inodes.
 */
export function parseSsUnix(text: string): Map<number, number> {
  const peers = new Map<number, number>();
  // ss prints a path as it is, newlines included: a line not starting a socket continues the last.
  const records: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*u_/.test(line) || records.length === 0) records.push(line);
    else records[records.length - 1] += '\n' + line;
  }
  for (const line of records) {
    const m = /^\s*u_\S+\s+\S+\s+\d+\s+\d+\s+([\s\S]*)\s(\d+)\s+([\s\S]*?)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const local = Number(m[2]);
    const peer = Number(m[4]);
    if (local > 0 && peer > 0) peers.set(local, peer);
  }
  return peers;
}

let ssMissing = false;

/**
 * One long-lived shell runs `ss` for us on request. Spawning from the engine costs several
 * milliseconds of its event loop each time (fork of a large process), which every connection
 * being forwarded would feel; the shell is small, so its forks cost the engine nothing. It reads
 * a line per request and answers with the output of `ss` followed by a sentinel line carrying
 * the exit status. It keeps the engine alive only while an answer is awaited, and ends when the
 * engine's end of its stdin closes (the engine exiting, however).
 */
interface SsHelper {
  proc: ChildProcess;
  sentinel: string;
  out: string;
  waiting: { resolve: (r: { code: number; text: string } | undefined) => void; timer: NodeJS.Timeout }[];
}
let helper: SsHelper | undefined;

function startHelper(): SsHelper {
  const sentinel = `__ipctap_ss_${randomBytes(8).toString('hex')}__`;
  // A request line is "x" (every Unix socket) or "t" and a port filter that tcpSockets built
  // from numbers (split into words by the shell on purpose).
  const loop = `while read -r kind filter; do case "$kind" in x) ss -x -a -n -H;; t) ss -t -n -H -e state connected $filter;; *) false;; esac 2>/dev/null; c=$?; echo; echo "${sentinel} $c"; done`;
  const proc = spawn('sh', ['-c', loop], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  const h: SsHelper = { proc, sentinel, out: '', waiting: [] };
  proc.unref();
  (proc.stdin as unknown as { unref?: () => void }).unref?.();
  refWhileWaiting(h);
  proc.stdin!.on('error', () => undefined);
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    h.out += d;
    for (;;) {
      const at = h.out.indexOf(`\n${sentinel} `);
      if (at < 0) return;
      const eol = h.out.indexOf('\n', at + 1);
      if (eol < 0) return;
      const code = Number(h.out.slice(at + 1 + sentinel.length + 1, eol));
      const text = h.out.slice(0, at);
      h.out = h.out.slice(eol + 1);
      const w = h.waiting.shift();
      if (w) {
        clearTimeout(w.timer);
        w.resolve({ code, text });
      }
      refWhileWaiting(h);
    }
  });
  const gone = (): void => {
    if (helper === h) helper = undefined;
    for (const w of h.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
  };
  proc.on('error', gone);
  proc.on('exit', gone);
  return h;
}

/** The helper keeps the engine alive only while someone awaits an answer from it. */
function refWhileWaiting(h: SsHelper): void {
  const out = h.proc.stdout as unknown as { ref?: () => void; unref?: () => void };
  if (h.waiting.length > 0) out.ref?.();
  else out.unref?.();
}

/** Requests answered by `ss`, by kind (for tests: TCP lookups go through the kernel's filter). */
export const ssRuns = { unix: 0, tcp: 0 };

/** The helper shell's pid (for tests: one process serves every lookup). */
export function ssHelperPid(): number | undefined {
  return helper?.proc.pid;
}

function runSs(request: string, timeoutMs: number): Promise<{ code: number; text: string } | undefined> {
  if (!helper) helper = startHelper();
  const h = helper;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // No answer: drop this helper (its answers would come out of turn); the next call starts one.
      if (helper === h) helper = undefined;
      h.proc.kill('SIGKILL');
      resolve(undefined);
    }, timeoutMs);
    timer.unref();
    h.waiting.push({ resolve, timer });
    refWhileWaiting(h);
    h.proc.stdin!.write(request + '\n');
  });
}

/** Run `ss` once (bounded by `timeoutMs`) and return the peer map of all connected Unix sockets. */
export function unixPeerMap(timeoutMs = 2000): Promise<UnixPeerMap> {
  if (ssMissing) return Promise.resolve({ available: false, peers: new Map() });
  ssRuns.unix++;
  return runSs('x', timeoutMs).then((r) => {
    if (!r || r.code !== 0) {
      // (127: the shell found no `ss`)
      if (r?.code === 127) ssMissing = true;
      return { available: false, peers: new Map() };
    }
    return { available: true, peers: parseSsUnix(r.text) };
  });
}

/** Whether `ss` could be run the last time we tried (true until a failure says otherwise). */
export function ssAvailable(): boolean {
  return !ssMissing;
}

/** A connected TCP socket as `ss -t -e` prints it (inode 0: no process holds it, e.g. TIME-WAIT). */
export interface SsTcpSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  inode: number;
}

/** Parse `ss -t -n -H -e state connected` lines: [State] Recv-Q Send-Q LOCAL:PORT PEER:PORT … ino:N … */
export function parseSsTcp(text: string): SsTcpSocket[] {
  const out: SsTcpSocket[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:[A-Z][A-Z0-9-]*\s+)?\d+\s+\d+\s+\[?([^\s\]]+?)\]?:(\d+)\s+\[?([^\s\]]+?)\]?:(\d+)\s.*?\bino:(\d+)/.exec(line);
    if (!m) continue;
    out.push({ localAddress: stripZone(m[1]!), localPort: Number(m[2]), remoteAddress: stripZone(m[3]!), remotePort: Number(m[4]), inode: Number(m[5]) });
  }
  return out;
}

/** "fe80::1%lo" → "fe80::1" (ss prints an interface after a link-local address). */
function stripZone(a: string): string {
  const at = a.indexOf('%');
  return at < 0 ? a : a.slice(0, at);
}

const PORTS_PER_RUN = 64;

/**
 * The connected TCP sockets (any state but listening/closed) with the given (local port, remote
 * port) pairs, filtered by the kernel (no TIME_WAIT table to read). undefined when `ss` is
 * missing or failed: read /proc instead.
 */
export async function tcpSockets(pairs: { localPort: number; remotePort: number }[], timeoutMs = 2000): Promise<SsTcpSocket[] | undefined> {
  if (ssMissing) return undefined;
  const out: SsTcpSocket[] = [];
  for (let i = 0; i < pairs.length; i += PORTS_PER_RUN) {
    const terms = pairs
      .slice(i, i + PORTS_PER_RUN)
      .filter((p) => Number.isInteger(p.localPort) && Number.isInteger(p.remotePort))
      .map((p) => `( sport = :${p.localPort} and dport = :${p.remotePort} )`);
    if (terms.length === 0) continue;
    ssRuns.tcp++;
    const r = await runSs(`t ( ${terms.join(' or ')} )`, timeoutMs);
    if (!r || r.code !== 0) {
      if (r?.code === 127) ssMissing = true;
      return undefined;
    }
    pushAll(out, parseSsTcp(r.text));
  }
  return out;
}

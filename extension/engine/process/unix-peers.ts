// The peer of a connected Unix socket. /proc/net/unix has no peer column; the kernel tells it
// through sock_diag netlink (UNIX_DIAG_PEER), which iproute2's `ss -x` prints as "Peer Port".
// Node has no netlink access, so we run `ss` when it is installed; without it the answer is
// "unknown" (an empty map), never an error.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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
  for (const line of text.split('\n')) {
    const m = /^\s*u_\S+\s+\S+\s+\d+\s+\d+\s+(.*)\s(\d+)\s+(.*?)\s+(\d+)\s*$/.exec(line);
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
 * the exit status. It holds no reference keeping the engine alive and ends when the engine's end
 * of its stdin closes (the engine exiting, however).
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
  const proc = spawn('sh', ['-c', `while read -r _; do ss -x -a -n -H 2>/dev/null; c=$?; echo; echo "${sentinel} $c"; done`], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  const h: SsHelper = { proc, sentinel, out: '', waiting: [] };
  proc.unref();
  (proc.stdin as unknown as { unref?: () => void }).unref?.();
  (proc.stdout as unknown as { unref?: () => void }).unref?.();
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

/** The helper shell's pid (for tests: one process serves every lookup). */
export function ssHelperPid(): number | undefined {
  return helper?.proc.pid;
}

function runSs(timeoutMs: number): Promise<{ code: number; text: string } | undefined> {
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
    h.proc.stdin!.write('\n');
  });
}

/** Run `ss` once (bounded by `timeoutMs`) and return the peer map of all connected Unix sockets. */
export function unixPeerMap(timeoutMs = 2000): Promise<UnixPeerMap> {
  if (ssMissing) return Promise.resolve({ available: false, peers: new Map() });
  return runSs(timeoutMs).then((r) => {
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

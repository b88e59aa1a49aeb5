// The peer of a connected Unix socket. /proc/net/unix has no peer column; the kernel tells it
// through sock_diag netlink (UNIX_DIAG_PEER), which iproute2's `ss -x` prints as "Peer Port".
// Node has no netlink access, so we run `ss` when it is installed; without it the answer is
// "unknown" (an empty map), never an error.
import { execFile } from 'node:child_process';

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

/** Run `ss` once (bounded by `timeoutMs`) and return the peer map of all connected Unix sockets. */
export function unixPeerMap(timeoutMs = 2000): Promise<UnixPeerMap> {
  if (ssMissing) return Promise.resolve({ available: false, peers: new Map() });
  return new Promise((resolve) => {
    execFile(
      'ss',
      ['-x', '-a', '-n', '-H'],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') ssMissing = true;
          resolve({ available: false, peers: new Map() });
          return;
        }
        resolve({ available: true, peers: parseSsUnix(stdout) });
      },
    );
  });
}

/** Whether `ss` could be run the last time we tried (true until a failure says otherwise). */
export function ssAvailable(): boolean {
  return !ssMissing;
}

// What a descriptor is, from strace's -yy annotation (already unescaped):
//   pipe:[12345]                               an anonymous pipe (both ends share the inode)
//   UNIX-STREAM:[111->112]                     a connected Unix socket: own inode -> peer's
//   UNIX-STREAM:[118->117,"/tmp/app.sock"]     ... with the bound path
//   TCP:[127.0.0.1:5000->127.0.0.1:40000]      local -> remote (TCPv6, UDP, UDPv6 alike)
//   /tmp/app.fifo, /dev/pts/3, /home/u/log     a path (FIFO, tty, regular file...)

export type Endpoint =
  | { kind: 'pipe'; ino: string; text: string }
  /** A socket. `local`/`peer` identify the two ends (inode for Unix, address for IP). */
  | { kind: 'socket'; family: string; local: string; peer?: string; path?: string; text: string }
  | { kind: 'path'; path: string; text: string }
  | { kind: 'other'; text: string };

export function parseEndpoint(annotation: string): Endpoint {
  const text = annotation;
  let m = /^pipe:\[(\d+)\]$/.exec(annotation);
  if (m) return { kind: 'pipe', ino: m[1]!, text };
  // (Sockets of other families — netlink, packet — are the kernel's, not IPC: 'other'.)
  m = /^((?:UNIX|TCP|UDP|UDPLITE|SCTP)[A-Z-]*(?:v6)?):\[(.*)\]$/.exec(annotation);
  if (m) {
    const family = m[1]!;
    let inner = m[2]!;
    let path: string | undefined;
    const q = inner.indexOf(',"');
    if (q >= 0) {
      path = inner.slice(q + 2, inner.endsWith('"') ? -1 : undefined);
      inner = inner.slice(0, q);
    }
    const arrow = inner.indexOf('->');
    const local = arrow >= 0 ? inner.slice(0, arrow) : inner;
    const peer = arrow >= 0 ? inner.slice(arrow + 2) : undefined;
    return { kind: 'socket', family, local, ...(peer ? { peer } : {}), ...(path !== undefined ? { path } : {}), text };
  }
  if (annotation.startsWith('/')) return { kind: 'path', path: annotation, text };
  return { kind: 'other', text };
}

/**
 * The connection an endpoint belongs to: both ends of a pipe, of a socketpair or of a local TCP
 * connection give the same key. `end` names this side (for a pipe there is one stream, so no end).
 */
export function connectionKey(ep: Endpoint): { key: string; end?: string; other?: string } {
  switch (ep.kind) {
    case 'pipe':
      return { key: `pipe:${ep.ino}` };
    case 'socket': {
      const family = ep.family.replace(/v6$/, '');
      if (!ep.peer) return { key: `${family}:${ep.local}`, end: ep.local };
      const [a, b] = ep.local < ep.peer ? [ep.local, ep.peer] : [ep.peer, ep.local];
      return { key: `${family}:${a}<>${b}`, end: ep.local, other: ep.peer };
    }
    case 'path':
      return { key: `path:${ep.path}` };
    case 'other':
      return { key: `other:${ep.text}` };
  }
}

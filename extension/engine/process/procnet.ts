// Parsers for /proc/net/unix, /proc/net/tcp and /proc/net/tcp6, and address helpers.
// Pure functions over text: the reading is in procfs.ts.
import { endianness } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

export type UnixSockType = 'stream' | 'dgram' | 'seqpacket' | 'unknown';
export type UnixSockState = 'listening' | 'connected' | 'unconnected' | 'connecting' | 'disconnecting';

export interface UnixSocketEntry {
  inode: number;
  type: UnixSockType;
  state: UnixSockState;
  /** Filesystem path, "@name" for an abstract name, or undefined for an unnamed socket. */
  path?: string;
}

const UNIX_TYPES: Record<number, UnixSockType> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
const SO_ACCEPTCON = 0x10000;

/** Parse /proc/net/unix. Lines that do not parse are skipped, except that the kernel prints a
 *  path as it is, newlines included: a line that does not parse after an entry with a path is
 *  the rest of that path. */
export function parseProcNetUnix(text: string): UnixSocketEntry[] {
  const out: UnixSocketEntry[] = [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  let last: UnixSocketEntry | undefined;
  for (const line of lines) {
    // Num: RefCount Protocol Flags Type St Inode [Path]
    const m = /^\s*[0-9a-fA-F]+:\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\d+)(?: (.*))?$/.exec(line);
    if (!m) {
      if (last?.path !== undefined) last.path += '\n' + line;
      continue;
    }
    const flags = parseInt(m[1], 16);
    const type = UNIX_TYPES[parseInt(m[2], 16)] ?? 'unknown';
    const st = parseInt(m[3], 16);
    let state: UnixSockState;
    if (flags & SO_ACCEPTCON) state = 'listening';
    else if (st === 3) state = 'connected';
    else if (st === 2) state = 'connecting';
    else if (st === 4) state = 'disconnecting';
    else state = 'unconnected';
    const entry: UnixSocketEntry = { inode: Number(m[4]), type, state };
    if (m[5] !== undefined && m[5] !== '') entry.path = m[5];
    out.push(entry);
    last = entry;
  }
  return out;
}

export const TCP_STATES: Record<number, string> = {
  1: 'established',
  2: 'syn-sent',
  3: 'syn-recv',
  4: 'fin-wait1',
  5: 'fin-wait2',
  6: 'time-wait',
  7: 'close',
  8: 'close-wait',
  9: 'last-ack',
  10: 'listening',
  11: 'closing',
  12: 'new-syn-recv',
};

export interface TcpEntry {
  family: 4 | 6;
  /** Text form: "127.0.0.1", "::1", "::ffff:127.0.0.1". */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Lowercase state name, "listening" for LISTEN. */
  state: string;
  uid: number;
  /** 0 for sockets no process holds (e.g. time-wait). */
  inode: number;
}

/** Parse /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6). */
export function parseProcNetTcp(text: string, family: 4 | 6): TcpEntry[] {
  const out: TcpEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10 || !/^\d+:$/.test(f[0])) continue;
    const local = splitHexAddr(f[1], family);
    const remote = splitHexAddr(f[2], family);
    if (!local || !remote) continue;
    const st = parseInt(f[3], 16);
    out.push({
      family,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: TCP_STATES[st] ?? `state-${st}`,
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return out;
}

function splitHexAddr(s: string, family: 4 | 6): { address: string; port: number } | undefined {
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  const hex = s.slice(0, i);
  const port = parseInt(s.slice(i + 1), 16);
  if ((family === 4 && hex.length !== 8) || (family === 6 && hex.length !== 32) || Number.isNaN(port)) return undefined;
  const bytes = hexWordsToBytes(hex);
  return { address: family === 4 ? bytes.join('.') : formatIPv6(bytes), port };
}

/** The kernel prints each 32-bit word of the address in host byte order. */
function hexWordsToBytes(hex: string): number[] {
  const le = endianness() === 'LE';
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((k) => parseInt(hex.slice(w + k, w + k + 2), 16));
    bytes.push(...(le ? word.reverse() : word));
  }
  return bytes;
}

/** RFC 5952 text for 16 address bytes (IPv4-mapped shown as ::ffff:a.b.c.d). */
export function formatIPv6(b: number[]): string {
  const isMapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (isMapped) return `::ffff:${b.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** 16 bytes for an IPv4 or IPv6 text address (IPv4 as ::ffff:a.b.c.d), or undefined. */
export function addressBytes(addr: string): number[] | undefined {
  let a = addr;
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (isIPv4(a)) return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...a.split('.').map(Number)];
  if (!isIPv6(a)) return undefined;
  const lastColon = a.lastIndexOf(':');
  const v4 = a.slice(lastColon + 1);
  if (v4.includes('.')) {
    if (!isIPv4(v4)) return undefined;
    const q = v4.split('.').map(Number);
    a = `${a.slice(0, lastColon + 1)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, rest] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest === undefined ? [] : new Array(8 - h.length - r.length).fill('0');
  const groups = [...h, ...fill, ...r].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A key equal for the same address whatever its text form ("127.0.0.1" = "::ffff:127.0.0.1"). */
export function addressKey(addr: string): string | undefined {
  return addressBytes(addr)
    ?.map((x) => x.toString(16).padStart(2, '0'))
    .join('');
}

/** "127.0.0.1:8080" or "[::1]:8080". */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** True for 127.0.0.0/8, ::1 and their mapped forms. */
export function isLoopback(address: string): boolean {
  const b = addressBytes(address);
  if (!b) return false;
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return b[12] === 127;
  return b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}

/** True for 0.0.0.0, :: (listening on every address). */
export function isUnspecified(address: string): boolean {
  const b = addressBytes(address);
  if (!b) return false;
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12).every((x) => x === 0) : b.every((x) => x === 0);
}

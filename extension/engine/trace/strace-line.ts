// Parsing strace's output, one line at a time, as `strace -f -q -yy -xx` prints it:
//   PID [TIMESTAMP] name(args) = ret
//   PID [TIMESTAMP] name(args <unfinished ...>        … later …
//   PID [TIMESTAMP] <... name resumed>rest of args) = ret
//   PID [TIMESTAMP] --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=123, si_uid=0} ---
//   PID [TIMESTAMP] +++ exited with 3 +++   /   +++ killed by SIGKILL +++
// With -xx every string (also a path inside an fd annotation) is printed as \xNN escapes, so a
// quote, a parenthesis or " = " inside the data never confuses the parser.

export type StraceRecord =
  /** `blobs`: long strings kept as the bytes of their escapes (in one or more chunks), named by
   *  "@N" in `args`; views of buffers used again, to read before the parser gets the next line. */
  | { type: 'call'; pid: number; name: string; args: string; ret: number; retText: string; blobs?: Blobs }
  | { type: 'signal'; pid: number; signal: string; senderPid?: number; senderUid?: number; code?: string }
  | { type: 'exit'; pid: number; code: number | null; signal: string | null };

export type Blobs = Map<string, Uint8Array[]>;

const PREFIX = /^(\d+)\s+(?:\d+(?:\.\d+)?\s+)?/;
/** In lines at least this long, strings of at least MIN_BLOB characters (256 bytes of data) are
 *  kept as bytes, not made part of the line's text. (Shorter ones, such as a socket path in a -yy
 *  annotation, at most 108 bytes, stay in the text.) */
const LONG_LINE = 2048;
const MIN_BLOB = 1024;
const UNFINISHED = ' <unfinished ...>';

/** Joins `<unfinished ...>` / `<... resumed>` halves per pid and parses complete lines. */
export class StraceLineParser {
  private readonly pending = new Map<number, { name: string; head: string; blobs?: Blobs }>();
  private nextBlob = 0;
  /** Per pid, where the strings of its unfinished call are kept until the call resumes. */
  private readonly kept = new Map<number, Buffer>();

  /**
   * One line (bytes, without its newline). In a long line, each long string (the data of a read
   * or write, of each iovec of a vectored or message call) is kept as bytes: only the text around
   * the strings is made a string.
   */
  parseBytes(line: Buffer): StraceRecord | undefined {
    return this.parseParts([line]);
  }

  /**
   * One line given as the chunks it arrived in (without its newline). In a long line, each string
   * of at least MIN_BLOB characters is kept as the chunks' bytes (views, never copied into one
   * buffer or a string) and named by "@N" in the text, between its quotes. The chunks may be
   * views of a buffer the caller reuses: what is kept past the call is copied.
   */
  parseParts(parts: Buffer[]): StraceRecord | undefined {
    let total = 0;
    for (const p of parts) total += p.length;
    const whole = (): StraceRecord | undefined => this.parse((parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)).toString('latin1'));
    if (total < LONG_LINE) return whole();
    // Each string runs from a quote to the next one (inside a -xx string there are only \xNN
    // escapes). Positions are [chunk, offset] and absolute offsets.
    const starts: number[] = [];
    for (let i = 0, at = 0; i < parts.length; at += parts[i]!.length, i++) starts.push(at);
    const abs = (q: [number, number]): number => starts[q[0]]! + q[1];
    let text = '';
    let textFrom = 0;
    let blobs: Blobs | undefined;
    for (let from: [number, number] = [0, 0]; ;) {
      const open = findQuote(parts, from[0], from[1]);
      if (!open) break;
      const close = findQuote(parts, open[0], open[1] + 1);
      if (!close) break;
      from = [close[0], close[1] + 1];
      const a = abs(open) + 1;
      const b = abs(close);
      if (b - a < MIN_BLOB) continue;
      const id = `@${this.nextBlob++}`;
      text += latin1(parts, starts, textFrom, a) + id;
      (blobs ??= new Map()).set(id, views(parts, starts, a, b));
      textFrom = b;
    }
    if (!blobs) return whole();
    return this.parse(text + latin1(parts, starts, textFrom, total), blobs);
  }

  /** One line without its newline; undefined for lines that carry nothing we use. */
  parse(line: string, blobs?: Blobs): StraceRecord | undefined {
    const m = PREFIX.exec(line);
    // (Without -f and a single process strace prints no pid; we always pass -f.)
    const pid = m ? Number(m[1]) : 0;
    let rest = m ? line.slice(m[0].length) : line;
    if (rest.startsWith('--- ')) return parseSignal(pid, rest);
    if (rest.startsWith('+++ ')) {
      this.pending.delete(pid);
      this.kept.delete(pid);
      return parseExit(pid, rest);
    }
    if (rest.startsWith('<... ')) {
      const end = rest.indexOf(' resumed>');
      if (end < 0) return undefined;
      const name = rest.slice(5, end);
      const head = this.pending.get(pid);
      this.pending.delete(pid);
      if (!head || head.name !== name) return undefined; // (its start was before we attached)
      rest = head.head + rest.slice(end + ' resumed>'.length);
      if (head.blobs) blobs = blobs ? new Map([...head.blobs, ...blobs]) : head.blobs;
    } else if (rest.endsWith(UNFINISHED)) {
      const open = rest.indexOf('(');
      if (open <= 0) return undefined;
      const kept = blobs && this.keep(pid, blobs);
      this.pending.set(pid, { name: rest.slice(0, open), head: rest.slice(0, -UNFINISHED.length), ...(kept ? { blobs: kept } : {}) });
      return undefined;
    }
    const call = parseCall(pid, rest);
    if (call && blobs && call.type === 'call') call.blobs = blobs;
    return call;
  }

  /**
   * The strings of a pid's unfinished call, copied out of the caller's buffer into one the pid
   * reuses (a strace line per pid resumes before the pid's next call starts, and a record's
   * strings are read before the next line is parsed).
   */
  private keep(pid: number, blobs: Blobs): Blobs {
    let total = 0;
    for (const v of blobs.values()) for (const c of v) total += c.length;
    let store = this.kept.get(pid);
    if (!store || store.length < total) this.kept.set(pid, (store = Buffer.allocUnsafeSlow(Math.max(total, 2 * (store?.length ?? 0)))));
    const out: Blobs = new Map();
    let at = 0;
    for (const [k, v] of blobs) {
      const from = at;
      for (const c of v) {
        store.set(c, at);
        at += c.length;
      }
      out.set(k, [store.subarray(from, at)]);
    }
    return out;
  }
}

/** [chunk, offset] of the first quote at or after (`part`, `from`). */
function findQuote(parts: Buffer[], part: number, from: number): [number, number] | undefined {
  for (let i = part; i < parts.length; i++) {
    const q = parts[i]!.indexOf(34, i === part ? from : 0);
    if (q >= 0) return [i, q];
  }
  return undefined;
}

/** Views of the bytes from absolute offset `a` to `b` of a line given in chunks (`starts`: each
 *  chunk's absolute offset). */
function views(parts: Buffer[], starts: number[], a: number, b: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length && starts[i]! < b; i++) {
    const s = starts[i]!;
    const e = s + parts[i]!.length;
    if (e <= a) continue;
    out.push(parts[i]!.subarray(Math.max(a, s) - s, Math.min(b, e) - s));
  }
  return out;
}

function latin1(parts: Buffer[], starts: number[], a: number, b: number): string {
  const v = views(parts, starts, a, b);
  return (v.length === 1 ? v[0]! : Buffer.concat(v)).toString('latin1');
}

function parseCall(pid: number, text: string): StraceRecord | undefined {
  const open = text.indexOf('(');
  if (open <= 0) return undefined;
  const name = text.slice(0, open);
  if (!/^[a-z_0-9]+$/.test(name)) return undefined;
  // ") = ret", the ")" padded with spaces to a column when the line is long enough.
  const sp = text.lastIndexOf(' = ');
  if (sp < 0) return undefined;
  let eq = sp;
  while (eq > open && text.charCodeAt(eq) === 32) eq--;
  if (text.charCodeAt(eq) !== 41 /* ) */) return undefined;
  const retText = text.slice(sp + 3);
  const r = /^-?\d+/.exec(retText);
  if (!r) return undefined;
  return { type: 'call', pid, name, args: text.slice(open + 1, eq), ret: Number(r[0]), retText };
}

function parseSignal(pid: number, text: string): StraceRecord | undefined {
  const m = /^--- (SIG[A-Z0-9+-]+|SIGRT\w*) (?:\{(.*)\} )?---/.exec(text);
  if (!m) return undefined;
  const body = m[2] ?? '';
  const field = (k: string): string | undefined => new RegExp(`(?:^|, )${k}=([^,}]+)`).exec(body)?.[1];
  const sp = field('si_pid');
  const su = field('si_uid');
  return {
    type: 'signal',
    pid,
    signal: m[1]!,
    ...(sp !== undefined && /^\d+$/.test(sp) ? { senderPid: Number(sp) } : {}),
    ...(su !== undefined && /^\d+$/.test(su) ? { senderUid: Number(su) } : {}),
    ...(field('si_code') !== undefined ? { code: field('si_code') } : {}),
  };
}

function parseExit(pid: number, text: string): StraceRecord | undefined {
  let m = /^\+\+\+ exited with (\d+) \+\+\+/.exec(text);
  if (m) return { type: 'exit', pid, code: Number(m[1]), signal: null };
  m = /^\+\+\+ killed by (SIG[A-Z0-9+-]+)/.exec(text);
  if (m) return { type: 'exit', pid, code: null, signal: m[1]! };
  return undefined;
}

/** A run of bytes in a call's data: known bytes, or a count strace did not print. */
export type Piece = Uint8Array | number;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Byte value of two hex digits, indexed by the 16-bit word the two digit characters make in
 * memory, as the last two bytes of an escape's 32-bit word `\xNN` read in this machine's byte
 * order (see unhexBytes); other pairs give 0.
 */
const HEX_WORD = (() => {
  const t = new Uint8Array(65536);
  const digits = '0123456789abcdefABCDEF';
  for (const x of digits)
    for (const y of digits) {
      const a = x.charCodeAt(0);
      const b = y.charCodeAt(0);
      t[LITTLE_ENDIAN ? a | (b << 8) : (a << 8) | b] = (parseInt(x, 16) << 4) | parseInt(y, 16);
    }
  return t;
})();

/** The escapes being decoded, copied to the start of a word-aligned buffer (grown as needed). */
let escapes = new Uint8Array(1 << 18);
let escapeWords = new Uint32Array(escapes.buffer);

/**
 * The bytes of `\xNN` escapes given in chunks (an escape may straddle two chunks). The chunks
 * are copied into a word-aligned buffer (a native copy), then each escape is one 32-bit load and
 * one table lookup, four of them packed into each 32-bit store: no per-byte string work.
 */
export function unhexBytes(chunks: Uint8Array | Uint8Array[]): Uint8Array {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  let total = 0;
  for (const c of list) total += c.length;
  if (total + 4 > escapes.length) {
    escapes = new Uint8Array(Math.max(total + 4, escapes.length * 2));
    escapeWords = new Uint32Array(escapes.buffer);
  }
  let at = 0;
  for (const c of list) {
    escapes.set(c, at);
    at += c.length;
  }
  const n = total >> 2;
  const w = escapeWords;
  const t = HEX_WORD;
  const out = new ArrayBuffer((n + 3) & ~3);
  const words = new Uint32Array(out);
  const whole = n >> 2;
  if (LITTLE_ENDIAN) {
    for (let i = 0, j = 0; i < whole; i++, j += 4) words[i] = t[w[j]! >>> 16]! | (t[w[j + 1]! >>> 16]! << 8) | (t[w[j + 2]! >>> 16]! << 16) | (t[w[j + 3]! >>> 16]! << 24);
  } else {
    for (let i = 0, j = 0; i < whole; i++, j += 4) words[i] = (t[w[j]! & 0xffff]! << 24) | (t[w[j + 1]! & 0xffff]! << 16) | (t[w[j + 2]! & 0xffff]! << 8) | t[w[j + 3]! & 0xffff]!;
  }
  const bytes = Buffer.from(out, 0, n);
  for (let i = whole << 2; i < n; i++) bytes[i] = t[LITTLE_ENDIAN ? w[i]! >>> 16 : w[i]! & 0xffff]!;
  return bytes;
}

/** `\xNN\xNN…` (the inside of a -xx string) to bytes. */
export function unhex(s: string): Uint8Array {
  const n = s.length >> 2;
  const out = Buffer.allocUnsafe(n);
  for (let i = 0, j = 2; i < n; i++, j += 4) out[i] = (hexVal(s.charCodeAt(j)) << 4) | hexVal(s.charCodeAt(j + 1));
  return out;
}

function hexVal(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * The data of a read/write-family call, in order, as pieces: what strace printed and the counts it
 * left out (a string longer than -s ends with `"...`). `ret` is the byte count the call returned.
 * Handles one buffer (read, write, send*, recv*, pread/pwrite), iovecs (readv/writev, the
 * msg_iov of sendmsg/recvmsg) and vectors of messages (sendmmsg/recvmmsg, where ret counts
 * messages and each msg_len its bytes).
 */
export function callData(name: string, args: string, ret: number, blobs?: Blobs): Piece[] {
  const fdEnd = fdAnnotationEnd(args);
  const after = fdEnd >= 0 ? args.slice(fdEnd) : args;
  if (name.endsWith('mmsg')) return mmsgData(after, ret, blobs);
  if (after.includes('iov_base=')) return clampPieces(iovData(after, blobs), ret);
  // (A -xx string holds only \xNN escapes: its closing quote is the next quote.)
  if (!after.startsWith(', "')) return ret > 0 ? [ret] : [];
  const close = after.indexOf('"', 3);
  if (close < 0) return ret > 0 ? [ret] : [];
  const bytes = stringBytes(after.slice(3, close), blobs);
  return clampPieces(bytes.length ? [bytes] : [], ret, true);
}

/** The bytes of a string's inside: its escapes, or "@N", a string parseParts kept as bytes. */
function stringBytes(inside: string, blobs: Blobs | undefined): Uint8Array {
  if (inside.charCodeAt(0) !== 64 /* @ */) return unhex(inside);
  const blob = blobs?.get(inside);
  return blob ? unhexBytes(blob) : new Uint8Array(0);
}

/** Known bytes, then what is left of `total` as a missing count; cut to `total`. */
function clampPieces(pieces: Piece[], total: number, fillRest = true): Piece[] {
  const out: Piece[] = [];
  let left = total;
  for (const p of pieces) {
    if (left <= 0) break;
    const len = typeof p === 'number' ? p : p.length;
    if (len <= left) {
      out.push(p);
      left -= len;
    } else {
      out.push(typeof p === 'number' ? left : p.subarray(0, left));
      left = 0;
    }
  }
  if (fillRest && left > 0) out.push(left);
  return out;
}

/** Each `{iov_base="…"[...], iov_len=N}` in order: its bytes, then what strace left out of N (a
 *  string cut at -s, or an iov_base that is not a string). The caller cuts the list to the
 *  call's return value, which may be less than the iov_lens (a read). */
function iovData(text: string, blobs: Blobs | undefined): Piece[] {
  const out: Piece[] = [];
  for (let i = text.indexOf('iov_base='); i >= 0; i = text.indexOf('iov_base=', i)) {
    i += 9;
    let got = 0;
    if (text.charCodeAt(i) === 34 /* " */) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) break;
      const bytes = stringBytes(text.slice(i + 1, close), blobs);
      if (bytes.length) out.push(bytes);
      got = bytes.length;
      i = close + 1;
    }
    const l = text.indexOf('iov_len=', i);
    if (l < 0) break;
    i = l + 8;
    let len = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) len = len * 10 + (c - 48);
    if (len > got) out.push(len - got);
  }
  return out;
}

function mmsgData(text: string, ret: number, blobs: Blobs | undefined): Piece[] {
  const out: Piece[] = [];
  // Each message: {msg_hdr={... msg_iov=[...] ...}, msg_len=N}
  const parts = text.split(/\{msg_hdr=/).slice(1, ret + 1);
  for (const p of parts) {
    const len = /msg_len=(\d+)/.exec(p);
    out.push(...clampPieces(iovData(p, blobs), len ? Number(len[1]) : 0));
  }
  return out;
}

/** Index just past the first argument's `N<…>` annotation (-1 when there is none). The
 *  annotation's own `>` is the first one not part of a `->` (paths inside are hex escapes). */
export function fdAnnotationEnd(args: string): number {
  const lt = args.indexOf('<');
  if (lt < 0) return -1;
  for (let i = lt + 1; i < args.length; i++) if (args.charCodeAt(i) === 62 /* > */ && args.charCodeAt(i - 1) !== 45 /* - */) return i + 1;
  return -1;
}

/** The descriptor and its annotation text (escapes decoded) of a call's first argument. */
export function fdOf(args: string): { fd: number; annotation: string } | undefined {
  const m = /^(\d+)</.exec(args);
  if (!m) return undefined;
  const end = fdAnnotationEnd(args);
  if (end < 0) return undefined;
  const raw = args.slice(m[0].length, end - 1);
  return { fd: Number(m[1]), annotation: raw.includes('\\x') ? raw.replace(/(?:\\x[0-9a-f]{2})+/g, (h) => Buffer.from(unhex(h)).toString('utf8')) : raw };
}

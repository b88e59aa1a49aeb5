// `netrpc`: Go net/rpc over its default gob codec, plain or after the HTTP CONNECT handshake.
// Each direction is one gob stream of (header, body) pairs: rpc.Request{ServiceMethod, Seq} then
// the args value; rpc.Response{ServiceMethod, Seq, Error} then the reply value (an empty struct
// when Error is set). Frames:
//   {"kind":"connect","method":"CONNECT","path":"/_goRPC_","proto":"HTTP/1.0"}      handshake
//   {"kind":"connected","status":200,"text":"200 Connected to Go RPC"}             its answer
//   {"kind":"typedef","typedef":{…}}      a type definition sent before a header
//   {"kind":"request","serviceMethod":"Arith.Multiply","seq":1,"args":V}
//   {"kind":"response","serviceMethod":"Arith.Multiply","seq":1,"reply":V|null,"error":""}
// A request/response frame's bytes run from its header to the end of its body, so type
// definitions sent between them (the body's types) are inside that frame. Frames pair by seq.
// Whether a header is a request or a response follows its type (Request/Response), so the
// decoder works whichever direction name the tap uses. A connection joined mid-stream (its type
// definitions went before) still has its headers recognised by their shape (a "Service.Method"
// string, the Seq, an Error string): a header with an Error is a response, the other direction's
// headers are then requests, and without either clue c2s carries the requests.
import type { Direction, FieldRange, Frame } from '../types';
import { concatBytes } from './core/bytes';
import type { ConnDecoder, DecoderInfo, DecoderOptions, SniffResult } from './core/decoder';
import { concreteList, firstTypedef, oneLine, gobFrame, gobStreamOptions, GobStream, isRpcHeaderType, preview, type GobItem, type GobStreamOptions } from './gob/index';
import { pushAll } from '../util/arrays';

const CONNECT = 'CONNECT ';
const HTTP = 'HTTP/';
const MAX_HANDSHAKE = 4096;
const latin1 = new TextDecoder('latin1');

type ValueItem = Extract<GobItem, { kind: 'value' }>;

interface Pending {
  header: Pick<ValueItem, 'data' | 'typeId' | 'value' | 'ranges'>;
  role: 'request' | 'response';
  parts: Uint8Array[];
}

/**
 * A call's messages (`parts`, then `last` when given) as one array: one view when they lie back
 * to back in one pushed chunk.
 */
function joinMessages(parts: Uint8Array[], last?: Uint8Array): Uint8Array {
  const n = parts.length + (last ? 1 : 0);
  if (n > 1) {
    const first = parts[0]!;
    const mem = first.buffer;
    let next = first.byteOffset + first.length;
    let adjacent = true;
    for (let i = 1; i < n && adjacent; i++) {
      const p = i < parts.length ? parts[i]! : last!;
      adjacent = p.byteOffset === next && p.buffer === mem;
      next += p.length;
    }
    if (adjacent) return new Uint8Array(mem, first.byteOffset, next - first.byteOffset);
  }
  return concatBytes(last ? [...parts, last] : parts);
}

function startsWith(b: Uint8Array, s: string): 'yes' | 'no' | 'more' {
  const n = Math.min(b.length, s.length);
  for (let i = 0; i < n; i++) if (b[i] !== s.charCodeAt(i)) return 'no';
  return b.length >= s.length ? 'yes' : 'more';
}

/** End of an HTTP head ("\n\n" or "\r\n\r\n"), or -1. */
function headEnd(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] === 10 && b[i + 1] === 10) return i + 2;
    if (b[i] === 10 && b[i + 1] === 13 && b[i + 2] === 10) return i + 3;
  }
  return -1;
}

/** A call's summary, on one line (what came from the stream is escaped; previews are one line). */
export function rpcSummary(d: Record<string, unknown>, concrete?: Record<string, string>): string {
  const seq = oneLine(String(d.seq));
  const method = oneLine(String(d.serviceMethod || '?'));
  const types = concrete ? ` (${oneLine(concreteList(concrete))})` : '';
  if (d.kind === 'request') return `→ ${method} #${seq} ${preview(d.args, 100)}${types}`;
  if (d.error !== '' && d.error !== null && d.error !== undefined) return `← ${method} #${seq} error: ${typeof d.error === 'string' ? oneLine(d.error) : preview(d.error, 100)}`;
  return `← ${method} #${seq} ${preview(d.reply, 100)}${types}`;
}

class Side {
  private mode: 'start' | 'handshake' | 'gob' | 'raw' = 'start';
  private head: Uint8Array[] = [];
  private headLen = 0;
  private readonly gob: GobStream;
  private pending: Pending | undefined;

  constructor(
    private readonly dir: Direction,
    opts: GobStreamOptions,
    /** The role of the headers recognised by shape, per direction (shared by both sides). */
    private readonly shapeRoles: Map<Direction, 'request' | 'response'>,
  ) {
    this.gob = new GobStream(opts);
  }

  push(bytes: Uint8Array): Frame[] {
    if (this.mode === 'gob') return this.items(this.gob.push(bytes));
    if (this.mode === 'raw') return bytes.length ? [this.raw(bytes)] : [];
    this.head.push(bytes);
    this.headLen += bytes.length;
    return this.handshake(false);
  }

  end(): Frame[] {
    const out: Frame[] = [];
    if (this.mode === 'start' || this.mode === 'handshake') pushAll(out, this.handshake(true));
    if (this.mode === 'gob') pushAll(out, this.items(this.gob.end()));
    if (this.pending) out.push(this.flushPending('the stream ended before the body'));
    return out;
  }

  private raw(bytes: Uint8Array): Frame {
    return { dir: this.dir, data: bytes.slice(), summary: `${bytes.length} bytes after a failed handshake`, decoded: null };
  }

  private handshake(atEnd: boolean): Frame[] {
    const buf = concatBytes(this.head);
    const isConnect = startsWith(buf, CONNECT);
    const isHttp = startsWith(buf, HTTP);
    if (isConnect === 'no' && isHttp === 'no') return this.toGob(buf);
    if ((isConnect === 'more' || isHttp === 'more') && !atEnd) return [];
    const end = headEnd(buf);
    if (end < 0) {
      if (buf.length > MAX_HANDSHAKE || atEnd) {
        if (atEnd && buf.length <= MAX_HANDSHAKE) {
          this.head = [];
          this.headLen = 0;
          this.mode = 'raw';
          return [{ dir: this.dir, data: buf, summary: 'incomplete HTTP handshake', decoded: null, error: 'the stream ended inside the HTTP handshake' }];
        }
        return this.toGob(buf);
      }
      this.head = [buf];
      this.mode = 'handshake';
      return [];
    }
    const text = latin1.decode(buf.subarray(0, end));
    const line = text.split(/\r?\n/)[0]!;
    const frames: Frame[] = [];
    const data = buf.slice(0, end);
    let ok = true;
    if (isConnect === 'yes') {
      const [method, path, proto] = line.split(' ');
      frames.push({ dir: this.dir, data, summary: oneLine(line), decoded: { kind: 'connect', method, path: path ?? '', proto: proto ?? '' } });
    } else {
      const m = /^(HTTP\/\S+) (\d{3})(?: (.*))?$/.exec(line);
      const status = m ? Number(m[2]) : 0;
      ok = status === 200;
      const f: Frame = {
        dir: this.dir,
        data,
        summary: oneLine(line),
        decoded: { kind: 'connected', proto: m?.[1] ?? '', status, text: m ? `${m[2]}${m[3] ? ' ' + m[3] : ''}` : line },
      };
      if (!ok) f.error = `the server refused the RPC handshake: ${line}`;
      frames.push(f);
    }
    this.head = [];
    this.headLen = 0;
    const rest = buf.subarray(end);
    if (!ok) {
      this.mode = 'raw';
      if (rest.length) frames.push(this.raw(rest));
      return frames;
    }
    this.mode = 'gob';
    if (rest.length) pushAll(frames, this.items(this.gob.push(rest)));
    return frames;
  }

  private toGob(buf: Uint8Array): Frame[] {
    this.head = [];
    this.headLen = 0;
    this.mode = 'gob';
    return this.items(this.gob.push(buf));
  }

  private items(items: GobItem[]): Frame[] {
    const out: Frame[] = [];
    for (const it of items) this.item(it, out);
    return out;
  }

  private item(it: GobItem, out: Frame[]): void {
    const p = this.pending;
    if (it.kind === 'typedef' || it.kind === 'empty') {
      if (p) p.parts.push(it.data);
      else if (it.kind === 'typedef') out.push({ dir: this.dir, data: it.data, summary: oneLine(it.summary), decoded: { kind: 'typedef', typedef: it.typedef } });
      else out.push(gobFrame(this.dir, it));
      return;
    }
    if (it.kind === 'error') {
      const shaped = it.typeId !== undefined && it.typeId >= FIRST_USER_TYPE ? midStreamHeader(it.data) : undefined;
      if (shaped && shaped !== 'more' && (!p || p.header.typeId === it.typeId)) {
        if (p) out.push(this.flushPending('no body followed this header'));
        const value: Record<string, unknown> = { ServiceMethod: shaped.serviceMethod, Seq: shaped.seq };
        if (shaped.error !== undefined) value.Error = shaped.error;
        this.pending = { header: { data: it.data, typeId: it.typeId!, value, ranges: shaped.ranges }, role: this.shapeRole(shaped.error !== undefined), parts: [it.data] };
        return;
      }
      if (p) {
        p.parts.push(it.data);
        out.push(this.flushPending(it.error));
      } else {
        const f = gobFrame(this.dir, it);
        f.decoded = { kind: 'unknown', ...(f.decoded as object | null) };
        out.push(f);
      }
      return;
    }
    const role = isRpcHeaderType(it.type);
    if (p) {
      // A second header of the same type where a body was expected: the first had no body
      // (a capture that started between them, or a confused peer).
      if (role && it.typeId === p.header.typeId) {
        out.push(this.flushPending('no body followed this header'));
        this.pending = { header: it, role, parts: [it.data] };
        return;
      }
      this.pending = undefined;
      out.push(this.callFrame(p, it));
      return;
    }
    if (role) {
      this.pending = { header: it, role, parts: [it.data] };
      return;
    }
    const f = gobFrame(this.dir, it);
    f.decoded = { kind: 'body', ...(f.decoded as object) };
    f.summary = `body without a header: ${f.summary}`;
    out.push(f);
  }

  /** Request or response, for a header recognised by its shape. */
  private shapeRole(hasError: boolean): 'request' | 'response' {
    const roles = this.shapeRoles;
    let role = roles.get(this.dir);
    if (hasError) role = 'response';
    if (!role) {
      const other = [...roles].find(([d]) => d !== this.dir)?.[1];
      role = other ? (other === 'request' ? 'response' : 'request') : this.dir === 's2c' ? 'response' : 'request';
    }
    roles.set(this.dir, role);
    return role;
  }

  /** The frame of a call: its header, the messages after it, and the body (its last message). */
  private callFrame(p: Pending, body: ValueItem | undefined, error?: string): Frame {
    const v = (p.header.value ?? {}) as Record<string, unknown>;
    const serviceMethod = v.ServiceMethod ?? '';
    const seq = v.Seq ?? 0;
    let decoded: Record<string, unknown>;
    if (p.role === 'request') decoded = { kind: 'request', serviceMethod, seq, args: body ? body.value : null };
    else {
      const err = v.Error ?? '';
      decoded = { kind: 'response', serviceMethod, seq, reply: body && err === '' ? body.value : null, error: err };
    }
    if (body?.concrete) decoded.concrete = body.concrete;
    if (body && body.typeName) decoded.bodyType = body.typeName;
    const f: Frame = {
      dir: this.dir,
      data: joinMessages(p.parts, body?.data),
      summary: rpcSummary(decoded, body?.concrete),
      decoded,
      pair: { key: `seq:${String(seq)}`, role: p.role },
    };
    f.ranges = callRanges(p, body, decoded);
    if (error) {
      f.error = error;
      f.summary += ` [${oneLine(error)}]`;
    }
    return f;
  }

  private flushPending(error: string): Frame {
    const p = this.pending!;
    this.pending = undefined;
    return this.callFrame(p, undefined, error);
  }
}

const HEADER_FIELDS: Record<string, string> = { '/ServiceMethod': '/serviceMethod', '/Seq': '/seq', '/Error': '/error' };

/** Where a call's fields lie in its bytes: the header's first, then the body after every part. */
function callRanges(p: Pending, body: ValueItem | undefined, decoded: Record<string, unknown>): FieldRange[] {
  const out: FieldRange[] = [];
  for (const r of p.header.ranges ?? []) {
    const to = HEADER_FIELDS[r.path];
    if (to) out.push({ path: to, start: r.start, end: r.end });
  }
  if (body?.ranges && ('args' in decoded ? true : decoded.reply !== null)) {
    const at = p.parts.reduce((n, x) => n + x.length, 0);
    const key = 'args' in decoded ? '/args' : '/reply';
    for (const r of body.ranges) out.push({ path: key + r.path, start: r.start + at, end: r.end + at });
  }
  return out;
}

class NetRpcDecoder implements ConnDecoder {
  private readonly sides = new Map<Direction, Side>();
  private readonly shapeRoles = new Map<Direction, 'request' | 'response'>();
  constructor(private readonly opts: GobStreamOptions) {}

  private side(dir: Direction): Side {
    let s = this.sides.get(dir);
    if (!s) this.sides.set(dir, (s = new Side(dir, this.opts, this.shapeRoles)));
    return s;
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    return this.side(dir).push(bytes);
  }

  end(dir: Direction): Frame[] {
    return this.side(dir).end();
  }
}

/**
 * CONNECT /_goRPC_, the server's "200 Connected to Go RPC", a gob Request/Response typedef, or
 * (a connection joined mid-stream) a header value recognised by its shape.
 */
export function sniffNetRpc(head: Uint8Array): SniffResult {
  const c = startsWith(head, 'CONNECT /');
  if (c !== 'no') return c;
  const h = startsWith(head, 'HTTP/1.0 200 Connected to Go RPC');
  if (h !== 'no') return h;
  const t = firstTypedef(head);
  if (t === 'more') return 'more';
  if (t !== 'no') return isRpcHeaderType(t) ? 'yes' : 'no';
  const m = midStreamHeader(head);
  return m === 'more' ? 'more' : m ? 'yes' : 'no';
}

/** gob's first user type id (ids below are predefined). */
const FIRST_USER_TYPE = 65;
const MAX_SHAPED_HEADER = 4096;
const SERVICE_METHOD = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

/** gob's unsigned integer at `pos` (before `end`): [value, next], 'more' when cut by `end`, undefined if malformed. */
function gobUint(b: Uint8Array, pos: number, end: number): [number, number] | 'more' | undefined {
  if (pos >= end) return 'more';
  const x = b[pos]!;
  if (x < 128) return [x, pos + 1];
  const n = 256 - x;
  if (n > 8) return undefined;
  if (pos + 1 + n > end) return 'more';
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[pos + 1 + i]!;
  return [v, pos + 1 + n];
}

/**
 * A net/rpc header whose type definition was not seen, recognised by its shape in the gob message
 * at the start of `buf`: a value of a user type whose fields are a "Service.Method" string, then
 * optionally the Seq (a uint) and an Error string. 'more' while the message is incomplete and
 * what is there fits; `ranges` are positions in the message (from its length prefix).
 */
export function midStreamHeader(buf: Uint8Array): { serviceMethod: string; seq: number; error?: string; ranges: FieldRange[] } | 'more' | undefined {
  const len = gobUint(buf, 0, buf.length);
  if (len === 'more' || !len) return len;
  const [count, bodyStart] = len;
  if (count < 4 || count > MAX_SHAPED_HEADER) return undefined;
  const end = bodyStart + count;
  const lim = Math.min(end, buf.length);
  let p = bodyStart;
  /** The next uint, or what to answer when there is none. */
  const next = (): number | 'more' | undefined => {
    const r = gobUint(buf, p, lim);
    if (r === 'more') return lim < end ? 'more' : undefined;
    if (!r) return undefined;
    p = r[1];
    return r[0];
  };
  /** Skip a string of `n` bytes at p, each passing `ok`: true, or what to answer. */
  const skip = (n: number, ok: (c: number) => boolean): true | 'more' | undefined => {
    for (let i = p; i < Math.min(p + n, lim); i++) if (!ok(buf[i]!)) return undefined;
    if (p + n > lim) return lim < end ? 'more' : undefined;
    p += n;
    return true;
  };
  const id = next();
  if (typeof id !== 'number') return id;
  if (id % 2 !== 0 || id / 2 < FIRST_USER_TYPE) return undefined; // (a positive int: an even uint)
  const first = next();
  if (typeof first !== 'number') return first;
  if (first !== 1) return undefined;
  const n = next();
  if (typeof n !== 'number') return n;
  if (n < 3 || n > 256) return undefined;
  const start = p;
  const named = skip(n, (c) => c === 46 || c === 95 || (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122));
  if (named !== true) return named;
  const sm = latin1.decode(buf.subarray(start, p));
  if (!SERVICE_METHOD.test(sm)) return undefined;
  const ranges: FieldRange[] = [{ path: '/ServiceMethod', start, end: p }];
  let seq = 0;
  let error: string | undefined;
  for (let field = 1; ;) {
    const d = next();
    if (typeof d !== 'number') return d;
    if (d === 0) break;
    field += d;
    const at = p;
    if (field === 2) {
      const v = next();
      if (typeof v !== 'number') return v;
      seq = v;
      ranges.push({ path: '/Seq', start: at, end: p });
    } else if (field === 3) {
      const l = next();
      if (typeof l !== 'number') return l;
      const got = skip(l, () => true);
      if (got !== true) return got;
      error = new TextDecoder().decode(buf.subarray(p - l, p));
      ranges.push({ path: '/Error', start: at, end: p });
    } else return undefined;
  }
  if (p !== end) return undefined;
  return { serviceMethod: sm, seq, ...(error !== undefined ? { error } : {}), ranges };
}

export function createNetRpcDecoder(options?: DecoderOptions): ConnDecoder {
  return new NetRpcDecoder(gobStreamOptions(options));
}

export const netrpcDecoder: DecoderInfo = {
  name: 'netrpc',
  description: 'Go net/rpc (gob codec), plain or after the HTTP CONNECT handshake; requests paired with replies by seq',
  priority: 20,
  sniff: (head) => sniffNetRpc(head),
  create: createNetRpcDecoder,
};

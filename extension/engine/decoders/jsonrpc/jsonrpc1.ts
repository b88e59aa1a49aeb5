// `jsonrpc1`: Go's net/rpc/jsonrpc (JSON-RPC 1.0). Each direction is a stream of JSON values
// (not lines): requests {"method":"S.M","params":[arg],"id":N}, responses
// {"id":N,"result":…,"error":null|"text"}. Frames decode to the same shape as `netrpc`:
//   {"kind":"request","serviceMethod":"Arith.Multiply","seq":N,"args":params[0]}
//   {"kind":"response","serviceMethod":…,"seq":N,"reply":result|null,"error":""|"text"}
// (seq = the JSON id; a response's serviceMethod comes from the request with its id, if seen).
// Integers beyond 2^53 stay exact (bigint). Anything that is not a JSON object is reported as an
// error frame and skipped up to the next "{".
import type { Direction, Frame } from '../../types';
import { parseJsonExact, toJson } from '../../util/json';
import { DEFAULT_MAX_FRAME, type ConnDecoder, type DecoderInfo, type DecoderOptions, type SniffResult } from '../core/decoder';
import { rpcSummary } from '../netrpc';
import { oneLine } from '../gob/render';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const EMPTY = new Uint8Array(0);

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** A cut: the bytes (leading whitespace included), where the value starts in them, and whether it is garbage. */
type Emit = (v: Uint8Array, garbage: boolean, why?: string, at?: number) => void;

/** Cuts a byte stream into top-level JSON objects/arrays, resumable across pushes. */
class JsonValueSplitter {
  private buf: Uint8Array = EMPTY;
  /** Buffered bytes are [start, len); the value being scanned starts at `start`. */
  private start = 0;
  private len = 0;
  private scan = 0;
  private depth = 0;
  private inStr = false;
  private esc = false;
  private started = false;
  /** First byte of the value (after leading whitespace, which belongs to its frame). */
  private valueAt = 0;

  constructor(private readonly maxFrame: number) {}

  get pending(): number {
    return this.len - this.start;
  }

  push(bytes: Uint8Array, emit: Emit): void {
    if (this.len + bytes.length > this.buf.length) {
      const keep = this.len - this.start;
      const next = keep + bytes.length <= this.buf.length ? this.buf : new Uint8Array(Math.max(keep + bytes.length, this.buf.length * 2, 1024));
      if (next === this.buf) next.copyWithin(0, this.start, this.len);
      else next.set(this.buf.subarray(this.start, this.len));
      this.buf = next;
      this.scan -= this.start;
      this.len = keep;
      this.start = 0;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.run(emit);
  }

  /** The stream ended: anything left is an incomplete value. */
  end(emit: Emit): void {
    let i = this.start;
    while (i < this.len && isWs(this.buf[i]!)) i++;
    if (i < this.len) emit(this.buf.slice(this.start, this.len), true, 'the stream ended inside a JSON value');
    else if (this.len > this.start) emit(this.buf.slice(this.start, this.len), false, 'whitespace', this.len - this.start);
    this.next(this.len);
  }

  /** The next value starts at `at`. */
  private next(at: number): void {
    this.start = this.scan = this.valueAt = at;
    this.depth = 0;
    this.inStr = this.esc = this.started = false;
    if (this.start === this.len) {
      this.start = this.len = this.scan = 0;
      if (this.buf.length > 1 << 20) this.buf = EMPTY;
    }
  }

  private run(emit: Emit): void {
    for (;;) {
      const b = this.buf;
      let i = this.scan;
      if (!this.started) {
        while (i < this.len && isWs(b[i]!)) i++;
        if (i === this.len) {
          this.scan = i;
          if (this.len - this.start > this.maxFrame) {
            emit(b.slice(this.start, this.len), true, 'whitespace');
            this.next(this.len);
          }
          return;
        }
        this.valueAt = i;
        if (b[i] !== 0x7b && b[i] !== 0x5b) {
          // Not an object or array: skip to the next '{'.
          let j = i;
          while (j < this.len && b[j] !== 0x7b) j++;
          if (j === this.len && j - i < 4096) {
            this.scan = i; // wait for a '{' (or the end) so the garbage is one frame
            return;
          }
          emit(b.slice(this.start, j), true, 'not a JSON object');
          this.next(j);
          continue;
        }
        this.started = true;
      }
      let done = -1;
      for (; i < this.len; i++) {
        const c = b[i]!;
        if (this.inStr) {
          if (this.esc) this.esc = false;
          else if (c === 0x5c) this.esc = true;
          else if (c === 0x22) this.inStr = false;
        } else if (c === 0x22) this.inStr = true;
        else if (c === 0x7b || c === 0x5b) this.depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (--this.depth === 0) {
            done = i + 1;
            break;
          }
        }
      }
      if (done < 0) {
        this.scan = i;
        if (this.len - this.start > this.maxFrame) {
          emit(b.slice(this.start, this.len), true, `JSON value longer than ${this.maxFrame} bytes`);
          this.next(this.len);
        }
        return;
      }
      emit(b.slice(this.start, done), false, undefined, this.valueAt - this.start);
      this.next(done);
    }
  }
}

class JsonRpc1Decoder implements ConnDecoder {
  private readonly sides = new Map<Direction, JsonValueSplitter>();
  private readonly methods = new Map<string, unknown>();
  constructor(private readonly maxFrame: number) {}

  private side(dir: Direction): JsonValueSplitter {
    let s = this.sides.get(dir);
    if (!s) this.sides.set(dir, (s = new JsonValueSplitter(this.maxFrame)));
    return s;
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    const out: Frame[] = [];
    this.side(dir).push(bytes, (v, garbage, why, at) => out.push(this.frame(dir, v, garbage, why, at)));
    for (const f of out) f.summary = oneLine(f.summary);
    return out;
  }

  end(dir: Direction): Frame[] {
    const out: Frame[] = [];
    this.side(dir).end((v, garbage, why, at) => out.push(this.frame(dir, v, garbage, why, at)));
    for (const f of out) f.summary = oneLine(f.summary);
    return out;
  }

  private frame(dir: Direction, data: Uint8Array, garbage: boolean, why?: string, at = 0): Frame {
    if (garbage) return { dir, data, summary: `error: ${why}`, decoded: null, error: why ?? 'not JSON' };
    if (why === 'whitespace') return { dir, data, summary: `${data.length} bytes of whitespace`, decoded: null };
    const text = utf8.decode(data.subarray(at));
    let msg: unknown;
    try {
      msg = parseJsonExact(text);
    } catch (e) {
      const error = `invalid JSON: ${(e as Error).message}`;
      return { dir, data, summary: `error: ${error}`, decoded: null, error };
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      return { dir, data, summary: 'not a JSON-RPC 1.0 message', decoded: msg, error: 'expected a JSON object' };
    }
    const m = msg as Record<string, unknown>;
    const id = m.id === undefined ? null : m.id;
    const key = toJson(id);
    let decoded: Record<string, unknown>;
    let role: 'request' | 'response';
    if (typeof m.method === 'string') {
      role = 'request';
      const params = m.params;
      decoded = { kind: 'request', serviceMethod: m.method, seq: id, args: Array.isArray(params) ? (params[0] ?? null) : (params ?? null) };
      if (this.methods.size > 10000) this.methods.clear();
      this.methods.set(key, m.method);
    } else if ('result' in m || 'error' in m) {
      role = 'response';
      const error = m.error === undefined || m.error === null ? '' : m.error;
      decoded = { kind: 'response', serviceMethod: this.methods.get(key) ?? '', seq: id, reply: error === '' ? (m.result ?? null) : null, error };
      this.methods.delete(key);
    } else {
      return { dir, data, summary: 'not a JSON-RPC 1.0 message', decoded: msg, error: 'neither a request (method) nor a response (result/error)' };
    }
    return { dir, data, summary: rpcSummary(decoded), decoded, pair: { key: `seq:${key}`, role }, payload: { start: at, end: data.length } };
  }
}

/** A JSON-RPC 1.0 object as Go's jsonrpc writes it: no "jsonrpc" member, params an array. */
export function sniffJsonRpc1(head: Uint8Array): SniffResult {
  let i = 0;
  while (i < head.length && isWs(head[i]!)) i++;
  if (i === head.length) return 'more';
  if (head[i] !== 0x7b) return 'no';
  let kind: SniffResult = 'more';
  new JsonValueSplitter(64 * 1024).push(head.subarray(i), (v, garbage) => {
    if (kind !== 'more') return;
    if (garbage) {
      kind = 'no';
      return;
    }
    try {
      const m = JSON.parse(utf8.decode(v)) as Record<string, unknown>;
      if (m === null || typeof m !== 'object' || 'jsonrpc' in m || !('id' in m)) kind = 'no';
      else if (typeof m.method === 'string' && Array.isArray(m.params)) kind = 'yes';
      else if ('result' in m && 'error' in m && !('method' in m)) kind = 'yes';
      else kind = 'no';
    } catch {
      kind = 'no';
    }
  });
  if (kind === 'more' && head.length > 64 * 1024) return 'no';
  return kind;
}

export const jsonrpc1Decoder: DecoderInfo = {
  name: 'jsonrpc1',
  description: 'Go net/rpc/jsonrpc (JSON-RPC 1.0 as a stream of JSON values); requests paired with replies by id',
  priority: 15,
  sniff: (head) => sniffJsonRpc1(head),
  create: (options?: DecoderOptions) => new JsonRpc1Decoder(typeof options?.maxFrame === 'number' ? options.maxFrame : DEFAULT_MAX_FRAME),
};

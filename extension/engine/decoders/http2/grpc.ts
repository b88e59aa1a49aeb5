// The `grpc` decoder: HTTP/2 (shared code in ./http2) plus gRPC on the streams whose
// content-type is application/grpc*: length-prefixed messages reassembled across DATA frames
// (gzip/deflate inflated with an output cap), request/response headers, and trailers with
// grpc-status/grpc-message (also Trailers-Only). Streams that are not gRPC render as plain
// HTTP/2 frames, so `auto` picks this decoder whenever it sees an HTTP/2 preface.
//
// A message frame: data = the message as on the wire (1-byte compressed flag, u32 BE length,
// payload); payload = the range of the payload inside data; decoded =
//   {kind:"message", stream, path, dir:"request"|"response", index, compressed, message, raw?}
// where `message` is the protobuf decoding and `raw` (base64) carries the inflated protobuf
// bytes when the message was compressed (uncompressed: the bytes are data[payload]).
import { gunzipSync, inflateSync } from 'node:zlib';
import type { DecoderInfo, DecoderOptions } from '../core/decoder';
import type { Direction, FieldRange, Frame } from '../../types';
import { ByteQueue } from '../core/byte-queue';
import { H2Connection, header, type HeadersEvent } from './connection';
import type { HeaderPair } from './hpack';
import type { FrameHeader } from './frame-types';
import { sniffHttp2 } from './index';
import type { StreamInfo } from './streams';
import { decodeProtobuf, type ProtobufSchemaOptions } from '../protobuf/decoder';
import { loadProtoRoot, lookupMethod } from '../protobuf/schema';
import { parseJsonExact } from '../../util/json';

export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export interface GrpcMessageContext {
  /** "/pkg.Service/Method", when the request headers were seen. */
  path?: string;
  dir: 'request' | 'response';
}

/** A message body decoded for display (the shape decodeProtobuf returns). */
export interface MessageDecoding {
  decoded: unknown;
  summary?: string;
  error?: string;
  /** Where the decoded value's parts are in the message bytes. */
  ranges?: FieldRange[];
}

/** Decodes a message body. Errors it throws are caught and shown. */
export type MessageDecoder = (bytes: Uint8Array, ctx: GrpcMessageContext) => MessageDecoding;

export interface GrpcOptions extends DecoderOptions {
  /** .proto files whose services give each method's request/response types. */
  protoFiles?: string[] | string;
  /** Replaces the default decoding of message bodies (protobuf, typed when protoFiles know the method). */
  decodeMessage?: MessageDecoder;
}

/**
 * The default: protobuf, typed by the method's request/response type when .proto files were
 * given and define the service, else schema-less. application/grpc+json bodies are parsed as JSON.
 */
export function protobufMessages(options: GrpcOptions = {}): MessageDecoder {
  const files = typeof options.protoFiles === 'string' ? [options.protoFiles] : Array.isArray(options.protoFiles) ? options.protoFiles.map(String) : [];
  const root = files.length ? loadProtoRoot(files) : undefined; // UserError for a bad file, at create()
  const types = new Map<string, { requestType: string; responseType: string } | undefined>();
  return (bytes, ctx) => {
    let schema: ProtobufSchemaOptions | undefined;
    if (root && ctx.path) {
      if (!types.has(ctx.path)) types.set(ctx.path, lookupMethod(root, ctx.path));
      const m = types.get(ctx.path);
      if (m) schema = { root, protoType: ctx.dir === 'request' ? m.requestType : m.responseType };
    }
    return decodeProtobuf(bytes, schema);
  };
}

function jsonMessage(bytes: Uint8Array): MessageDecoding {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return { decoded: parseJsonExact(text), summary: text.length > 100 ? text.slice(0, 99) + '…' : text };
  } catch (e) {
    return { decoded: text, error: `not JSON: ${(e as Error).message}` };
  }
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md); decode leniently. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i], 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

interface MsgState {
  q: ByteQueue;
  skip: number;
  count: number;
}

interface GrpcStream {
  dirs: Partial<Record<Direction, MsgState>>;
}

const STATUS_CODE = /^\d{1,9}$/;

/** A call's status from its trailers: grpc-status (its number and name) and grpc-message, and
 *  as text ("status NOT_FOUND: no such key", "no grpc-status", "bad grpc-status \"x\""). */
export function grpcStatus(headers: HeaderPair[]): { code: number | null; name: string | null; message: string | null; text: string } {
  const status = header(headers, 'grpc-status');
  const code = status !== undefined && STATUS_CODE.test(status) ? Number(status) : null;
  const name = code === null ? null : (GRPC_STATUS_NAMES[code] ?? `CODE_${code}`);
  const raw = header(headers, 'grpc-message');
  const message = raw === undefined ? null : percentDecode(raw);
  const text = (code === null ? (status === undefined ? 'no grpc-status' : `bad grpc-status ${JSON.stringify(status)}`) : `status ${name}`) + (message ? `: ${message}` : '');
  return { code, name, message, text };
}

function isGrpc(s: StreamInfo): boolean {
  return (s.contentType ?? '').startsWith('application/grpc');
}

function compact(v: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
  } catch {
    s = '';
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export class GrpcConnection extends H2Connection {
  private readonly decodeMessage: MessageDecoder;

  constructor(options: GrpcOptions = {}) {
    super(options);
    this.decodeMessage = typeof options.decodeMessage === 'function' ? options.decodeMessage : protobufMessages(options);
  }

  protected override headers(ev: HeadersEvent): void {
    const s = ev.stream;
    if (!isGrpc(s)) return;
    const f = ev.frame;
    const d = f.decoded as Record<string, unknown>;
    const path = s.path;
    if (path !== undefined) d.path = path;
    const where = path ?? `s${s.id}`;
    const status = header(ev.headers, 'grpc-status');
    const trailers = ev.role === 'trailers' || (ev.role === 'response' && ev.endStream && status !== undefined);
    if (ev.role === 'request') {
      f.summary = `${where} request headers s${s.id}${ev.endStream ? ' END_STREAM' : ''}`;
    } else if (trailers && !this.isClient(ev.dir)) {
      d.kind = 'trailers';
      if (ev.role === 'response') d.trailersOnly = true;
      const st = grpcStatus(ev.headers);
      if (status !== undefined && st.code === null) d.statusText = status;
      d.status = st.code;
      d.statusName = st.name;
      d.message = st.message;
      f.summary = `${where} ${d.trailersOnly ? 'trailers-only' : 'trailers'} s${s.id} ${st.text}`;
      // Pair the call's request headers with its end (status), not its response headers.
      f.pair = { key: `s${s.id}`, role: 'response' };
    } else if (ev.role === 'response') {
      f.summary = `${where} response headers s${s.id} :status ${header(ev.headers, ':status')}`;
      delete f.pair;
    }
    if (d.unverified) f.summary += ' (HPACK unverified)';
  }

  private msgState(s: StreamInfo, dir: Direction): MsgState {
    const g = (s.layer ??= { dirs: {} }) as GrpcStream;
    return (g.dirs[dir] ??= { q: new ByteQueue(), skip: 0, count: 0 });
  }

  protected override data(dir: Direction, s: StreamInfo, h: FrameHeader, raw: Uint8Array, start: number, end: number, endStream: boolean, out: Frame[]): void {
    if (!isGrpc(s)) return super.data(dir, s, h, raw, start, end, endStream, out);
    const m = this.msgState(s, dir);
    const before = out.length;
    let pos = start;
    if (m.skip > 0) {
      const n = Math.min(m.skip, end - pos);
      m.skip -= n;
      pos += n;
    }
    const empty = pos === end;
    if (m.q.length === 0) {
      // Nothing buffered: whole messages are read straight from the frame.
      while (end - pos >= 5) {
        const len = raw[pos + 1] * 2 ** 24 + ((raw[pos + 2] << 16) | (raw[pos + 3] << 8) | raw[pos + 4]);
        if (len > this.maxFrame || end - pos - 5 < len) break;
        out.push(this.message(dir, s, m, raw[pos], raw.subarray(pos, pos + 5 + len)));
        pos += 5 + len;
      }
    }
    if (pos < end) {
      m.q.push(raw.subarray(pos, end));
      this.extract(dir, s, m, out);
    }
    if (endStream && out.length === before && m.q.length === 0 && empty) {
      const who = this.isClient(dir) ? 'client' : 'server';
      out.push({
        dir,
        data: raw,
        summary: `${s.path ?? `s${s.id}`} end of ${who} stream s${s.id}`,
        decoded: { kind: 'end-stream', stream: s.id, path: s.path ?? null },
      });
    }
  }

  private extract(dir: Direction, s: StreamInfo, m: MsgState, out: Frame[]): void {
    while (m.q.length >= 5) {
      const head = m.q.peek(5);
      const flag = head[0];
      const len = head[1] * 2 ** 24 + ((head[2] << 16) | (head[3] << 8) | head[4]);
      if (len > this.maxFrame) {
        const prefix = m.q.take(5);
        const skipped = m.q.skip(len);
        m.skip = len - skipped;
        out.push(this.errorFrame(dir, prefix, `${s.path ?? `s${s.id}`} gRPC message of ${len} bytes exceeds maxFrame (${this.maxFrame}); skipped`));
        continue;
      }
      if (m.q.length < 5 + len) return;
      out.push(this.message(dir, s, m, flag, m.q.take(5 + len)));
    }
  }

  private message(dir: Direction, s: StreamInfo, m: MsgState, flag: number, wire: Uint8Array): Frame {
    const isReq = this.isClient(dir);
    const index = ++m.count;
    const path = s.path ?? null;
    const decoded: Record<string, unknown> = {
      kind: 'message',
      stream: s.id,
      path,
      dir: isReq ? 'request' : 'response',
      index,
      compressed: flag !== 0,
      message: null,
    };
    const frame: Frame = { dir, data: wire, summary: '', decoded, payload: { start: 5, end: wire.length } };
    let bytes: Uint8Array | undefined = wire.subarray(5);
    if (flag > 1) frame.error = `invalid gRPC compressed flag ${flag}`;
    if (flag === 1) {
      const enc = (s.encoding[dir] ?? 'identity').toLowerCase();
      try {
        if (enc === 'gzip') bytes = gunzipSync(bytes, { maxOutputLength: this.maxFrame });
        else if (enc === 'deflate') bytes = inflateSync(bytes, { maxOutputLength: this.maxFrame });
        else {
          frame.error = `message is compressed but grpc-encoding is ${enc}`;
          bytes = undefined;
        }
      } catch (e) {
        const msg = (e as Error).message;
        frame.error = /maxOutputLength|Cannot create a Buffer|RangeError/i.test(msg + (e as Error).name)
          ? `${enc} message inflates past maxFrame (${this.maxFrame} bytes)`
          : `${enc}: ${msg}`;
        bytes = undefined;
      }
      decoded.encoding = enc;
      if (bytes) decoded.raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    }
    let body = '';
    if (bytes && flag <= 1) {
      let r: MessageDecoding;
      try {
        const ctx: GrpcMessageContext = { path: s.path, dir: isReq ? 'request' : 'response' };
        r = (s.contentType ?? '').startsWith('application/grpc+json') ? jsonMessage(bytes) : this.decodeMessage(bytes, ctx);
      } catch (e) {
        r = { decoded: null, error: (e as Error).message };
      }
      decoded.message = r.decoded ?? null;
      if (r.error) decoded.messageError = r.error;
      // A typed message's ranges (uncompressed: its bytes are the frame's from byte 5). Others
      // get theirs when shown (../core/ranges-on-demand.ts).
      if (flag === 0 && r.ranges) {
        frame.ranges = [{ path: '/message', start: 5, end: wire.length }, ...r.ranges.map((x) => ({ path: `/message${x.path}`, start: x.start + 5, end: x.end + 5 }))];
      }
      body = ' ' + (r.summary ?? compact(r.decoded)) + (r.error ? ` (${r.error})` : '');
    }
    const size = bytes ? bytes.length : wire.length - 5;
    frame.summary = `${path ?? `s${s.id}`} ${isReq ? 'request' : 'response'} #${index} ${size} bytes${flag === 1 ? ' (compressed)' : ''}${body}`;
    return frame;
  }

  protected override flushStream(dir: Direction, s: StreamInfo, _final: boolean): Frame[] {
    const g = s.layer as GrpcStream | undefined;
    const m = g?.dirs[dir];
    if (!m || m.q.length === 0) return [];
    const left = m.q.takeAll();
    let need = '';
    if (left.length >= 5) need = ` of ${5 + (left[1] * 2 ** 24 + ((left[2] << 16) | (left[3] << 8) | left[4]))}`;
    return [this.errorFrame(dir, left, `${s.path ?? `s${s.id}`} truncated gRPC message: ${left.length}${need} bytes when the stream ended`)];
  }
}

export const grpcDecoder: DecoderInfo = {
  name: 'grpc',
  description: 'gRPC over HTTP/2: messages (gzip inflated), headers, trailers with status; other HTTP/2 streams as http2 frames',
  sniff: sniffHttp2,
  priority: 6,
  create: (options) => new GrpcConnection(options as GrpcOptions),
};

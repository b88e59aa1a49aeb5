// Sending one edited gRPC unary call on a fresh HTTP/2 connection: the client preface, an empty
// SETTINGS, the request's headers (HPACK literals, so nothing depends on the captured
// connection's header table) and the message in DATA frames ending the stream; SETTINGS and PING
// from the server are acknowledged. Both directions go to the session as a new connection (so the
// answer is decoded like any capture) until the server ends the stream, resets it or goes away.
import type { Session } from '../session';
import type { FrameRow } from '../types';
import { UserError } from '../util/errors';
import { compareFrames, openTarget, type Comparison, type ReplayTarget } from './replay';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const MAX_FRAME = 16384;
/** The peer's initial flow-control window: a message beyond it would need WINDOW_UPDATEs. */
const INITIAL_WINDOW = 65535;

function frame(type: number, flags: number, stream: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1). */
function hpackInt(first: number, n: number, v: number): number[] {
  const max = (1 << n) - 1;
  if (v < max) return [first | v];
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function hpackString(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...hpackInt(0, 7, b.length), ...b];
}

/** A header block of literals without indexing (new names), in the order given. */
export function hpackLiterals(headers: [string, string][]): Buffer {
  const out: number[] = [];
  for (const [k, v] of headers) out.push(0x00, ...hpackString(k.toLowerCase()), ...hpackString(v));
  return Buffer.from(out);
}

export interface GrpcSendOptions {
  to: ReplayTarget;
  /** The captured request's headers (pseudo-headers first, as captured). */
  headers: [string, string][];
  /** The gRPC message (5-byte prefix and body). */
  message: Uint8Array;
  session: Session;
  timeoutMs: number;
  /** The original answer on the captured stream (headers, messages, trailers), to compare with. */
  original: FrameRow[];
  label: string;
}

export interface GrpcSendResult {
  conn: number;
  comparisons: Comparison[];
  notes: string[];
}

const STREAM = 1;
const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 };

export async function sendGrpcCall(opts: GrpcSendOptions): Promise<GrpcSendResult> {
  if (opts.to.kind === 'fifo' || opts.to.kind === 'exec') throw new UserError('a gRPC call is sent over a socket: --to unix:PATH or tcp:HOST:PORT');
  if (opts.message.length > INITIAL_WINDOW)
    throw new UserError(`the edited message (${opts.message.length} bytes) is larger than HTTP/2's initial window (${INITIAL_WINDOW}); send a smaller one`);
  const headers = opts.headers.filter(([k]) => !/^(content-length|connection|te)$/i.test(k));
  if (!headers.some(([k]) => k === ':path')) throw new UserError('the captured request has no :path header');
  headers.push(['te', 'trailers']);
  const block = hpackLiterals(headers);
  if (block.length > MAX_FRAME) throw new UserError('the request headers do not fit one HEADERS frame');
  const session = opts.session;
  const sink = session.sink;
  const conn = sink.newConn();
  const notes: string[] = [];
  const replayed: FrameRow[] = [];
  const unsubscribe = session.onRow((row) => {
    if (row.type === 'frame' && row.conn === conn && row.dir === 's2c') replayed.push(row);
  });
  const target = await openTarget(opts.to);
  const socket = target.socket!;
  const toText = opts.to.kind === 'tcp' ? `tcp:${opts.to.host}:${opts.to.port}` : `unix:${opts.to.path}`;
  sink.event({ kind: 'open', conn, tap: `replay:${toText}`, to: toText, message: opts.label });
  const send = async (b: Buffer) => {
    await target.write(b);
    sink.chunk(conn, 'c2s', b);
  };
  let done: () => void = () => {};
  const finished = new Promise<void>((res) => (done = res));
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    sink.chunk(conn, 's2c', d);
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const type = buf[3]!;
      const flags = buf[4]!;
      const stream = buf.readUInt32BE(5) & 0x7fffffff;
      const payload = buf.subarray(9, 9 + len);
      buf = buf.subarray(9 + len);
      if (type === T.SETTINGS && !(flags & 1)) void send(frame(T.SETTINGS, 1, 0)).catch(() => {});
      else if (type === T.PING && !(flags & 1)) void send(frame(T.PING, 1, 0, payload)).catch(() => {});
      else if (type === T.GOAWAY) {
        notes.push(`the server went away (error code ${payload.length >= 8 ? payload.readUInt32BE(4) : '?'})`);
        done();
      } else if (stream === STREAM && type === T.RST_STREAM) {
        notes.push(`the server reset the stream (error code ${payload.length >= 4 ? payload.readUInt32BE(0) : '?'})`);
        done();
      } else if (stream === STREAM && (type === T.HEADERS || type === T.DATA) && flags & 1) done();
    }
  });
  socket.on('close', () => done());
  socket.on('error', (e) => notes.push(`connection error: ${e.message}`));
  const timer = setTimeout(() => {
    notes.push(`timed out after ${opts.timeoutMs} ms waiting for the answer`);
    done();
  }, opts.timeoutMs);
  try {
    await send(Buffer.concat([PREFACE, frame(T.SETTINGS, 0, 0), frame(T.HEADERS, 4, STREAM, block)]));
    const m = opts.message;
    for (let at = 0; ; at += MAX_FRAME) {
      const last = at + MAX_FRAME >= m.length;
      await send(frame(T.DATA, last ? 1 : 0, STREAM, m.subarray(at, at + MAX_FRAME)));
      if (last) break;
    }
    await finished;
    if (!socket.destroyed) await send(frame(T.GOAWAY, 0, 0, Buffer.alloc(8))).catch(() => {});
  } finally {
    clearTimeout(timer);
    sink.event({ kind: 'half-close', conn, dir: 'c2s' });
    await target.close();
    sink.event({ kind: 'close', conn, reason: 'eof' });
    await new Promise((r) => setImmediate(r));
    await session.decodeQueued();
    unsubscribe();
  }
  // The answer's messages and trailers on stream 1 against the original's on its stream, in order
  // (streams are numbered differently: compared by position, not by pairing key; response
  // headers carry a date, so they are not compared).
  const onStream = (rows: FrameRow[], id: number) =>
    rows
      .filter((r) => (r.decoded as { stream?: unknown } | null)?.stream === id && ['message', 'trailers'].includes(String((r.decoded as { kind?: string }).kind)))
      .map((r) => ({ ...r, pair: undefined }));
  const origStream = (opts.original[0]?.decoded as { stream?: number } | null)?.stream ?? -1;
  return { conn, comparisons: compareFrames(onStream(opts.original, origStream), onStream(replayed, STREAM)), notes };
}

// Sending an edited gRPC call on a fresh HTTP/2 connection: the client preface, SETTINGS opening
// our receive window wide (a large answer is never held up by us), the request's headers (HPACK
// literals, so nothing depends on the captured connection's header table) and the call's request
// messages — the edited one in place of the captured one, the others as captured, in order — in
// DATA frames no larger than the server's maximum frame size and within its flow-control windows
// (SETTINGS_INITIAL_WINDOW_SIZE and WINDOW_UPDATE honoured), the last one ending the stream.
// A streaming call captured in turns is sent in turns: before request message k, we wait until
// the server has answered on our stream as many messages as it had before request k in the
// capture. If it has not by the call's deadline, the rest is not sent, a note says which message
// waited for which answer, and the stream is cancelled (RST_STREAM CANCEL); if the server ends
// the call first (its trailers: the note gives their status), resets the stream, goes away or
// closes the connection, the rest is not sent either and the note says which of these it was.
// SETTINGS and PING from the server are acknowledged. Both directions go to the session as a new
// connection (so the answer is decoded like any capture) until the server ends the stream (its
// trailers), resets it or goes away.
import { errorName } from '../decoders/http2/frame-types';
import { grpcStatus } from '../decoders/http2/grpc';
import { HpackDecoder } from '../decoders/http2/hpack';
import type { Session } from '../session';
import type { FrameRow } from '../types';
import { UserError } from '../util/errors';
import { compareFrames, openTarget, type Comparison, type ReplayTarget } from './replay';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** HTTP/2's defaults until the server's SETTINGS say otherwise (RFC 9113 6.5.2). */
const DEFAULT_MAX_FRAME = 16384;
const DEFAULT_WINDOW = 65535;
/** The largest flow-control window (2^31-1): what we offer the server. */
const MAX_WINDOW = 0x7fffffff;

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
  /** The call's request messages in order (each a 5-byte prefix and body). */
  messages: Uint8Array[];
  session: Session;
  timeoutMs: number;
  /** The original answer on the captured stream (headers, messages, trailers), to compare with. */
  original: FrameRow[];
  label: string;
  /** For each request message, how many response messages the server had sent on the captured
   *  stream before it (see answersBefore): message k waits for as many on ours. Absent or all 0:
   *  every message at once. */
  answersBefore?: number[];
}

export interface GrpcSendResult {
  conn: number;
  /** The request messages sent (all of them, unless the server stopped answering). */
  sent: number;
  comparisons: Comparison[];
  notes: string[];
}

const isMessage = (r: FrameRow) => (r.decoded as { kind?: unknown } | null)?.kind === 'message';

/** For each of a call's captured request messages, how many of the server's messages on the same
 *  stream (`answers`: its rows there) came before it — by row id, the order the tap saw them. */
export function answersBefore(requests: FrameRow[], answers: FrameRow[]): number[] {
  const ids = answers.filter(isMessage).map((r) => r.id);
  return requests.map((q) => ids.filter((id) => id < q.id).length);
}

/** Counts the gRPC messages (a 5-byte prefix with the body's length, then the body) in a stream's
 *  DATA payloads, which may cut a message anywhere. */
export class MessageCounter {
  count = 0;
  private head: number[] = [];
  private body = 0;
  push(b: Uint8Array): void {
    for (let i = 0; i < b.length;) {
      if (this.body > 0) {
        const n = Math.min(this.body, b.length - i);
        this.body -= n;
        i += n;
        if (this.body === 0) this.count++;
        continue;
      }
      this.head.push(b[i++]!);
      if (this.head.length < 5) continue;
      const [, a = 0, c = 0, d = 0, e = 0] = this.head;
      this.head = [];
      this.body = a * 0x1000000 + (c << 16) + (d << 8) + e;
      if (this.body === 0) this.count++;
    }
  }
}

const STREAM = 1;
const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 };
const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 };
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
const NO_ERROR = 0x0;
const CANCEL = 0x8;

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

function settingsPayload(entries: [number, number][]): Buffer {
  const b = Buffer.alloc(6 * entries.length);
  entries.forEach(([id, v], i) => {
    b.writeUInt16BE(id, i * 6);
    b.writeUInt32BE(v, i * 6 + 2);
  });
  return b;
}

export async function sendGrpcCall(opts: GrpcSendOptions): Promise<GrpcSendResult> {
  if (opts.to.kind === 'fifo' || opts.to.kind === 'exec') throw new UserError('a gRPC call is sent over a socket: --to unix:PATH or tcp:HOST:PORT');
  if (opts.messages.length === 0) throw new UserError('the call has no request message to send');
  const headers = opts.headers.filter(([k]) => !/^(content-length|connection|te)$/i.test(k));
  if (!headers.some(([k]) => k === ':path')) throw new UserError('the captured request has no :path header');
  headers.push(['te', 'trailers']);
  const block = hpackLiterals(headers);
  if (block.length > DEFAULT_MAX_FRAME) throw new UserError('the request headers do not fit one HEADERS frame');
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
  // What the server lets us send: its frame size, the connection's and the stream's windows.
  let maxFrame = DEFAULT_MAX_FRAME;
  let peerInitial = DEFAULT_WINDOW;
  let connWindow = DEFAULT_WINDOW;
  let streamWindow = DEFAULT_WINDOW;
  let ended = false;
  /** How the call ended: the deadline, or the server ending it, resetting it, going away or
   *  closing the connection (`stop` says which, for the notes: the first of them). */
  let timedOut = false;
  let serverEnded = false;
  let serverReset = false;
  let stop: string | undefined;
  let wentAway: string | undefined;
  /** The server's messages on our stream so far (what a paced request message waits for). */
  const answered = new MessageCounter();
  let wake: () => void = () => {};
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((res) => (resolveFinished = res));
  const done = (why?: string) => {
    if (!ended && why) stop = why;
    ended = true;
    resolveFinished();
    wake();
  };
  // The server's header blocks, decoded in order (one HPACK table for the connection): a block
  // ending our stream is the call's trailers, with its status.
  const hpack = new HpackDecoder();
  let headerBlock: { stream: number; endStream: boolean; parts: Buffer[] } | undefined;
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
      // (PADDED: a pad length first, that many bytes of padding last)
      const pad = flags & F.PADDED ? (payload[0] ?? 0) : 0;
      const unpadded = (from: number) => payload.subarray(from, Math.max(from, payload.length - pad));
      if (stream === STREAM && type === T.DATA) {
        answered.push(unpadded(flags & F.PADDED ? 1 : 0));
        wake();
      }
      if (type === T.HEADERS || type === T.CONTINUATION) {
        // (HEADERS: with PRIORITY, 5 bytes of it before the block fragment)
        if (type === T.HEADERS) headerBlock = { stream, endStream: !!(flags & F.END_STREAM), parts: [unpadded((flags & F.PADDED ? 1 : 0) + (flags & F.PRIORITY ? 5 : 0))] };
        else headerBlock?.parts.push(payload);
        if (headerBlock && flags & F.END_HEADERS) {
          const headers = hpack.decode(Buffer.concat(headerBlock.parts)).headers;
          if (headerBlock.stream === STREAM && headerBlock.endStream) {
            serverEnded = true;
            done(`the server ended the call (${grpcStatus(headers).text})`);
          }
          headerBlock = undefined;
        }
      }
      if (type === T.SETTINGS && !(flags & F.ACK)) {
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          const id = payload.readUInt16BE(at);
          const v = payload.readUInt32BE(at + 2);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
            streamWindow += v - peerInitial;
            peerInitial = v;
          } else if (id === SETTINGS_MAX_FRAME_SIZE) maxFrame = v;
        }
        void send(frame(T.SETTINGS, 1, 0)).catch(() => {});
        wake();
      } else if (type === T.WINDOW_UPDATE && payload.length >= 4) {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (stream === 0) connWindow += inc;
        else if (stream === STREAM) streamWindow += inc;
        wake();
      } else if (type === T.PING && !(flags & F.ACK)) void send(frame(T.PING, 1, 0, payload)).catch(() => {});
      else if (type === T.GOAWAY) {
        // Going away: a server shutting down gracefully still finishes the calls up to the last
        // stream it names, ours among them (the connection closing ends it otherwise). (After the
        // call ended, going away is the server answering our GOAWAY.)
        const debug = payload.subarray(8).toString('utf8');
        wentAway = `the server went away (GOAWAY ${payload.length >= 8 ? errorName(payload.readUInt32BE(4)) : '?'}${debug ? `: ${debug}` : ''})`;
        if (payload.length < 8 || (payload.readUInt32BE(0) & 0x7fffffff) < STREAM) done(wentAway);
      } else if (stream === STREAM && type === T.RST_STREAM) {
        serverReset = true;
        done(`the server reset the stream (RST_STREAM ${payload.length >= 4 ? errorName(payload.readUInt32BE(0)) : '?'})`);
      } else if (stream === STREAM && type === T.DATA && flags & F.END_STREAM) {
        serverEnded = true;
        done('the server ended the call without trailers');
      }
    }
  });
  socket.on('close', () => done(wentAway ? `${wentAway} and closed the connection` : 'the server closed the connection'));
  // (an error ends the connection: 'close' follows; one after the call ended, such as our GOAWAY
  // to a server that has gone, changes nothing)
  socket.on('error', (e) => done(`the connection failed (${e.message})`));
  const total = opts.messages.length;
  const need = opts.answersBefore ?? [];
  let sent = 0;
  /** A note saying which request message was not sent, waiting for which answer. */
  let unsent: string | undefined;
  let halfClosed = false;
  const timer = setTimeout(() => {
    timedOut = true;
    done();
  }, opts.timeoutMs);
  // Bytes (whole messages, or several) as the server's windows allow: true when all went.
  const sendBody = async (body: Buffer, end: boolean): Promise<boolean> => {
    for (let at = 0; at < body.length;) {
      if (ended) return false;
      const room = Math.min(maxFrame, connWindow, streamWindow);
      if (room <= 0) {
        await new Promise<void>((res) => (wake = res));
        continue;
      }
      const n = Math.min(room, body.length - at);
      const last = at + n >= body.length;
      connWindow -= n;
      streamWindow -= n;
      await send(frame(T.DATA, last && end ? 1 : 0, STREAM, body.subarray(at, at + n)));
      at += n;
      if (!last) await new Promise((r) => setImmediate(r)); // (lets WINDOW_UPDATEs in between)
    }
    if (end) halfClosed = true;
    return true;
  };
  try {
    // (our window: as large as HTTP/2 allows, for the stream by SETTINGS, for the connection by
    // WINDOW_UPDATE, so the server never waits on us)
    const settings = frame(T.SETTINGS, 0, 0, settingsPayload([[SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW]]));
    const inc = Buffer.alloc(4);
    inc.writeUInt32BE(MAX_WINDOW - DEFAULT_WINDOW);
    await send(Buffer.concat([PREFACE, settings, frame(T.WINDOW_UPDATE, 0, 0, inc), frame(T.HEADERS, 4, STREAM, block)]));
    // The messages in turns: each run of messages the server has answered enough for as one byte
    // sequence (a message may span DATA frames, a frame may hold several).
    while (sent < total && !ended) {
      const want = need[sent] ?? 0;
      if (answered.count < want) {
        const since = Date.now();
        while (answered.count < want && !ended) await new Promise<void>((res) => (wake = res));
        if (answered.count < want) {
          const which = want - answered.count === 1 ? `answer ${want}` : `answers ${answered.count + 1} to ${want}`;
          unsent = timedOut
            ? `waited ${Date.now() - since} ms for the server's ${which} before sending request ${sent + 1} (time limit ${opts.timeoutMs} ms)`
            : `${stop ?? 'the call ended'} before its ${which}, so request ${sent + 1} was not sent`;
          break;
        }
      }
      let upTo = sent + 1;
      while (upTo < total && (need[upTo] ?? 0) <= answered.count) upTo++;
      if (!(await sendBody(Buffer.concat(opts.messages.slice(sent, upTo)), upTo === total))) break;
      sent = upTo;
    }
    await finished;
    // One note on how the call ended, unless with its trailers after every request message.
    const count = total > 1 && sent < total ? `; ${sent} of ${total} request messages sent` : '';
    if (unsent) notes.push(unsent + count);
    else if (timedOut) notes.push(`timed out after ${opts.timeoutMs} ms waiting for the answer${count}`);
    else if (sent < total) notes.push(`${stop ?? 'the call ended'} before every request message was sent${count}`);
    else if (!serverEnded && stop) notes.push(stop);
    if (!socket.destroyed) {
      // (a call we stopped short of its end: cancelled if the server was still at it)
      if (!halfClosed && !serverReset) await send(frame(T.RST_STREAM, 0, STREAM, u32(serverEnded ? NO_ERROR : CANCEL))).catch(() => {});
      await send(frame(T.GOAWAY, 0, 0, Buffer.alloc(8))).catch(() => {});
    }
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
  // (streams are numbered differently: compared by position, not by pairing key, and without
  // the stream number; response headers carry a date, so they are not compared).
  const onStream = (rows: FrameRow[], id: number) =>
    rows
      .filter((r) => (r.decoded as { stream?: unknown } | null)?.stream === id && ['message', 'trailers'].includes(String((r.decoded as { kind?: string }).kind)))
      .map((r) => ({ ...r, pair: undefined, decoded: { ...(r.decoded as object), stream: undefined } }));
  const origStream = (opts.original[0]?.decoded as { stream?: number } | null)?.stream ?? -1;
  return { conn, sent, comparisons: compareFrames(onStream(opts.original, origStream), onStream(replayed, STREAM)), notes };
}

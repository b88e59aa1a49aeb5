// One HTTP/2 connection, sans-IO: bytes per direction in, frames out. Splits each direction into
// frames, joins header blocks across CONTINUATION and decodes them with that direction's single
// HPACK decoder (shared by all streams, in wire order), tracks streams, and renders control
// frames. A layer above (gRPC) subclasses it and takes over DATA and header rendering.
import type { ConnDecoder, DecoderOptions } from '../core/decoder';
import { DEFAULT_MAX_FRAME } from '../core/decoder';
import { maskHeaders, showSecrets } from '../core/secrets';
import type { Direction, Frame } from '../../types';
import { concatBytes } from '../core/bytes';
import { ByteQueue, passOversized } from '../core/byte-queue';
import { decodeControl } from './control';
import { FLAG, FRAME_HEADER_LEN, PREFACE, T, parseFrameHeader, plausibleHeader, typeName, u32, type FrameHeader } from './frame-types';
import { HpackDecoder, type HeaderPair } from './hpack';
import { StreamTable, type StreamInfo } from './streams';
import { pushAll } from '../../util/arrays';

/** How far a mid-stream capture is scanned for a frame boundary before bytes are given up. */
const SYNC_WINDOW = 64 * 1024;

interface Block {
  type: number;
  stream: number;
  flags: number;
  promised?: number;
  fragments: Uint8Array[];
  raws: Uint8Array[];
  size: number;
}

interface DirState {
  q: ByteQueue;
  phase: 'start' | 'sync' | 'frames';
  hpack: HpackDecoder;
  block?: Block;
  /** Bytes of an oversized frame still to be skipped. */
  skip: number;
  frames: number;
  /** Sync scan resumes here (earlier offsets were ruled out). */
  syncPos: number;
}

export type HeaderRole = 'request' | 'response' | 'informational' | 'trailers' | 'push-promise';

export interface HeadersEvent {
  dir: Direction;
  stream: StreamInfo;
  role: HeaderRole;
  headers: HeaderPair[];
  endStream: boolean;
  frame: Frame;
}

export function header(headers: HeaderPair[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i++) if (headers[i][0] === name) return headers[i][1];
  return undefined;
}

export class H2Connection implements ConnDecoder {
  protected readonly maxFrame: number;
  protected readonly streams = new StreamTable();
  private readonly dirs = new Map<Direction, DirState>();
  private clientDir?: Direction;
  private sawPreface = false;

  /** Credentials in header fields shown as sent (see ../secrets.ts). */
  private readonly showSecrets: boolean;

  constructor(options: DecoderOptions = {}) {
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.showSecrets = showSecrets(options);
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    const out: Frame[] = [];
    try {
      const st = this.state(dir);
      st.q.push(bytes);
      this.run(dir, st, out, false);
    } catch (e) {
      // Defensive: a bug must not take the session down. Give the bytes back as an error frame.
      out.push(this.errorFrame(dir, this.state(dir).q.takeAll(), `http2 decoder failure: ${(e as Error).message}`));
    }
    return oneLine(out);
  }

  end(dir: Direction): Frame[] {
    const out: Frame[] = [];
    try {
      const st = this.state(dir);
      this.run(dir, st, out, true);
      if (st.block) {
        out.push(this.errorFrame(dir, concatBytes(st.block.raws), `header block on s${st.block.stream} never ended (no END_HEADERS)`));
        st.block = undefined;
      }
      if (st.q.length > 0) {
        const left = st.q.takeAll();
        out.push(this.errorFrame(dir, left, `truncated ${st.phase === 'frames' ? 'frame' : 'data'}: ${left.length} bytes at end of stream`));
      }
      for (const s of this.streams.all()) pushAll(out, this.flushStream(dir, s, true));
    } catch (e) {
      out.push(this.errorFrame(dir, new Uint8Array(0), `http2 decoder failure: ${(e as Error).message}`));
    }
    return oneLine(out);
  }

  /** Whether `dir` is the client side (sent the preface; or c2s/stdin when no preface was seen). */
  protected isClient(dir: Direction): boolean {
    return this.clientDir ? dir === this.clientDir : dir === 'c2s' || dir === 'stdin';
  }

  private state(dir: Direction): DirState {
    let st = this.dirs.get(dir);
    if (!st) {
      st = { q: new ByteQueue(), phase: 'start', hpack: new HpackDecoder(), skip: 0, frames: 0, syncPos: 0 };
      this.dirs.set(dir, st);
    }
    return st;
  }

  protected errorFrame(dir: Direction, data: Uint8Array, error: string, decoded: unknown = { kind: 'error' }): Frame {
    return { dir, data, summary: error, decoded, error };
  }

  private run(dir: Direction, st: DirState, out: Frame[], ending: boolean): void {
    if (st.phase === 'start' && !this.start(dir, st, out, ending)) return;
    if (st.phase === 'sync' && !this.sync(dir, st, out, ending)) return;
    for (;;) {
      if (st.skip > 0) {
        if (!passOversized(dir, st, this.maxFrame, out)) return;
        continue;
      }
      if (st.q.length < FRAME_HEADER_LEN) return;
      const h = parseFrameHeader(st.q.front(FRAME_HEADER_LEN), st.q.frontOffset);
      if (h.length > this.maxFrame) {
        if (st.block) this.interruptBlock(dir, st, out, `an oversized ${typeName(h.type)} frame`);
        out.push(this.errorFrame(dir, st.q.take(FRAME_HEADER_LEN), `${typeName(h.type)} frame of ${h.length} bytes exceeds maxFrame (${this.maxFrame}); not decoded`));
        st.skip = h.length;
        if (h.type === T.HEADERS || h.type === T.CONTINUATION || h.type === T.PUSH_PROMISE) st.hpack.markLost('a skipped header block');
        continue;
      }
      if (st.q.length < FRAME_HEADER_LEN + h.length) return;
      const raw = st.q.take(FRAME_HEADER_LEN + h.length);
      st.frames++;
      this.frame(dir, st, h, raw, out);
    }
  }

  /** Connection start: the client preface, or a server's first SETTINGS, or a mid-stream start. */
  private start(dir: Direction, st: DirState, out: Frame[], ending: boolean): boolean {
    const n = Math.min(st.q.length, PREFACE.length);
    const head = st.q.peek(n);
    let prefix = true;
    for (let i = 0; i < n; i++)
      if (head[i] !== PREFACE[i]) {
        prefix = false;
        break;
      }
    if (prefix && n < PREFACE.length) {
      if (ending && n > 0) out.push(this.errorFrame(dir, st.q.takeAll(), 'truncated HTTP/2 client preface'));
      return false;
    }
    if (prefix) {
      out.push({ dir, data: st.q.take(PREFACE.length), summary: 'HTTP/2 client preface', decoded: { kind: 'preface' } });
      this.clientDir = dir;
      this.sawPreface = true;
      st.phase = 'frames';
      return true;
    }
    if (st.q.length < FRAME_HEADER_LEN) {
      if (ending) st.phase = 'sync';
      return ending;
    }
    const h9 = st.q.peek(FRAME_HEADER_LEN);
    const h = parseFrameHeader(h9);
    if (h.type === T.SETTINGS && h.flags === 0 && plausibleHeader(h, h9)) {
      // A peer's first SETTINGS: the connection is seen from its start.
      st.phase = 'frames';
      return true;
    }
    // Mid-stream: the peer's HPACK table holds entries we never saw.
    if (!this.sawPreface) st.hpack = new HpackDecoder({ fromStart: false });
    st.phase = 'sync';
    return true;
  }

  /** Find a frame boundary: a plausible header followed by another plausible header. */
  private sync(dir: Direction, st: DirState, out: Frame[], ending: boolean): boolean {
    const avail = Math.min(st.q.length, SYNC_WINDOW + 2 * FRAME_HEADER_LEN + 16384);
    const buf = st.q.peek(avail);
    let found = -1;
    let waiting = false;
    let i = st.syncPos;
    for (; i + FRAME_HEADER_LEN <= avail && i <= SYNC_WINDOW; i++) {
      const h = parseFrameHeader(buf.subarray(i, i + FRAME_HEADER_LEN));
      if (!plausibleHeader(h, buf.subarray(i, i + FRAME_HEADER_LEN))) continue;
      const next = i + FRAME_HEADER_LEN + h.length;
      if (next + FRAME_HEADER_LEN <= avail) {
        const h2b = buf.subarray(next, next + FRAME_HEADER_LEN);
        if (plausibleHeader(parseFrameHeader(h2b), h2b)) {
          found = i;
          break;
        }
      } else if (next === avail && ending) {
        found = i;
        break;
      } else {
        waiting = !ending;
        if (waiting) break;
      }
    }
    st.syncPos = found < 0 ? i : 0; // positions before i were ruled out: resume there
    if (found < 0 && waiting && st.q.length < SYNC_WINDOW) return false;
    if (found < 0) {
      if (!ending && avail < SYNC_WINDOW) return false;
      const drop = ending ? st.q.length : Math.max(0, avail - FRAME_HEADER_LEN - 16384);
      if (drop > 0) out.push(this.errorFrame(dir, st.q.take(drop), `no HTTP/2 frame boundary found in ${drop} bytes (capture started mid-stream?)`));
      st.syncPos = Math.max(0, st.syncPos - drop);
      return false;
    }
    if (found > 0) out.push(this.errorFrame(dir, st.q.take(found), `skipped ${found} bytes before the first HTTP/2 frame boundary (capture started mid-stream)`));
    st.phase = 'frames';
    return true;
  }

  private frame(dir: Direction, st: DirState, h: FrameHeader, raw: Uint8Array, out: Frame[]): void {
    if (st.block && !(h.type === T.CONTINUATION && h.stream === st.block.stream)) this.interruptBlock(dir, st, out, typeName(h.type));
    switch (h.type) {
      case T.DATA: {
        // The body is raw[FRAME_HEADER_LEN + start, raw.length - pad) (frame coordinates).
        const pad = padding(h, raw, 0);
        if (typeof pad === 'string') return void out.push(this.errorFrame(dir, raw, `DATA s${h.stream}: ${pad}`));
        const s = this.streams.get(h.stream);
        const endStream = (h.flags & FLAG.END_STREAM) !== 0;
        this.data(dir, s, h, raw, FRAME_HEADER_LEN + (h.flags & FLAG.PADDED ? 1 : 0), raw.length - pad, endStream, out);
        if (endStream) this.endStream(dir, s, out);
        return;
      }
      case T.HEADERS:
      case T.PUSH_PROMISE: {
        const extra = h.type === T.PUSH_PROMISE ? 4 : h.flags & FLAG.PRIORITY ? 5 : 0;
        const pad = padding(h, raw, extra);
        if (typeof pad === 'string') {
          st.hpack.markLost('an undecodable header block');
          return void out.push(this.errorFrame(dir, raw, `${typeName(h.type)} s${h.stream}: ${pad}`));
        }
        const start = FRAME_HEADER_LEN + (h.flags & FLAG.PADDED ? 1 : 0) + extra;
        const end = raw.length - pad;
        const block: Block = { type: h.type, stream: h.stream, flags: h.flags, fragments: [raw.subarray(start, end)], raws: [raw], size: end - start };
        if (h.type === T.PUSH_PROMISE) block.promised = u32(raw, start - 4) & 0x7fffffff;
        if (h.flags & FLAG.END_HEADERS) this.finishBlock(dir, st, block, out);
        else st.block = block;
        return;
      }
      case T.CONTINUATION: {
        const b = st.block;
        if (!b) {
          st.hpack.markLost('a header block whose start was not captured');
          return void out.push(this.errorFrame(dir, raw, `CONTINUATION s${h.stream} without its HEADERS (block start not captured)`));
        }
        b.fragments.push(raw.subarray(FRAME_HEADER_LEN));
        b.raws.push(raw);
        b.size += raw.length - FRAME_HEADER_LEN;
        if (b.size > this.maxFrame) {
          st.block = undefined;
          st.hpack.markLost('an oversized header block');
          return void out.push(this.errorFrame(dir, concatBytes(b.raws), `header block on s${b.stream} exceeds maxFrame (${this.maxFrame})`));
        }
        if (h.flags & FLAG.END_HEADERS) {
          st.block = undefined;
          this.finishBlock(dir, st, b, out);
        }
        return;
      }
      default: {
        const c = decodeControl(h, raw.subarray(FRAME_HEADER_LEN));
        const f: Frame = { dir, data: raw, summary: c.summary, decoded: c.decoded };
        if (c.error) f.error = c.error;
        out.push(f);
        if (h.type === T.RST_STREAM && h.stream !== 0 && !c.error) {
          const s = this.streams.get(h.stream);
          s.reset = true;
          for (const d of this.dirs.keys()) pushAll(out, this.flushStream(d, s, true));
        }
      }
    }
  }

  private interruptBlock(dir: Direction, st: DirState, out: Frame[], by: string): void {
    if (!st.block) return;
    out.push(this.errorFrame(dir, concatBytes(st.block.raws), `header block on s${st.block.stream} interrupted by ${by} (protocol error)`));
    st.hpack.markLost('an interrupted header block');
    st.block = undefined;
  }

  private endStream(dir: Direction, s: StreamInfo, out: Frame[]): void {
    s.ended[dir] = true;
    pushAll(out, this.flushStream(dir, s, true));
  }

  private finishBlock(dir: Direction, st: DirState, b: Block, out: Frame[]): void {
    const res = st.hpack.decode(concatBytes(b.fragments));
    const data = concatBytes(b.raws);
    const s = this.streams.get(b.stream);
    const endStream = b.type === T.HEADERS && (b.flags & FLAG.END_STREAM) !== 0;
    const headers = res.headers;
    let role: HeaderRole;
    if (b.type === T.PUSH_PROMISE) role = 'push-promise';
    else if (this.isClient(dir)) role = (s.blocks[dir] ?? 0) === 0 ? 'request' : 'trailers';
    else {
      const status = header(headers, ':status');
      if (status !== undefined) role = status.startsWith('1') ? 'informational' : 'response';
      else role = 'trailers';
    }
    s.blocks[dir] = (s.blocks[dir] ?? 0) + 1;
    const shown = this.showSecrets ? { headers, masked: [] } : maskHeaders(headers);
    const decoded: Record<string, unknown> = { kind: 'headers', stream: b.stream, role, endStream, headers: shown.headers };
    if (shown.masked.length) decoded.masked = shown.masked;
    if (b.promised !== undefined) decoded.promised = b.promised;
    if (res.notes.length) decoded.notes = res.notes;
    if (res.neverIndexed.length) decoded.neverIndexed = res.neverIndexed;
    if (res.unverified) decoded.unverified = true;
    const frame: Frame = { dir, data, summary: '', decoded };
    if (res.error) frame.error = `HPACK: ${res.error}`;
    if (role === 'request' || role === 'push-promise') {
      const target = role === 'push-promise' ? this.streams.get(b.promised ?? 0) : s;
      target.method = header(headers, ':method');
      target.path = header(headers, ':path');
      target.authority = header(headers, ':authority');
      target.contentType = header(headers, 'content-type');
      target.encoding[dir] = header(headers, 'grpc-encoding') ?? header(headers, 'content-encoding');
      if (role === 'request') frame.pair = { key: `s${b.stream}`, role: 'request' };
    } else if (role === 'response') {
      s.status = header(headers, ':status');
      if (s.contentType === undefined) s.contentType = header(headers, 'content-type');
      s.encoding[dir] = header(headers, 'grpc-encoding') ?? header(headers, 'content-encoding');
      if (!s.responded) frame.pair = { key: `s${b.stream}`, role: 'response' };
      s.responded = true;
    }
    frame.summary = this.headersSummary(s, role, headers, endStream, res.unverified);
    this.headers({ dir, stream: s, role, headers, endStream, frame });
    out.push(frame);
    if (endStream) this.endStream(dir, s, out);
  }

  private headersSummary(s: StreamInfo, role: HeaderRole, headers: HeaderPair[], endStream: boolean, unverified: boolean): string {
    let text: string;
    if (role === 'request') text = `${header(headers, ':method') ?? '?'} ${header(headers, ':path') ?? '?'}`;
    else if (role === 'response' || role === 'informational') text = `:status ${header(headers, ':status')}`;
    else if (role === 'push-promise') text = `PUSH_PROMISE ${header(headers, ':path') ?? '?'}`;
    else text = `trailers (${headers.length} fields)`;
    return `HEADERS s${s.id} ${text}${endStream ? ' END_STREAM' : ''}${unverified ? ' (HPACK unverified)' : ''}`;
  }

  // ---- hooks for a layer above ----

  /** A decoded header block; a layer may rewrite frame.summary/decoded/pair. */
  protected headers(_ev: HeadersEvent): void {}

  /** A DATA frame's payload is raw[start, end); its frames go to `out`. Plain HTTP/2 renders each DATA frame. */
  protected data(dir: Direction, s: StreamInfo, h: FrameHeader, raw: Uint8Array, start: number, end: number, endStream: boolean, out: Frame[]): void {
    const body = raw.subarray(start, end);
    const decoded: Record<string, unknown> = { kind: 'data', stream: s.id, endStream, length: body.length };
    if (h.flags & FLAG.PADDED) decoded.padding = raw.length - FRAME_HEADER_LEN - 1 - body.length;
    const text = previewText(body);
    if (text !== undefined) decoded.text = text;
    out.push({
      dir,
      data: raw,
      summary: `DATA s${s.id} ${body.length} bytes${endStream ? ' END_STREAM' : ''}${text ? ' ' + JSON.stringify(text.slice(0, 60)) : ''}`,
      decoded,
      payload: { start, end },
    });
  }

  /** The stream ended in `dir` (END_STREAM, RST_STREAM or EOF): flush what a layer buffered. */
  protected flushStream(_dir: Direction, _s: StreamInfo, _final: boolean): Frame[] {
    return [];
  }
}

/**
 * Padding of the frame in raw (header included): the pad length (0 when not PADDED), or what is
 * wrong. `extra` fixed bytes follow the pad length (PUSH_PROMISE's promised id, a priority).
 */
function padding(h: FrameHeader, raw: Uint8Array, extra: number): number | string {
  const len = raw.length - FRAME_HEADER_LEN;
  let start = 0;
  let pad = 0;
  if (h.flags & FLAG.PADDED) {
    if (len < 1) return 'PADDED frame without a pad length';
    pad = raw[FRAME_HEADER_LEN];
    start = 1;
    if (pad + 1 + extra > len) return `padding (${pad}) exceeds the payload (${len})`;
  }
  if (start + extra > len - pad) return `payload too short (${len} bytes)`;
  return pad;
}

/** Summaries are one line whatever the peer sent (CR/LF in a header value, say). */
export function oneLine(frames: Frame[]): Frame[] {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (LINE_BREAK.test(f.summary)) f.summary = f.summary.replace(LINE_BREAKS, (c) => JSON.stringify(c).slice(1, -1));
  }
  return frames;
}
const LINE_BREAK = /[\r\n\u2028\u2029]/;
const LINE_BREAKS = /[\r\n\u2028\u2029]/g;

const BINARY_CONTROL = /[\x00-\x08\x0e-\x1f\x7f]/;

/** Printable UTF-8 text of a body, else undefined (shown up to 1 KiB). */
export function previewText(b: Uint8Array): string | undefined {
  if (b.length === 0) return undefined;
  const slice = b.subarray(0, 1024);
  const s = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('utf8');
  if (BINARY_CONTROL.test(s)) return undefined;
  if (s.includes('\ufffd') && !(b.length > 1024 && s.indexOf('\ufffd') >= s.length - 3)) return undefined;
  return s;
}

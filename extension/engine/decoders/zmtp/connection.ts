// One ZMTP connection, sans-IO. Per direction: the greeting (reassembled from however the peer
// split it), then frames (flags, 1- or 8-byte size, body). Commands become one frame each;
// message parts are gathered until a frame without MORE and become ONE frame:
//   {kind:"message", parts:[base64...], text:[string|null...], delimiter?}
// 3.0-style subscriptions (a SUB socket's one-part message starting 01/00) become
//   {kind:"subscribe"|"cancel", topic, topicBase64}.
import type { ConnDecoder, DecoderOptions } from '../core/decoder';
import { DEFAULT_MAX_FRAME } from '../core/decoder';
import type { Direction, Frame, FieldRange } from '../../types';
import { ByteQueue, passOversized } from '../core/byte-queue';
import { oneLine } from '../http2/connection';
import { decodeCommand } from './commands';
import { showSecrets } from '../core/secrets';
import { detectVersion, parseGreetingV2, parseGreetingV3 } from './greeting';
import { b64, b64At, clip, nodeBuf, partForSummaryAt, printableText, textAt, textOrHex, textOrHexAt } from './parts';

const FLAG_MORE = 1;
const FLAG_LONG = 2;
const FLAG_COMMAND = 4;

/** A part: offsets of its body in the message's wire bytes, and its path ("/parts/i"). The
 *  message's frame takes these objects, in their array, as its ranges. */
type Part = FieldRange;

interface DirState {
  q: ByteQueue;
  phase: 'greeting' | 'v3' | 'v2' | 'raw';
  mechanism: string;
  socketType?: string;
  /** Wire bytes of the message being gathered, and its parts. */
  wire: Uint8Array[];
  wireLen: number;
  parts: Part[];
  /** Drop parts until the end of this message (a part was too large). */
  discarding: boolean;
  /** Bytes of an oversized frame still to skip. */
  skip: number;
  messages: number;
  identitySeen: boolean;
  /** The other direction's state, once it exists (see peer()). */
  peer?: DirState;
}

const ENVELOPE_TYPES = new Set(['REQ', 'REP', 'ROUTER', 'DEALER']);
const SUMMARY_MAX = 160;

const PART_PATHS: string[] = [];
/** "/parts/i" (made once per index). */
function partPath(i: number): string {
  if (i >= 256) return `/parts/${i}`;
  return (PART_PATHS[i] ??= `/parts/${i}`);
}

export class ZmtpConnection implements ConnDecoder {
  private readonly maxFrame: number;
  /** PLAIN credentials shown as sent (see ../secrets.ts). */
  private readonly showSecrets: boolean;
  private readonly dirs = new Map<Direction, DirState>();
  private reqCount = 0;
  private repCount = 0;

  constructor(options: DecoderOptions = {}) {
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.showSecrets = showSecrets(options);
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    const out: Frame[] = [];
    const st = this.state(dir);
    try {
      st.q.push(bytes);
      this.run(dir, st, out);
    } catch (e) {
      out.push(this.error(dir, st.q.takeAll(), `zmtp decoder failure: ${(e as Error).message}`));
      st.phase = 'raw';
    }
    return oneLine(out);
  }

  end(dir: Direction): Frame[] {
    const out: Frame[] = [];
    const st = this.state(dir);
    try {
      this.run(dir, st, out);
      if (st.parts.length > 0 || st.wireLen > 0) {
        out.push(this.error(dir, this.joinWire(st), `incomplete message: ${st.parts.length} part(s) without a final part at end of stream`));
        this.resetMessage(st);
      }
      if (st.q.length > 0) {
        const left = st.q.takeAll();
        const what = st.phase === 'greeting' ? 'greeting' : st.phase === 'raw' ? 'undecoded bytes' : 'frame';
        out.push(this.error(dir, left, `truncated ${what}: ${left.length} bytes at end of stream`));
      }
    } catch (e) {
      out.push(this.error(dir, new Uint8Array(0), `zmtp decoder failure: ${(e as Error).message}`));
    }
    return oneLine(out);
  }

  private state(dir: Direction): DirState {
    let st = this.dirs.get(dir);
    if (!st) {
      st = {
        q: new ByteQueue(),
        phase: 'greeting',
        mechanism: 'NULL',
        wire: [],
        wireLen: 0,
        parts: [],
        discarding: false,
        skip: 0,
        messages: 0,
        identitySeen: false,
        peer: undefined,
      };
      this.dirs.set(dir, st);
    }
    return st;
  }

  /** The first other direction seen (directions are only added, so once found it stays). */
  private peer(dir: Direction, st: DirState): DirState | undefined {
    if (st.peer) return st.peer;
    for (const [d, other] of this.dirs) if (d !== dir) return (st.peer = other);
    return undefined;
  }

  private error(dir: Direction, data: Uint8Array, error: string): Frame {
    return { dir, data, summary: error, decoded: { kind: 'error' }, error };
  }

  private run(dir: Direction, st: DirState, out: Frame[]): void {
    if (st.phase === 'greeting') this.greeting(dir, st, out);
    if (st.phase === 'raw') {
      if (st.q.length > 0) {
        const data = st.q.takeAll();
        out.push({ dir, data, summary: `${data.length} bytes (not decoded: stream not ZMTP 2.0/3.x or out of sync)`, decoded: { kind: 'raw' } });
      }
      return;
    }
    if (st.phase === 'v3' || st.phase === 'v2') this.frames(dir, st, out);
  }

  private greeting(dir: Direction, st: DirState, out: Frame[]): void {
    const v = detectVersion(st.q.peek(Math.min(st.q.length, 11)));
    if (v.kind === 'more') return;
    if (v.kind === 'v1') {
      out.push({
        dir,
        data: new Uint8Array(0),
        summary: 'ZMTP 1.0 (or not ZMTP): shown undecoded',
        decoded: { kind: 'greeting', version: '1.0', decoded: false },
      });
      st.phase = 'raw';
      return;
    }
    if (st.q.length < v.length) return;
    const g = st.q.take(v.length);
    if (v.kind === 'v2') {
      const decoded = parseGreetingV2(g);
      st.socketType = decoded.socketType;
      out.push({ dir, data: g, summary: `greeting ZMTP 2.0 ${decoded.socketType}`, decoded });
      st.phase = 'v2';
      return;
    }
    const decoded = parseGreetingV3(g);
    st.mechanism = decoded.mechanism;
    out.push({
      dir,
      data: g,
      summary: `greeting ZMTP ${decoded.version} ${decoded.mechanism}${decoded.asServer ? ' as-server' : ''}`,
      decoded,
    });
    st.phase = 'v3';
  }

  private frames(dir: Direction, st: DirState, out: Frame[]): void {
    for (;;) {
      if (st.skip > 0) {
        if (!passOversized(dir, st, this.maxFrame, out)) return;
        continue;
      }
      if (st.q.length < 2) return;
      if (st.parts.length === 0 && !st.discarding && this.wholeMessage(dir, st, out)) continue;
      const flags = st.q.byteAt(0);
      const v2 = st.phase === 'v2';
      const invalid = v2 ? (flags & ~(FLAG_MORE | FLAG_LONG)) !== 0 : (flags & ~7) !== 0 || flags === 5 || flags === 7;
      if (invalid) {
        this.flushPartial(dir, st, out, 'message interrupted by invalid frame');
        const data = st.q.takeAll();
        out.push(this.error(dir, data, `invalid ZMTP frame flags 0x${flags.toString(16).padStart(2, '0')}; the rest of this direction is shown undecoded`));
        st.phase = 'raw';
        return;
      }
      const long = (flags & FLAG_LONG) !== 0;
      const hl = long ? 9 : 2;
      if (st.q.length < hl) return;
      const q = st.q;
      const size = long
        ? q.byteAt(1) * 2 ** 56 +
          q.byteAt(2) * 2 ** 48 +
          q.byteAt(3) * 2 ** 40 +
          q.byteAt(4) * 2 ** 32 +
          (q.byteAt(5) * 2 ** 24 + ((q.byteAt(6) << 16) | (q.byteAt(7) << 8) | q.byteAt(8)))
        : q.byteAt(1);
      const command = (flags & FLAG_COMMAND) !== 0;
      const more = (flags & FLAG_MORE) !== 0;
      const msgLimit = command ? this.maxFrame : this.maxFrame - st.wireLen;
      if (size + hl > msgLimit) {
        const header = st.q.take(hl);
        const shown = long ? Buffer.from(header.subarray(1, 9)).readBigUInt64BE().toString() : String(size);
        st.skip = size;
        this.flushPartial(dir, st, out, command ? 'message interrupted by a command' : 'message dropped: a part exceeds maxFrame');
        out.push(this.error(dir, header, `${command ? 'command' : 'message part'} of ${shown} bytes exceeds maxFrame (${this.maxFrame}); skipped`));
        if (!command) st.discarding = more;
        continue;
      }
      if (st.q.length < hl + size) return;
      const wire = st.q.take(hl + size);
      if (command) {
        this.flushPartial(dir, st, out, 'message interrupted by a command');
        out.push(this.command(dir, st, wire, hl));
        continue;
      }
      if (st.discarding) {
        st.discarding = more;
        out.push({ dir, data: wire, summary: `part of a dropped message (${size} bytes, not decoded)`, decoded: { kind: 'skipped' } });
        continue;
      }
      st.parts.push({ path: partPath(st.parts.length), start: st.wireLen + hl, end: st.wireLen + wire.length });
      st.wire.push(wire);
      st.wireLen += wire.length;
      if (!more) {
        out.push(this.message(dir, st));
        this.resetMessage(st);
      }
    }
  }

  /**
   * Fast path: a complete message of ordinary parts at the front of the queue is taken in one
   * piece (false, with nothing consumed, when anything needs the part-by-part path: a command,
   * bad flags, an oversized part, or a message not fully buffered).
   */
  private wholeMessage(dir: Direction, st: DirState, out: Frame[]): boolean {
    const q = st.q;
    const v2 = st.phase === 'v2';
    const parts: Part[] = [];
    let off = 0;
    for (;;) {
      if (q.length < off + 2) return false;
      const flags = q.byteAt(off);
      const invalid = v2 ? (flags & ~(FLAG_MORE | FLAG_LONG)) !== 0 : (flags & ~7) !== 0 || flags === 5 || flags === 7;
      if (invalid || (flags & FLAG_COMMAND) !== 0) return false;
      const long = (flags & FLAG_LONG) !== 0;
      const hl = long ? 9 : 2;
      if (q.length < off + hl) return false;
      const size = long
        ? q.byteAt(off + 1) * 2 ** 56 +
          q.byteAt(off + 2) * 2 ** 48 +
          q.byteAt(off + 3) * 2 ** 40 +
          q.byteAt(off + 4) * 2 ** 32 +
          (q.byteAt(off + 5) * 2 ** 24 + ((q.byteAt(off + 6) << 16) | (q.byteAt(off + 7) << 8) | q.byteAt(off + 8)))
        : q.byteAt(off + 1);
      if (size + hl > this.maxFrame - off) return false;
      if (q.length < off + hl + size) return false;
      parts.push({ path: partPath(parts.length), start: off + hl, end: off + hl + size });
      off += hl + size;
      if ((flags & FLAG_MORE) === 0) break;
    }
    const taken = q.take(off);
    let wire = taken;
    // (as the part-by-part path gives it: a multipart message in an array of its own)
    if (parts.length > 1 && Buffer.isBuffer(wire)) wire = new Uint8Array(wire.buffer, wire.byteOffset, wire.length);
    st.parts = parts;
    st.wire = [wire];
    st.wireLen = off;
    out.push(this.message(dir, st, Buffer.isBuffer(taken) ? taken : undefined));
    this.resetMessage(st);
    return true;
  }

  private joinWire(st: DirState): Uint8Array {
    if (st.wire.length === 1) return st.wire[0];
    // Parts taken back to back from one pushed chunk: one view of them all.
    const w = st.wire;
    if (w.length > 1) {
      const first = w[0];
      let next = first.byteOffset + first.length;
      let i = 1;
      for (; i < w.length; i++) {
        if (w[i].buffer !== first.buffer || w[i].byteOffset !== next) break;
        next += w[i].length;
      }
      if (i === w.length) return new Uint8Array(first.buffer, first.byteOffset, st.wireLen);
    }
    const out = new Uint8Array(st.wireLen);
    let o = 0;
    for (const w of st.wire) {
      out.set(w, o);
      o += w.length;
    }
    return out;
  }

  private resetMessage(st: DirState): void {
    st.wire = [];
    st.wireLen = 0;
    st.parts = [];
  }

  private flushPartial(dir: Direction, st: DirState, out: Frame[], why: string): void {
    if (st.parts.length === 0) return;
    out.push(this.error(dir, this.joinWire(st), `${why} (${st.parts.length} part(s) kept here)`));
    this.resetMessage(st);
  }

  private command(dir: Direction, st: DirState, wire: Uint8Array, hl: number): Frame {
    const body = wire.subarray(hl);
    const r = decodeCommand(body, st.mechanism, this.showSecrets);
    const data = wire;
    // PLAIN credentials are masked in decoded and summary unless revealed; data stays the bytes
    // as sent (the capture holds them anyway), and their ranges are not offered as fields.
    if (r.decoded.name === 'READY' && !r.decoded.encrypted) {
      const props = r.decoded.properties as Record<string, string> | undefined;
      if (props?.['Socket-Type']) st.socketType = props['Socket-Type'];
    }
    const f: Frame = { dir, data, summary: r.summary, decoded: r.decoded };
    if (r.error) f.error = r.error;
    return f;
  }

  /** `wireBuf`: the message's bytes as a Buffer, when the caller has one. */
  private message(dir: Direction, st: DirState, wireBuf?: Buffer): Frame {
    const wire = this.joinWire(st);
    const parts = st.parts;
    const n = parts.length;
    const buf = wireBuf ?? nodeBuf(wire);
    // (handed out as they are: resetMessage gives the state a new array after every message)
    const ranges: FieldRange[] = parts;
    const mine = st.socketType;
    const theirs = this.peer(dir, st)?.socketType;
    // ZMTP 2.0: each side's first message is its identity.
    if (st.phase === 'v2' && !st.identitySeen) {
      st.identitySeen = true;
      const id = n > 0 ? wire.subarray(parts[0]!.start, parts[0]!.end) : new Uint8Array(0);
      return {
        dir,
        data: wire,
        summary: `identity ${id.length ? textOrHex(id) : '(anonymous)'}`,
        decoded: { kind: 'identity', identity: b64(id), text: printableText(id) },
        ranges,
      };
    }
    // 3.0-style subscription: a SUB/XSUB socket's single-part message starting with 01 or 00.
    const subSide = mine === 'SUB' || mine === 'XSUB' || (mine === undefined && (theirs === 'PUB' || theirs === 'XPUB'));
    if (subSide && n === 1 && parts[0]!.end > parts[0]!.start && wire[parts[0]!.start]! <= 1) {
      const body = wire.subarray(parts[0]!.start, parts[0]!.end);
      const topic = body.subarray(1);
      const kind = body[0] === 1 ? 'subscribe' : 'cancel';
      return {
        dir,
        data: wire,
        summary: `${kind === 'subscribe' ? 'SUBSCRIBE' : 'CANCEL'} ${topic.length ? JSON.stringify(textOrHex(topic, 32)) : '(all)'} (3.0 message)`,
        decoded: { kind, topic: printableText(topic), topicBase64: b64(topic) },
        ranges: [{ path: '/topic', start: parts[0]!.start + 1, end: parts[0]!.end }],
      };
    }
    // Every part as base64 and as text (or null), from offsets into the one message buffer.
    const b64s: string[] = new Array(n);
    const texts: (string | null)[] = new Array(n);
    let delim = -1;
    for (let i = 0; i < n; i++) {
      const p = parts[i]!;
      b64s[i] = b64At(buf, p.start, p.end);
      texts[i] = textAt(buf, p.start, p.end);
      if (delim < 0 && p.end === p.start) delim = i;
    }
    const decoded: Record<string, unknown> = { kind: 'message', parts: b64s, text: texts };
    let first = 0;
    let envelope = '';
    if ((mine && ENVELOPE_TYPES.has(mine)) || (theirs && ENVELOPE_TYPES.has(theirs))) {
      if (delim >= 0 && (delim === 0 || mine === 'ROUTER' || mine === 'DEALER' || theirs === 'ROUTER' || theirs === 'DEALER')) {
        decoded.delimiter = delim;
        if (delim > 0) {
          const env: string[] = new Array(delim);
          for (let i = 0; i < delim; i++) env[i] = textOrHexAt(buf, parts[i]!.start, parts[i]!.end, texts[i]!, 8);
          envelope = `[${env.join(', ')}] `;
        }
        first = delim + 1;
      }
    }
    const frame: Frame = { dir, data: wire, summary: '', decoded, ranges };
    const count = n === 1 ? '' : `[${n} parts] `;
    // The summary is clipped to 160 characters: parts past that are not rendered.
    let summary = `${mine ? mine + ' ' : ''}message ${count}${envelope}`;
    for (let i = first; i < n && summary.length <= SUMMARY_MAX; i++) {
      const p = parts[i]!;
      summary += (i > first ? ' | ' : '') + partForSummaryAt(buf, p.start, p.end, texts[i]!);
    }
    frame.summary = clip(summary, SUMMARY_MAX);
    if (mine === 'REQ' && theirs !== 'ROUTER') frame.pair = { key: `req${++this.reqCount}`, role: 'request' };
    else if (mine === 'REP' && theirs !== 'DEALER') frame.pair = { key: `req${++this.repCount}`, role: 'response' };
    st.messages++;
    return frame;
  }
}

// Length-prefixed framing: len16be, len16le, len32be, len32le, lenvarint (protobuf-style
// base-128 varint). The length counts the payload only, NOT the prefix itself.
// A frame's bytes include the prefix; `payload` marks the bytes after it.
// A length above maxFrame: the prefix and body are passed on as error frames (as bytes arrive,
// without buffering) and decoding resumes after the body. A varint longer than 10 bytes means
// the framing is lost: the rest of the direction is passed on as error frames.
import type { Direction, Frame } from '../types';
import { asBuffer, StreamInput } from './core/bytes';
import type { DecoderInfo, DecoderOptions } from './core/decoder';
import { bareFrame, FramedConnDecoder, isOuter, makePiece, maxFrameOf, payloadOf, type Framer, type Piece } from './core/framed';
import { bytesPreview, preview, printableAt, printableText } from './core/text';

export type LenKind = 'len16be' | 'len16le' | 'len32be' | 'len32le' | 'lenvarint';
export const LEN_KINDS: readonly LenKind[] = ['len16be', 'len16le', 'len32be', 'len32le', 'lenvarint'];

/** Reads a prefix at `pos`: [payload length, prefix size], null when more bytes are needed, -1 size when invalid. */
function readPrefix(kind: LenKind, d: Uint8Array, pos: number): [number, number] | null {
  const avail = d.length - pos;
  switch (kind) {
    case 'len16be':
      return avail < 2 ? null : [(d[pos] << 8) | d[pos + 1], 2];
    case 'len16le':
      return avail < 2 ? null : [d[pos] | (d[pos + 1] << 8), 2];
    case 'len32be':
      return avail < 4 ? null : [d[pos] * 0x1000000 + ((d[pos + 1] << 16) | (d[pos + 2] << 8) | d[pos + 3]), 4];
    case 'len32le':
      return avail < 4 ? null : [d[pos + 3] * 0x1000000 + ((d[pos + 2] << 16) | (d[pos + 1] << 8) | d[pos]), 4];
    case 'lenvarint': {
      let v = 0;
      let mul = 1;
      for (let i = 0; i < 10; i++) {
        if (i >= avail) return null;
        const b = d[pos + i];
        v += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) return [v, i + 1];
      }
      return [0, -1];
    }
  }
}

export class LenFramer implements Framer {
  private readonly input = new StreamInput();
  /** Body bytes of an oversized frame still to pass on. */
  private skip = 0;
  private lost = false;

  constructor(
    private readonly kind: LenKind,
    private readonly maxFrame: number,
  ) {}

  push(bytes: Uint8Array): Piece[] {
    const out: Piece[] = [];
    if (this.lost) {
      out.push(makePiece(bytes, 0, bytes.length, 'framing lost (continued)'));
      return out;
    }
    let d = this.input.begin(bytes);
    let src = asBuffer(d);
    let pos = 0;
    while (pos < d.length) {
      const shift = this.input.rebase(pos);
      if (shift) {
        pos -= shift;
        d = this.input.data;
        src = asBuffer(d);
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, d.length - pos);
        out.push(makePiece(this.input.cut(pos, pos + n), 0, n, 'oversized frame (continued)'));
        this.skip -= n;
        pos += n;
        continue;
      }
      const pre = readPrefix(this.kind, d, pos);
      if (pre === null) break;
      const [len, size] = pre;
      if (size < 0) {
        out.push(makePiece(this.input.cut(pos, d.length), 0, d.length - pos, 'invalid varint length prefix (more than 10 bytes); framing lost'));
        pos = d.length;
        this.lost = true;
        break;
      }
      if (len > this.maxFrame) {
        const n = Math.min(size + len, d.length - pos);
        out.push({ data: this.input.cut(pos, pos + n), start: size, end: n, error: `frame length ${len} exceeds the limit of ${this.maxFrame} bytes; skipped` });
        this.skip = size + len - n;
        pos += n;
        continue;
      }
      if (d.length - pos < size + len) break;
      const piece = makePiece(this.input.cut(pos, pos + size + len), size, size + len);
      if (!this.input.copying) {
        // src stays valid after this push only when it is the caller's chunk, not our buffer
        piece.src = src;
        piece.at = pos;
      }
      out.push(piece);
      pos += size + len;
    }
    this.input.finish(pos);
    return out;
  }

  end(): Piece[] {
    this.skip = 0;
    this.lost = false;
    if (this.input.pending === 0) return [];
    const data = this.input.drain();
    const pre = readPrefix(this.kind, data, 0);
    const error = pre === null ? `truncated length prefix (${data.length} B)` : `truncated frame: length ${pre[0]}, got ${data.length - pre[1]} B`;
    return [makePiece(data, pre && pre[1] > 0 ? pre[1] : 0, data.length, error)];
  }
}

export function lenFrame(p: Piece, dir: Direction): Frame {
  const payload = payloadOf(p);
  const text = payload.length > 64 * 1024 ? null : p.src ? printableAt(payload, p.src, p.at! + p.start) : printableText(payload);
  const f: Frame = {
    dir,
    data: p.data,
    summary: `${payload.length} B ${text !== null ? JSON.stringify(preview(text, 100)) : bytesPreview(payload)}`,
    decoded: text,
    payload: { start: p.start, end: p.end },
  };
  if (p.error) f.error = p.error;
  return f;
}

const DESCRIPTIONS: Record<LenKind, string> = {
  len16be: 'frames with a 2-byte big-endian length prefix (length excludes the prefix)',
  len16le: 'frames with a 2-byte little-endian length prefix (length excludes the prefix)',
  len32be: 'frames with a 4-byte big-endian length prefix (length excludes the prefix)',
  len32le: 'frames with a 4-byte little-endian length prefix (length excludes the prefix)',
  lenvarint: 'frames with a base-128 varint length prefix, as protobuf writeDelimited (length excludes the prefix)',
};

export const lenDecoders: DecoderInfo[] = LEN_KINDS.map((kind) => ({
  name: kind,
  description: DESCRIPTIONS[kind],
  create(options?: DecoderOptions) {
    const max = maxFrameOf(options);
    return new FramedConnDecoder(() => new LenFramer(kind, max), isOuter(options) ? bareFrame : lenFrame);
  },
}));

// `lines`: one frame per line ending in \n. The frame's bytes keep the terminator; the decoded
// text drops "\n" and a "\r" before it. A line longer than maxFrame (terminator included) is cut
// into error frames of maxFrame bytes up to its end, then decoding goes on with the next line.
// A last line without "\n" at the end of the stream is still a line.
import type { Direction, Frame } from '../types';
import { asBuffer, StreamInput, utf8Slice } from './core/bytes';
import type { DecoderInfo, DecoderOptions } from './core/decoder';
import { bareFrame, FramedConnDecoder, isOuter, makePiece, maxFrameOf, type Framer, type Piece } from './core/framed';
import { preview, printableText, utf8 } from './core/text';

export class LineFramer implements Framer {
  private readonly input = new StreamInput();
  /** How far the buffered bytes were already searched for "\n". */
  private scanned = 0;
  /** Inside an over-long line that was cut. */
  private skipping = false;

  constructor(
    private readonly maxFrame: number,
    /** Decode each line's text into piece.text. */
    private readonly withText = true,
  ) {}

  push(bytes: Uint8Array): Piece[] {
    const input = this.input;
    let data = input.begin(bytes);
    let buf = asBuffer(data);
    const out: Piece[] = [];
    const max = this.maxFrame;
    let pos = 0;
    let from = this.scanned;
    for (;;) {
      const shift = input.rebase(pos);
      if (shift) {
        pos -= shift;
        from -= shift;
        data = input.data;
        buf = asBuffer(data);
      }
      const nl = buf.indexOf(10, from);
      if (nl >= 0 && nl - pos < max) {
        out.push(this.piece(input.cut(pos, nl + 1), false, buf, pos));
        pos = from = nl + 1;
      } else if (data.length - pos >= max) {
        out.push(this.piece(input.cut(pos, pos + max), true, buf, pos));
        pos = from = pos + max;
      } else break;
    }
    this.scanned = data.length - pos;
    this.input.finish(pos);
    return out;
  }

  end(): Piece[] {
    this.scanned = 0;
    if (this.input.pending === 0) {
      this.skipping = false;
      return [];
    }
    const d = this.input.drain();
    const p = this.piece(d, false, asBuffer(d), 0);
    this.skipping = false;
    return [p];
  }

  /** `data` is also at `at` in `buf` (for decoding the text without another view). */
  private piece(data: Uint8Array, cut: boolean, buf: Buffer, at: number): Piece {
    let end = data.length;
    if (!cut && end > 0 && data[end - 1] === 10) {
      end--;
      if (end > 0 && data[end - 1] === 13) end--;
    }
    const p = makePiece(data, 0, end);
    if (this.withText) p.text = utf8Slice(buf, at, at + end);
    if (cut) p.error = this.skipping ? 'over-long line (continued)' : `line longer than ${this.maxFrame} bytes`;
    else if (this.skipping) p.error = 'over-long line (end)';
    this.skipping = cut;
    return p;
  }
}

export function lineFrame(p: Piece, dir: Direction): Frame {
  const text = p.text ?? utf8(p.data.subarray(0, p.end));
  const f: Frame = { dir, data: p.data, summary: preview(text), decoded: text, payload: { start: 0, end: p.end } };
  if (p.error) f.error = p.error;
  return f;
}

export const linesDecoder: DecoderInfo = {
  name: 'lines',
  description: 'text lines ending in \\n (a \\r before it is dropped from the text)',
  priority: -100,
  sniff(head) {
    // Fallback for text: the first line is complete, printable UTF-8.
    const nl = head.indexOf(10);
    if (nl < 0) return head.length >= 4096 ? 'no' : 'more';
    return printableText(head.subarray(0, nl)) !== null ? 'yes' : 'no';
  },
  create(options?: DecoderOptions) {
    const max = maxFrameOf(options);
    if (isOuter(options)) return new FramedConnDecoder(() => new LineFramer(max, false), bareFrame);
    return new FramedConnDecoder(() => new LineFramer(max), lineFrame);
  },
};

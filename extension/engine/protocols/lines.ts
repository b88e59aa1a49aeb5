// `lines`: one frame per line ending in \n. The frame's bytes keep the terminator; the decoded
// text drops "\n" and a "\r" before it. A line longer than maxFrame (terminator included) is cut
// into error frames of maxFrame bytes up to its end, then decoding goes on with the next line.
// A last line without "\n" at the end of the stream is still a line.
import type { Direction, Frame } from '../types';
import { asBuffer, StreamInput } from './bytes';
import type { DecoderInfo, DecoderOptions } from './decoder';
import { FramedConnDecoder, maxFrameOf, type Framer, type Piece } from './framed';
import { preview, printableText, utf8 } from './text';

export class LineFramer implements Framer {
  private readonly input = new StreamInput();
  /** How far the buffered bytes were already searched for "\n". */
  private scanned = 0;
  /** Inside an over-long line that was cut. */
  private skipping = false;

  constructor(private readonly maxFrame: number) {}

  push(bytes: Uint8Array): Piece[] {
    const data = this.input.begin(bytes);
    const buf = asBuffer(data);
    const out: Piece[] = [];
    const max = this.maxFrame;
    let pos = 0;
    let from = this.scanned;
    for (;;) {
      const nl = buf.indexOf(10, from);
      if (nl >= 0 && nl - pos < max) {
        out.push(this.piece(this.input.cut(pos, nl + 1), false));
        pos = from = nl + 1;
      } else if (data.length - pos >= max) {
        out.push(this.piece(this.input.cut(pos, pos + max), true));
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
    const p = this.piece(this.input.drain(), false);
    this.skipping = false;
    return [p];
  }

  private piece(data: Uint8Array, cut: boolean): Piece {
    let end = data.length;
    if (!cut && end > 0 && data[end - 1] === 10) {
      end--;
      if (end > 0 && data[end - 1] === 13) end--;
    }
    const p: Piece = { data, start: 0, end };
    if (cut) p.error = this.skipping ? 'over-long line (continued)' : `line longer than ${this.maxFrame} bytes`;
    else if (this.skipping) p.error = 'over-long line (end)';
    this.skipping = cut;
    return p;
  }
}

export function lineFrame(p: Piece, dir: Direction): Frame {
  const payload = p.end === p.data.length ? p.data : p.data.subarray(0, p.end);
  const text = utf8(payload);
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
    return new FramedConnDecoder(() => new LineFramer(max), lineFrame);
  },
};

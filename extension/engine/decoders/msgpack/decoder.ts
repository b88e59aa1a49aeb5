// `msgpack`: a stream of concatenated MessagePack values, one frame per top-level value.
// decoded = the value rendered JSON-ably (see ./msgpack-read.ts for the rendering: exact
// integers, {"$bin"}, {"$ext"}, timestamps as ISO strings, {"$map"} for maps with non-string
// keys). Under a length prefix use layering: len32be+msgpack.
// Why not msgpackr here: its extension table is process-global and pre-registers msgpackr's own
// types (0, 0x42, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78), so foreign ext values of those
// types would be misread, and it would turn timestamps into millisecond Dates. The capture file
// keeps using msgpackr for our own records.
import type { Direction, Frame } from '../../types';
import { StreamInput } from '../core/bytes';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../core/decoder';
import { maxFrameOf } from '../core/framed';
import { buildValue, releaseBuffer, Scanner } from './read';

import { valuePreview } from '../core/preview';
import { hexPreview } from '../core/text';

class MsgpackDir {
  readonly input = new StreamInput();
  readonly scanner = new Scanner();
  /** The buffered bytes start with a value the scanner is part way through. */
  scanning = false;
}

/** Built from an empty literal, which V8 does not pretenure (see makePiece in ./framed.ts; a
 *  frame stays a plain object). */
export function msgpackFrame(dir: Direction, data: Uint8Array, value: unknown): Frame {
  const f = {} as Frame;
  f.dir = dir;
  f.data = data;
  f.summary = valuePreview(value, 100);
  f.decoded = value;
  return f;
}

function errorFrame(dir: Direction, data: Uint8Array, why: string): Frame {
  return { dir, data, summary: `${data.length} B ${hexPreview(data)}`, decoded: null, error: why };
}

export class MsgpackConnDecoder implements ConnDecoder {
  private readonly dirs = new Map<Direction, MsgpackDir>();
  private readonly max: number;

  constructor(options?: DecoderOptions) {
    this.max = maxFrameOf(options);
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    if (bytes.length === 0) return [];
    let st = this.dirs.get(dir);
    if (!st) this.dirs.set(dir, (st = new MsgpackDir()));
    const input = st.input;
    if (!st.scanning && input.pending === 0 && bytes.length <= this.max) {
      // One whole value (a payload under a length prefix, a datagram-like write): no buffering.
      const b = buildValue(bytes, 0, this.max);
      if (b && b[1] === bytes.length) {
        releaseBuffer(bytes);
        return [msgpackFrame(dir, bytes, b[0])];
      }
    }
    let d = input.begin(bytes);
    const out: Frame[] = [];
    const max = this.max;
    let pos = 0;
    while (pos < d.length) {
      if (!st.scanning) {
        const shift = input.rebase(pos);
        if (shift) {
          pos -= shift;
          d = input.data;
        }
        const b = buildValue(d, pos, max);
        if (b && b[1] - pos <= max) {
          out.push(msgpackFrame(dir, input.cut(pos, b[1]), b[0]));
          pos = b[1];
          continue;
        }
        st.scanner.reset();
      }
      // Slow path: the value is incomplete, invalid, or too large — the scanner says which.
      const r = st.scanner.scan(pos === 0 ? d : d.subarray(pos), max);
      st.scanning = false;
      if (r.kind === 'done') {
        const b = buildValue(d, pos, max);
        if (b && b[1] === pos + r.end) out.push(msgpackFrame(dir, input.cut(pos, b[1]), b[0]));
        else out.push(errorFrame(dir, input.cut(pos, pos + r.end), 'MessagePack value could not be built'));
        pos += r.end;
      } else if (r.kind === 'error') {
        out.push(errorFrame(dir, input.cut(pos, pos + r.end), r.why));
        pos += r.end;
      } else if (r.kind === 'too-large' && d.length - pos >= max) {
        out.push(errorFrame(dir, input.cut(pos, pos + max), `value larger than the limit of ${max} bytes; skipped ${max} bytes`));
        pos += max;
      } else {
        st.scanning = true;
        break;
      }
    }
    input.finish(pos);
    releaseBuffer(bytes);
    return out;
  }

  end(dir: Direction): Frame[] {
    const st = this.dirs.get(dir);
    if (!st) return [];
    st.scanning = false;
    if (st.input.pending === 0) return [];
    const data = st.input.drain();
    return [errorFrame(dir, data, `truncated MessagePack value (${data.length} B at end of stream)`)];
  }

  flush(dir: Direction): Frame[] {
    return this.end(dir);
  }
}

export const msgpackDecoder: DecoderInfo = {
  name: 'msgpack',
  description: 'concatenated MessagePack values (exact integers; bin/ext/non-string-key maps rendered as $bin/$ext/$map)',
  create: (options?: DecoderOptions) => new MsgpackConnDecoder(options),
};

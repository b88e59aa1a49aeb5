// Layered decoding, "OUTER+INNER" (e.g. len32be+msgpack, lines+jsonrpc): OUTER cuts the stream
// into frames; each frame's payload (its `payload` range, else all its bytes) is pushed to one
// INNER decoder per connection (so pairing and type tables carry across frames), followed by
// INNER.flush(dir) — a message boundary — when INNER has one.
//
// Frames out are OUTER's frames one for one: `data` keeps all of OUTER's bytes (the length
// prefix included, so frames still tile the stream for replay), `payload` is OUTER's payload
// range, and summary/decoded/error/pair come from the INNER frame decoded from that payload
// (INNER's field ranges are shifted to point into `data`). A payload holding several INNER
// messages gives decoded = the array of their decoded values and the summaries joined.
// OUTER's error frames (oversized, truncated, garbage) pass through without INNER.
import type { Direction, FieldRange, Frame } from '../../types';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from './decoder';

const EMPTY = new Uint8Array(0);

export class LayeredConnDecoder implements ConnDecoder {
  constructor(
    private readonly outer: ConnDecoder,
    private readonly inner: ConnDecoder,
    private readonly innerName: string,
  ) {}

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    return this.wrap(dir, this.outer.push(dir, bytes));
  }

  end(dir: Direction): Frame[] {
    const out = this.wrap(dir, this.outer.end(dir));
    // INNER without flush() may still hold a partial message: let it report that.
    for (const f of this.inner.end(dir)) out.push({ ...f, data: EMPTY, payload: undefined });
    return out;
  }

  flush(dir: Direction): Frame[] {
    return this.wrap(dir, this.outer.flush ? this.outer.flush(dir) : []);
  }

  private wrap(dir: Direction, frames: Frame[]): Frame[] {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (f.error !== undefined) continue;
      const start = f.payload ? f.payload.start : 0;
      const end = f.payload ? f.payload.end : f.data.length;
      const payload = start === 0 && end === f.data.length ? f.data : f.data.subarray(start, end);
      const inner = this.inner.push(dir, payload);
      if (this.inner.flush) {
        const more = this.inner.flush(dir);
        for (const m of more) inner.push(m);
      }
      frames[i] = merge(f, inner, start, end - start, this.innerName);
    }
    return frames;
  }
}

/** OUTER's frame with what INNER made of its payload (the frame object itself is reused when it
 *  carries nothing of OUTER's own beyond its bytes, summary and payload range). */
function merge(outer: Frame, inner: Frame[], start: number, len: number, innerName: string): Frame {
  const f: Frame =
    outer.ranges === undefined && outer.pair === undefined && outer.proto === undefined
      ? outer
      : { dir: outer.dir, data: outer.data, summary: outer.summary, decoded: outer.decoded };
  if (!f.payload || f.payload.start !== start || f.payload.end !== start + len) f.payload = { start, end: start + len };
  if (inner.length === 0) {
    if (!f.summary) f.summary = `${len} B`;
    if (len > 0) f.summary += ` (${innerName}: partial message, continues)`;
    return f;
  }
  if (inner.length === 1) {
    const i = inner[0];
    f.summary = i.summary;
    f.decoded = i.decoded;
    if (i.error !== undefined) f.error = i.error;
    if (i.pair) f.pair = i.pair;
    if (i.proto) f.proto = i.proto;
    if (i.ranges && i.data.length === len) f.ranges = shift(i.ranges, start);
    return f;
  }
  f.decoded = inner.map((i) => i.decoded);
  const sums = inner.map((i) => i.summary);
  let s = `${inner.length} messages: ${sums.slice(0, 4).join(' | ')}`;
  if (sums.length > 4) s += ' | …';
  f.summary = s;
  const errors = inner.filter((i) => i.error !== undefined).map((i) => i.error);
  if (errors.length) f.error = errors.join('; ');
  const paired = inner.find((i) => i.pair);
  if (paired?.pair) f.pair = paired.pair;
  return f;
}

function shift(ranges: FieldRange[], by: number): FieldRange[] {
  return by === 0 ? ranges : ranges.map((r) => ({ path: r.path, start: r.start + by, end: r.end + by }));
}

export function layeredDecoder(name: string, outer: DecoderInfo, inner: DecoderInfo): DecoderInfo {
  return {
    name,
    description: `${inner.name} messages inside ${outer.name} frames`,
    create(options?: DecoderOptions) {
      return new LayeredConnDecoder(outer.create({ ...options, asOuter: true }), inner.create(options), inner.name);
    },
  };
}

// Shared memory watch records (see engine/shm/record.ts) as frames: the header, the watched
// area's first snapshot, then one frame per change holding the changed ranges with their old and
// new bytes. When the watched area is small enough to keep (up to 1 MiB) the decoder keeps a copy,
// so a struct layout or another decoder named in the header is applied to the area's contents
// after every change; when it is at most 4 KiB a frame's bytes are the whole area as it is after
// the change (the hex view then shows the struct with the changed bytes' ranges), else the
// changed ranges' new bytes one after another.
import { decodeLayout, changedFields, parseLayout, type Layout } from '../shm/layout';
import { parseRecord, REC_HEADER, type ChangeRange, type ShmHeader } from '../shm/record';
import type { Direction, FieldRange, Frame } from '../types';
import { DEFAULT_MAX_FRAME, type ConnDecoder, type DecoderInfo, type DecoderOptions } from './core/decoder';
import { preview } from './core/text';

const SHADOW_MAX = 1024 * 1024;
const DATA_AREA_MAX = 4096;
const HEX_SHOWN = 64;
const EMPTY = new Uint8Array(0);
/** Bytes 2.. of a watch's first record (bytes 0-1: the low half of its length). */
const SNIFF_PREFIX = Uint8Array.from([0, 0, 0, 0, REC_HEADER, ...Buffer.from('{"shm":1', 'latin1')]);

function hexOf(b: Uint8Array): string {
  const shown = b.length > HEX_SHOWN ? b.subarray(0, HEX_SHOWN) : b;
  return Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('hex') + (b.length > HEX_SHOWN ? '…' : '');
}

function hex0x(n: number): string {
  return '0x' + n.toString(16);
}

class ShmConnDecoder implements ConnDecoder {
  private buf: Uint8Array = EMPTY;
  private header: ShmHeader | undefined;
  private layout: Layout | undefined;
  private region: DecoderInfo | undefined;
  private shadow: Uint8Array | undefined;

  constructor(
    private readonly maxFrame: number,
    private readonly resolve: (name: string) => DecoderInfo,
  ) {}

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    const out: Frame[] = [];
    let p = 0;
    while (this.buf.length - p >= 5) {
      const len = Buffer.from(this.buf.buffer, this.buf.byteOffset + p, 4).readUInt32LE(0);
      if (len < 1 || len > this.maxFrame) {
        out.push({ dir, data: this.buf.subarray(p), summary: 'not a shared memory watch record', decoded: null, error: `record length ${len} is out of range` });
        this.buf = EMPTY;
        return out;
      }
      if (this.buf.length - p < 4 + len) break;
      const type = this.buf[p + 4]!;
      const body = this.buf.subarray(p + 5, p + 4 + len);
      const raw = this.buf.subarray(p, p + 4 + len);
      p += 4 + len;
      out.push(this.record(dir, type, body, raw));
    }
    this.buf = p === this.buf.length ? EMPTY : Buffer.from(this.buf.subarray(p));
    return out;
  }

  end(dir: Direction): Frame[] {
    if (this.buf.length === 0) return [];
    const rest = this.buf;
    this.buf = EMPTY;
    return [{ dir, data: rest, summary: `${rest.length} B of an unfinished record`, decoded: null, error: 'truncated shared memory record' }];
  }

  private record(dir: Direction, type: number, body: Uint8Array, raw: Uint8Array): Frame {
    try {
      const rec = parseRecord(type, body);
      if (rec.type === 'H') return this.onHeader(dir, rec.header);
      if (rec.type === 'S') return this.onSnapshot(dir, rec.seq, rec.offset, rec.bytes);
      return this.onChange(dir, rec.seq, rec.part, rec.parts, rec.ranges);
    } catch (err) {
      return { dir, data: raw, summary: 'bad shared memory record', decoded: null, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private onHeader(dir: Direction, h: ShmHeader): Frame {
    this.header = h;
    this.shadow = undefined;
    this.layout = undefined;
    this.region = undefined;
    const problems: string[] = [];
    if (h.layout) {
      try {
        this.layout = parseLayout(h.layout);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (h.decode) {
      try {
        this.region = this.resolve(h.decode);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    const area = h.region.length === h.size && h.region.offset === 0 ? `${h.size} B` : `${h.region.length} B at ${hex0x(h.region.offset)} of ${h.size} B`;
    // (The header's texts come from the stream: one line whatever they hold.)
    let summary = `watching ${preview(String(h.target), 200)}: ${area}, every ${h.interval} ms (${preview(String(h.source), 200)})`;
    if (h.layout) summary += `, layout ${preview(String(h.layout), 200)}`;
    if (h.decode) summary += `, decoded as ${preview(String(h.decode), 200)}`;
    const f: Frame = { dir, data: EMPTY, summary, decoded: { kind: 'watch', ...h } };
    if (problems.length) f.error = problems.join('; ');
    return f;
  }

  private get area(): { offset: number; length: number } | undefined {
    return this.header?.region;
  }

  private onSnapshot(dir: Direction, seq: number, offset: number, bytes: Uint8Array): Frame {
    const area = this.area;
    const isArea = area !== undefined && offset === area.offset && bytes.length === area.length && bytes.length <= SHADOW_MAX;
    if (isArea) this.shadow = Buffer.from(bytes);
    const decoded: Record<string, unknown> = { kind: 'snapshot', seq, offset, length: bytes.length };
    let summary = `snapshot of ${bytes.length} B at ${hex0x(offset)}`;
    const data = bytes.length <= DATA_AREA_MAX ? bytes : EMPTY;
    const ranges: FieldRange[] = [];
    // Field ranges are offsets into the area: they mark this frame's bytes only when these are it
    // (a snapshot of another span — a damaged or hostile record — is decoded from the area kept).
    const values = this.applyDecoders(decoded, ranges, isArea && data.length > 0);
    if (values) summary += `: ${values}`;
    return { dir, data, summary, decoded, ranges };
  }

  private onChange(dir: Direction, seq: number, part: number, parts: number, changes: ChangeRange[]): Frame {
    const area = this.area;
    const shadow = this.shadow;
    const before = this.layout && shadow ? decodeLayout(this.layout, shadow).values : undefined;
    if (shadow && area) {
      for (const c of changes) {
        const at = c.offset - area.offset;
        if (at >= 0 && at + c.new.length <= shadow.length) shadow.set(c.new, at);
      }
    }
    const whole = shadow !== undefined && shadow.length <= DATA_AREA_MAX && area !== undefined;
    let data: Uint8Array;
    const ranges: FieldRange[] = [];
    if (whole) {
      data = Buffer.from(shadow);
      // (A change outside the area — hostile or damaged records — has no bytes in this frame.)
      changes.forEach((c, i) => {
        const at = c.offset - area.offset;
        if (at >= 0 && at + c.new.length <= data.length) ranges.push({ path: `/changes/${i}`, start: at, end: at + c.new.length });
      });
    } else {
      data = Buffer.concat(changes.map((c) => c.new));
      let p = 0;
      changes.forEach((c, i) => {
        ranges.push({ path: `/changes/${i}`, start: p, end: p + c.new.length });
        p += c.new.length;
      });
    }
    const bytes = changes.reduce((n, c) => n + c.new.length, 0);
    const decoded: Record<string, unknown> = {
      kind: 'change',
      seq,
      ...(parts > 1 ? { part: part + 1, parts } : {}),
      changes: changes.map((c) => ({ offset: c.offset, length: c.new.length, old: hexOf(c.old), new: hexOf(c.new) })),
    };
    const where =
      changes
        .slice(0, 4)
        .map((c) => `${hex0x(c.offset)}+${c.new.length}`)
        .join(', ') + (changes.length > 4 ? ', …' : '');
    let summary = `${changes.length} change${changes.length === 1 ? '' : 's'}, ${bytes} B at ${where}`;
    if (parts > 1) summary += ` (part ${part + 1} of ${parts})`;
    const values = this.applyDecoders(decoded, ranges, whole);
    const diff = this.layout && before && decoded.fields ? changedFields(before, decoded.fields as Record<string, unknown>) : [];
    if (diff.length) summary = `${diff.join(', ')} — ${summary}`;
    else if (values) summary += `: ${values}`;
    else if (changes.length === 1 && changes[0]!.new.length <= 8) {
      summary += `: ${hexOf(changes[0]!.old)}→${hexOf(changes[0]!.new)}`;
    }
    return { dir, data, summary, decoded, ranges };
  }

  /** Layout fields and the region decoder's values over the kept area, into `decoded`; ranges
   *  are added when the frame's bytes are the area. Returns a short text of the values. */
  private applyDecoders(decoded: Record<string, unknown>, ranges: FieldRange[], rangesApply: boolean): string {
    const shadow = this.shadow;
    if (!shadow || (!this.layout && !this.region)) return '';
    const parts: string[] = [];
    if (this.layout) {
      const r = decodeLayout(this.layout, shadow);
      decoded.fields = r.values;
      if (r.missing.length) decoded.missing = r.missing;
      if (rangesApply) ranges.push(...r.ranges);
      parts.push(
        Object.entries(r.values)
          .slice(0, 6)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.length}]` : String(v)}`)
          .join(' '),
      );
    }
    if (this.region) {
      const dec = this.region.create({ maxFrame: SHADOW_MAX });
      let frames: Frame[];
      try {
        frames = [...dec.push('s2c', Buffer.from(shadow)), ...dec.end('s2c')];
      } catch (err) {
        frames = [{ dir: 's2c', data: EMPTY, summary: '', decoded: null, error: (err as Error).message }];
      }
      // Zero bytes after the last message are unused space, not messages of length 0.
      while (frames.length > 1 && frames[frames.length - 1]!.data.every((x) => x === 0)) frames.pop();
      const values: unknown[] = [];
      let p = 0;
      frames.forEach((f, i) => {
        values.push(f.error !== undefined ? { error: f.error } : f.decoded);
        if (rangesApply && f.data.length) {
          ranges.push({ path: `/decoded/${i}`, start: p, end: p + f.data.length });
          for (const r of f.ranges ?? []) ranges.push({ path: `/decoded/${i}${r.path}`, start: p + r.start, end: p + r.end });
        }
        p += f.data.length;
      });
      decoded.decoded = values;
      const first = frames.find((f) => f.error === undefined);
      if (first) parts.push(first.summary + (frames.length > 1 ? ` (+${frames.length - 1})` : ''));
    }
    return parts.filter(Boolean).join('; ');
  }
}

/** The shm decoder; `resolve` names the decoder applied to a watched region (the registry's). */
export const shmDecoder = (resolve: (name: string) => DecoderInfo): DecoderInfo => ({
  name: 'shm',
  description: 'shared memory watch records (ipctap shm watch): changed ranges with old and new bytes, a struct layout or decoder over the region',
  // A watch's first record: a u32 LE length below 64 KiB, 'H', then {"shm":1. Bytes that stop
  // matching that prefix are 'no' at once, so short traffic of other protocols is never held up.
  sniff(head: Uint8Array) {
    const n = Math.min(head.length, SNIFF_PREFIX.length);
    for (let i = 2; i < n; i++) if (head[i] !== SNIFF_PREFIX[i]) return 'no';
    return head.length >= SNIFF_PREFIX.length ? 'yes' : 'more';
  },
  priority: 10,
  create(options?: DecoderOptions) {
    return new ShmConnDecoder(typeof options?.maxFrame === 'number' ? options.maxFrame : DEFAULT_MAX_FRAME + 1024, resolve);
  },
});

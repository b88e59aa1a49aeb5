// The byte records a shared memory watch hands its session as chunks (and so writes to the
// capture file); the `shm` decoder turns them back into frames. Each record is
//   u32 LE body length | u8 type | body
// with three types:
//   'H' header   JSON: what is watched ({"shm":1,target,source,size,region,layout?,decode?})
//   'S' snapshot u32 seq | u48 offset | the bytes (the watched area when the watch starts)
//   'C' change   u32 seq | u16 part | u16 parts | u32 n | n × (u48 offset, u32 length) |
//                then for each range its old bytes, then its new bytes
// Offsets are absolute within the segment or file. A change too large for one record is split
// into parts (same seq).

export interface ShmHeader {
  shm: 1;
  /** What the user asked to watch, as given (canonical spec). */
  target: string;
  /** Where the bytes are read: a file path, or /proc/PID/mem at an address. */
  source: string;
  /** Size of the whole segment or file. */
  size: number;
  /** The watched area (absolute offset and length). */
  region: { offset: number; length: number };
  interval: number;
  layout?: string;
  decode?: string;
  key?: string;
  shmid?: number;
}

export interface ChangeRange {
  offset: number;
  old: Uint8Array;
  new: Uint8Array;
}

export type ShmRecord =
  { type: 'H'; header: ShmHeader } | { type: 'S'; seq: number; offset: number; bytes: Uint8Array } | { type: 'C'; seq: number; part: number; parts: number; ranges: ChangeRange[] };

export const REC_HEADER = 0x48;
export const REC_SNAPSHOT = 0x53;
export const REC_CHANGE = 0x43;

function frame(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt32LE(body.length + 1, 0);
  out[4] = type;
  body.copy(out, 5);
  return out;
}

export function encodeHeader(h: ShmHeader): Buffer {
  return frame(REC_HEADER, Buffer.from(JSON.stringify(h), 'utf8'));
}

export function encodeSnapshot(seq: number, offset: number, bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + 10 + bytes.length);
  out.writeUInt32LE(1 + 10 + bytes.length, 0);
  out[4] = REC_SNAPSHOT;
  out.writeUInt32LE(seq >>> 0, 5);
  out.writeUIntLE(offset, 9, 6);
  out.set(bytes, 15);
  return out;
}

/** One change record; `ranges` hold old and new bytes of equal length. */
export function encodeChange(seq: number, part: number, parts: number, ranges: ChangeRange[]): Buffer {
  let data = 0;
  for (const r of ranges) data += r.old.length + r.new.length;
  const bodyLen = 4 + 2 + 2 + 4 + ranges.length * 10 + data;
  const out = Buffer.allocUnsafe(5 + bodyLen);
  out.writeUInt32LE(bodyLen + 1, 0);
  out[4] = REC_CHANGE;
  let p = 5;
  out.writeUInt32LE(seq >>> 0, p);
  out.writeUInt16LE(part, p + 4);
  out.writeUInt16LE(parts, p + 6);
  out.writeUInt32LE(ranges.length, p + 8);
  p += 12;
  for (const r of ranges) {
    out.writeUIntLE(r.offset, p, 6);
    out.writeUInt32LE(r.new.length, p + 6);
    p += 10;
  }
  for (const r of ranges) {
    out.set(r.old, p);
    p += r.old.length;
    out.set(r.new, p);
    p += r.new.length;
  }
  return out;
}

/** Parse one record's type and body (the 4-byte length already removed). Throws on bad input
 *  (the decoder catches and reports it). */
export function parseRecord(type: number, body: Uint8Array): ShmRecord {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (type === REC_HEADER) {
    const header = JSON.parse(b.toString('utf8')) as ShmHeader;
    if (!header || header.shm !== 1 || typeof header.region?.offset !== 'number' || typeof header.region?.length !== 'number') throw new Error('not a shm watch header');
    return { type: 'H', header };
  }
  if (type === REC_SNAPSHOT) {
    if (b.length < 10) throw new Error('snapshot record too short');
    return { type: 'S', seq: b.readUInt32LE(0), offset: b.readUIntLE(4, 6), bytes: body.subarray(10) };
  }
  if (type === REC_CHANGE) {
    if (b.length < 12) throw new Error('change record too short');
    const seq = b.readUInt32LE(0);
    const part = b.readUInt16LE(4);
    const parts = b.readUInt16LE(6);
    const n = b.readUInt32LE(8);
    let p = 12;
    if (n > (b.length - p) / 10) throw new Error(`change record claims ${n} ranges`);
    const spans: { offset: number; length: number }[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      spans.push({ offset: b.readUIntLE(p, 6), length: b.readUInt32LE(p + 6) });
      total += 2 * b.readUInt32LE(p + 6);
      p += 10;
    }
    if (p + total !== b.length) throw new Error(`change record holds ${b.length - p} bytes of data, its ranges need ${total}`);
    const ranges: ChangeRange[] = [];
    for (const s of spans) {
      const old = body.subarray(p, p + s.length);
      const nu = body.subarray(p + s.length, p + 2 * s.length);
      p += 2 * s.length;
      ranges.push({ offset: s.offset, old, new: nu });
    }
    return { type: 'C', seq, part, parts, ranges };
  }
  throw new Error(`unknown record type 0x${type.toString(16)}`);
}

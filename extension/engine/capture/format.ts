// The .ipctap capture file format (version 1).
//
// The file is an append-only concatenation of MessagePack values. Each record is a map whose
// first key is `t`, followed at once by its checksum: the CRC-32 (zlib polynomial) of the
// record's bytes, written as a MessagePack uint32 (0xce + 4 bytes big-endian). So every record
// costs 5 bytes more, and any damaged byte in the middle of a file is caught and reported with
// the offset of the record it hit.
//
//   header  {t:'ipctap', v:1, start, taps, processes, host, decode, ...extra}   (first record)
//   chunk   {t:'c', conn, dir, ts, mono, data}     data is MessagePack bin (raw bytes)
//   event   {t:'e', kind, ts, mono, ...}          an EventRecord from ../types
//   meta    {t:'m', ts, mono, ...}                header-like update (e.g. a tap added)
//
// Times are microseconds (wall: since the Unix epoch; mono: since the session started), written
// as float64 (exact for integers below 2^53). A record is never larger than MAX_RECORD_BYTES; the
// writer splits longer chunks into several chunk records (a stream has no message boundaries at
// the chunk level, so this changes nothing a decoder sees).
//
// Readers recognise the file by its first bytes: a map header, then `t` = "ipctap".
import { Packr, Unpackr } from 'msgpackr';
import { crc32 } from 'node:zlib';
import { hostname, platform, release, arch } from 'node:os';
import type { Chunk, Direction, EventRecord } from '../types';
import { DIRECTIONS } from '../types';

export const FORMAT_VERSION = 1;
export const MAGIC_TAG = 'ipctap';
/** The largest data payload one chunk record carries. */
export const MAX_CHUNK_DATA = 16 * 1024 * 1024;
/** The largest record (with its checksum) a reader accepts. */
export const MAX_RECORD_BYTES = MAX_CHUNK_DATA + 64 * 1024;
/** Bytes of the checksum that follows each record. */
export const CRC_BYTES = 5;

export interface TapInfo {
  spec: string;
  kind?: string;
  address?: string;
  decode?: string;
  [key: string]: unknown;
}

export interface ProcessInfo {
  pid: number;
  command?: string[];
  [key: string]: unknown;
}

/** What the machine was, for the reader of a capture (nothing secret: no env, no user names). */
export interface HostInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  node: string;
}

export interface CaptureHeader {
  t: 'ipctap';
  v: number;
  /** Wall clock at the start of the session, µs since the Unix epoch. */
  start: number;
  taps: TapInfo[];
  processes: ProcessInfo[];
  host: HostInfo;
  /** The --decode setting the capture was made with ("auto" by default). */
  decode: string;
  /** What the record checksums cover: absent or 'full' — every byte of every record;
   *  'no-data' — every byte except the captured payload of chunk records: their headers, lengths
   *  and framing are checked, the payload is not (the default; a CRC over every captured byte
   *  costs the forwarding thread about a quarter of its throughput). */
  crc?: 'full' | 'no-data';
  /** Anything else the session wants to keep (name, per-tap decoders...). */
  [key: string]: unknown;
}

/** What CaptureWriter.open takes: the header without the fixed fields, most of it optional. */
export interface CaptureHeaderInit {
  start: number;
  taps?: TapInfo[];
  processes?: ProcessInfo[];
  host?: HostInfo;
  decode?: string;
  [key: string]: unknown;
}

export interface ChunkRecord extends Chunk {
  t: 'c';
}

export interface EventFileRecord extends EventRecord {
  t: 'e';
}

export interface MetaRecord {
  t: 'm';
  ts: number;
  mono: number;
  tap?: TapInfo;
  process?: ProcessInfo;
  [key: string]: unknown;
}

export type CaptureRecord = ChunkRecord | EventFileRecord | MetaRecord;

export function hostInfo(): HostInfo {
  return { hostname: hostname(), platform: platform(), release: release(), arch: arch(), node: process.version };
}

/** Options shared by every encoder/decoder of our own msgpack data (capture file and FrameStore).
 *  Plain maps (no msgpackr records), smallest map headers, bigints exact both ways (64-bit as
 *  int64/uint64, larger through msgpackr's bigint extension), bin data copied out on read. */
const OPTIONS = {
  useRecords: false,
  variableMapSize: true,
  useBigIntExtension: true,
  int64AsType: 'bigint' as const,
  copyBuffers: true,
};

export function makePackr(): Packr {
  return new Packr(OPTIONS);
}

export function makeUnpackr(): Unpackr {
  return new Unpackr(OPTIONS);
}

/** Copy of the header object with the fixed fields first (so the file starts with the magic). */
export function buildHeader(init: CaptureHeaderInit): CaptureHeader {
  const { start, taps, processes, host, decode, ...extra } = init;
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && k !== 't' && k !== 'v') clean[k] = v;
  return {
    t: 'ipctap',
    v: FORMAT_VERSION,
    start,
    taps: taps ?? [],
    processes: processes ?? [],
    host: host ?? hostInfo(),
    decode: decode ?? 'auto',
    ...clean,
  };
}

/** The bytes after the map header at the start of every capture: "t" then "ipctap". */
const MAGIC_AFTER_MAP = Buffer.from([0xa1, 0x74, 0xa6, ...Buffer.from(MAGIC_TAG, 'latin1')]);

/** Does this look like the start of a capture file? ('short' when there are too few bytes.) */
export function checkMagic(head: Uint8Array): 'yes' | 'no' | 'short' {
  if (head.length === 0) return 'short';
  const b0 = head[0]!;
  let skip: number;
  if (b0 >= 0x80 && b0 <= 0x8f) skip = 1;
  else if (b0 === 0xde) skip = 3;
  else if (b0 === 0xdf) skip = 5;
  else return 'no';
  const n = Math.min(head.length - skip, MAGIC_AFTER_MAP.length);
  for (let i = 0; i < n; i++) if (head[skip + i] !== MAGIC_AFTER_MAP[i]) return 'no';
  return n < MAGIC_AFTER_MAP.length ? 'short' : 'yes';
}

// ---------------------------------------------------------------------------------------------
// Chunk records, encoded by hand: they are the hot path (one per read on every tapped stream),
// and writing them straight into the writer's batch buffer saves an allocation and a copy.
// The bytes are ordinary MessagePack (msgpackr reads them back like any other record).

const DIR_BYTES = new Map<Direction, Buffer>(DIRECTIONS.map((d) => [d, Buffer.from([0xa3, 0x64, 0x69, 0x72, 0xa0 | d.length, ...Buffer.from(d, 'latin1')])]));
// fixmap(6), "t", "c", "conn"
const CHUNK_PREFIX = Buffer.from([0x86, 0xa1, 0x74, 0xa1, 0x63, 0xa4, 0x63, 0x6f, 0x6e, 0x6e]);
const KEY_TS = Buffer.from([0xa2, 0x74, 0x73]);
const KEY_MONO = Buffer.from([0xa4, 0x6d, 0x6f, 0x6e, 0x6f]);
const KEY_DATA = Buffer.from([0xa4, 0x64, 0x61, 0x74, 0x61]);

/** Upper bound of an encoded chunk record with `dataLen` bytes of data, checksum included. */
export function chunkRecordBound(dataLen: number): number {
  return CHUNK_PREFIX.length + 9 + 10 + KEY_TS.length + 9 + KEY_MONO.length + 9 + KEY_DATA.length + 5 + dataLen + CRC_BYTES;
}

function writeNumber(target: Buffer, pos: number, n: number): number {
  if (Number.isInteger(n) && n >= 0 && n <= 0xffffffff) {
    if (n < 128) {
      target[pos] = n;
      return pos + 1;
    }
    target[pos] = 0xce;
    target.writeUInt32BE(n, pos + 1);
    return pos + 5;
  }
  target[pos] = 0xcb;
  target.writeDoubleBE(n, pos + 1);
  return pos + 9;
}

/**
 * Encode a chunk record (data = chunk.data.subarray(from, to)) followed by its checksum into
 * `target` at `pos`; `target` must have chunkRecordBound(to - from) bytes free. Returns the end.
 */
export function encodeChunkRecord(target: Buffer, pos: number, chunk: Chunk, from: number, to: number, coverData = true): number {
  const end = encodeChunkBody(target, pos, chunk, from, to);
  return writeCrc(target, pos, end, coverData ? end : end - (to - from));
}

/** encodeChunkRecord without the checksum: returns where the checksum goes (CRC_BYTES free). */
export function encodeChunkBody(target: Buffer, pos: number, chunk: Chunk, from: number, to: number): number {
  CHUNK_PREFIX.copy(target, pos);
  pos += CHUNK_PREFIX.length;
  pos = writeNumber(target, pos, chunk.conn);
  const dir = DIR_BYTES.get(chunk.dir) ?? Buffer.from([0xa3, 0x64, 0x69, 0x72, 0xa0]);
  dir.copy(target, pos);
  pos += dir.length;
  KEY_TS.copy(target, pos);
  pos += KEY_TS.length;
  target[pos] = 0xcb;
  target.writeDoubleBE(chunk.ts, pos + 1);
  pos += 9;
  KEY_MONO.copy(target, pos);
  pos += KEY_MONO.length;
  target[pos] = 0xcb;
  target.writeDoubleBE(chunk.mono, pos + 1);
  pos += 9;
  KEY_DATA.copy(target, pos);
  pos += KEY_DATA.length;
  const len = to - from;
  if (len < 0x100) {
    target[pos] = 0xc4;
    target[pos + 1] = len;
    pos += 2;
  } else if (len < 0x10000) {
    target[pos] = 0xc5;
    target.writeUInt16BE(len, pos + 1);
    pos += 3;
  } else {
    target[pos] = 0xc6;
    target.writeUInt32BE(len, pos + 1);
    pos += 5;
  }
  target.set(chunk.data.subarray(from, to), pos);
  return pos + len;
}

/** Write the checksum of target[start, coveredEnd) (default: up to `end`) at `end`; returns
 *  end + CRC_BYTES. */
export function writeCrc(target: Buffer, start: number, end: number, coveredEnd = end): number {
  target[end] = 0xce;
  target.writeUInt32BE(crc32(target.subarray(start, coveredEnd)), end + 1);
  return end + CRC_BYTES;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** A damaged record: where it starts (relative to the parsed buffer) and why. */
export class CorruptRecord extends Error {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface ParseResult {
  /** Bytes of whole records (with checksums) consumed from the start of the buffer. */
  consumed: number;
  /** Set when a record could not be read; `consumed` is where it starts. */
  corrupt?: CorruptRecord;
}

const STRING_FIELDS = ['tap', 'from', 'to', 'reason', 'message', 'address', 'path'];
const NUMBER_FIELDS = ['pid', 'conn', 'bytes'];
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isPids = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every(isNumber));

/**
 * An event's known fields with the wrong type (a capture file is untrusted input: a conn that is
 * a string, a command that is a number) are dropped, so that what reads events can rely on the
 * types in EventBody. Unknown fields are kept.
 */
function dropMistypedFields(r: Record<string, unknown>): void {
  for (const k of STRING_FIELDS) if (k in r && typeof r[k] !== 'string') delete r[k];
  for (const k of NUMBER_FIELDS) if (k in r && !isNumber(r[k])) delete r[k];
  if ('code' in r && r.code !== null && !isNumber(r.code)) delete r.code;
  if ('signal' in r && r.signal !== null && typeof r.signal !== 'string') delete r.signal;
  for (const k of ['bySignal', 'group']) if (k in r && typeof r[k] !== 'boolean') delete r[k];
  if ('dir' in r && !DIRECTIONS.includes(r.dir as Direction)) delete r.dir;
  if ('command' in r && !(Array.isArray(r.command) && r.command.every((c) => typeof c === 'string'))) delete r.command;
  if ('peers' in r) {
    const p = r.peers as { client?: unknown; server?: unknown } | null;
    if (typeof p !== 'object' || p === null || Array.isArray(p) || !isPids(p.client) || !isPids(p.server)) delete r.peers;
  }
}

function shapeError(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) {
    return 'a record is not a map';
  }
  const r = v as Record<string, unknown>;
  switch (r.t) {
    case 'c':
      if (typeof r.conn !== 'number' || typeof r.ts !== 'number' || typeof r.mono !== 'number') return 'chunk record without conn/ts/mono';
      if (!DIRECTIONS.includes(r.dir as Direction)) return `chunk record with unknown direction ${JSON.stringify(r.dir)}`;
      if (!(r.data instanceof Uint8Array)) return 'chunk record without data bytes';
      return undefined;
    case 'e':
      if (typeof r.kind !== 'string' || typeof r.ts !== 'number' || typeof r.mono !== 'number') return 'event record without kind/ts/mono';
      dropMistypedFields(r);
      return undefined;
    case 'm':
      return undefined;
    case 'ipctap':
      return 'a second header record';
    default:
      return `unknown record type ${JSON.stringify(r.t)}`;
  }
}

/**
 * Parse whole records (each followed by its checksum) from `buf`, calling `onRecord` with each
 * record and its start/end (end after the checksum) relative to `buf`. Stops at the first
 * incomplete record (consumed = its start) or damaged record (corrupt set). `allowHeader` lets
 * the first record be the file header. `onRecord` may return false to stop early.
 */
export function parseRecords(
  unpackr: Unpackr,
  buf: Buffer,
  onRecord: (record: unknown, start: number, end: number) => boolean | void,
  allowHeader = false,
  crcMode: CaptureHeader['crc'] = 'full',
): ParseResult {
  let dataCovered = crcMode !== 'no-data';
  let consumed = 0;
  let recStart = -1;
  let recEnd = 0;
  let record: unknown;
  let first = true;
  if (buf.length === 0) return { consumed: 0 };
  try {
    unpackr.unpackMultiple(buf, (value: unknown, start?: number, end?: number) => {
      const s = start ?? 0;
      const e = end ?? 0;
      if (recStart < 0) {
        const bad = first && allowHeader && (value as { t?: unknown } | null)?.t === 'ipctap' ? undefined : shapeError(value);
        first = false;
        if (bad) throw new CorruptRecord(s, bad);
        if (e - s > MAX_RECORD_BYTES) throw new CorruptRecord(s, 'record longer than the format allows');
        record = value;
        recStart = s;
        recEnd = e;
        if (allowHeader && s === 0 && (value as CaptureHeader).t === 'ipctap') dataCovered = (value as CaptureHeader).crc !== 'no-data';
        return true;
      }
      if (e - s !== CRC_BYTES || buf[s] !== 0xce || typeof value !== 'number') {
        throw new CorruptRecord(recStart, 'record not followed by its checksum');
      }
      // Without data coverage, a chunk's payload (the last bytes of its record) is not summed.
      const covered = dataCovered || (record as { t?: unknown }).t !== 'c' ? recEnd : recEnd - (record as ChunkRecord).data.length;
      if (crc32(buf.subarray(recStart, covered)) !== value) throw new CorruptRecord(recStart, 'checksum mismatch');
      const rs = recStart;
      recStart = -1;
      consumed = e;
      return onRecord(record, rs, e) !== false;
    });
  } catch (err) {
    if (err instanceof CorruptRecord) return { consumed, corrupt: err };
    const e = err as { incomplete?: boolean; lastPosition?: number; message?: string };
    if (e.incomplete) {
      // A partial value: fine at the end of what has been read so far; too long is damage.
      if (buf.length - consumed > MAX_RECORD_BYTES) {
        return { consumed, corrupt: new CorruptRecord(consumed, 'record longer than the format allows') };
      }
      return { consumed };
    }
    return { consumed, corrupt: new CorruptRecord(consumed, `not valid MessagePack (${e.message ?? String(err)})`) };
  }
  return { consumed };
}

/**
 * In the bytes after an incomplete record at the end of a file: is there a whole, valid record
 * further on? If so the "incomplete" record was damage (e.g. a corrupted length), not a cut.
 * Returns the relative position of the first valid record found, or -1.
 */
export function findValidRecord(unpackr: Unpackr, buf: Buffer, from: number, crcMode: CaptureHeader['crc'] = 'full'): number {
  // Every record starts with a map header and then the key "t" (a1 74) and a one-letter type.
  let i = buf.indexOf(MARK_T, from + 1);
  while (i > 0) {
    const s = buf[i - 1]! >= 0x80 && buf[i - 1]! <= 0x8f ? i - 1 : i >= 3 && buf[i - 3] === 0xde ? i - 3 : -1;
    if (s > from) {
      let ok = false;
      const r = parseRecords(
        unpackr,
        buf.subarray(s),
        () => {
          ok = true;
          return false;
        },
        false,
        crcMode,
      );
      if (ok && !r.corrupt) return s;
    }
    i = buf.indexOf(MARK_T, i + 1);
  }
  return -1;
}
const MARK_T = Buffer.from([0xa1, 0x74, 0xa1]);

export function isChunkRecord(r: CaptureRecord): r is ChunkRecord {
  return r.t === 'c';
}

export function isEventRecord(r: CaptureRecord): r is EventFileRecord {
  return r.t === 'e';
}

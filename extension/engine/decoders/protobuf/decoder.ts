// `protobuf`: protobuf messages, schema-less or with a schema (.proto files via protobufjs).
// A protobuf stream has no framing of its own: alone, this decoder treats everything one
// direction sends (until its end) as ONE message; for a stream of messages layer it under a
// framing, e.g. lenvarint+protobuf (protobuf's writeDelimited) or len32be+protobuf.
// Options: protoFiles: string[] (or a string), protoType: "pkg.Msg".
import type { Direction, FieldRange, Frame } from '../../types';
import { ByteAccumulator } from '../core/bytes';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../core/decoder';
import { maxFrameOf } from '../core/framed';
import { valuePreview } from '../core/preview';
import { decodeWithType, loadProtoRoot, lookupMessageType } from './schema';
import { checkProtoOptions, DECODER_PROTO_NAMES } from './options';
import { decodeRaw, rawSummary } from './wire';
import { typedProtobufRanges } from './ranges';
import type protobuf from 'protobufjs';

export interface ProtobufSchemaOptions {
  /** .proto files to load (cached). */
  protoFiles?: string[];
  /** Full message type name, e.g. "pkg.Msg". */
  protoType?: string;
  /** An already loaded root (instead of protoFiles). */
  root?: protobuf.Root;
}

export interface ProtobufResult {
  /** Schema: the message object. Schema-less: {fields: [...]} (see ./wire.ts). */
  decoded: unknown;
  summary: string;
  /** Set when the bytes are not a valid message (of the given type). */
  error?: string;
  /** Where each field's bytes are (paths into decoded). */
  ranges?: FieldRange[];
}

/**
 * Decode one protobuf message. With a schema (protoFiles or root, plus protoType) the result is
 * the typed message; when the bytes do not match the type, the error says so and decoded falls
 * back to the schema-less reading. Never throws for bad bytes; throws UserError for bad schema
 * options (missing file, unknown type).
 */
export function decodeProtobuf(bytes: Uint8Array, schema?: ProtobufSchemaOptions): ProtobufResult {
  if (schema?.protoType && (schema.root || schema.protoFiles?.length)) {
    const root = schema.root ?? loadProtoRoot(schema.protoFiles!);
    const type = lookupMessageType(root, schema.protoType);
    try {
      const value = decodeWithType(type, bytes);
      return { decoded: value, summary: `${type.name} ${valuePreview(value, 100)}`, ranges: typedProtobufRanges(bytes, type, decodeRaw(bytes).message) };
    } catch (err) {
      const raw = decodeRaw(bytes);
      return {
        decoded: raw.message,
        summary: rawSummary(raw.message),
        error: `does not decode as ${schema.protoType}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
  const raw = decodeRaw(bytes);
  const r: ProtobufResult = { decoded: raw.message, summary: rawSummary(raw.message) };
  if (raw.error) r.error = raw.error;
  return r;
}

/** Schema options from decoder options; validates them (UserError, see checkProtoOptions). .proto
 *  files without a message type (there for gRPC, whose methods name their types) leave protobuf
 *  schema-less. */
export function schemaOptions(options?: DecoderOptions): ProtobufSchemaOptions | undefined {
  const files = options?.protoFiles;
  const list = typeof files === 'string' ? [files] : Array.isArray(files) ? files.map(String) : [];
  const { root, protoType } = checkProtoOptions(list, options?.protoType, DECODER_PROTO_NAMES);
  return root && protoType ? { root, protoType } : undefined;
}

export function protobufFrame(dir: Direction, data: Uint8Array, schema?: ProtobufSchemaOptions): Frame {
  const r = decodeProtobuf(data, schema);
  const f: Frame = { dir, data, summary: r.summary, decoded: r.decoded };
  if (r.error) f.error = r.error;
  if (r.ranges?.length) f.ranges = r.ranges;
  return f;
}

class ProtobufConnDecoder implements ConnDecoder {
  private readonly bufs = new Map<Direction, ByteAccumulator>();

  constructor(
    private readonly max: number,
    private readonly schema?: ProtobufSchemaOptions,
  ) {}

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    let acc = this.bufs.get(dir);
    if (!acc) this.bufs.set(dir, (acc = new ByteAccumulator()));
    const out: Frame[] = [];
    let rest = bytes;
    // Never buffer more than maxFrame: a longer message is decoded in maxFrame pieces.
    while (acc.length + rest.length > this.max) {
      const n = this.max - acc.length;
      acc.append(rest.subarray(0, n));
      rest = rest.subarray(n);
      const f = protobufFrame(dir, acc.take(acc.length), this.schema);
      f.error = `message larger than the limit of ${this.max} bytes, cut` + (f.error ? `; ${f.error}` : '');
      out.push(f);
    }
    acc.append(rest);
    return out;
  }

  end(dir: Direction): Frame[] {
    const acc = this.bufs.get(dir);
    if (!acc || acc.length === 0) return [];
    return [protobufFrame(dir, acc.take(acc.length), this.schema)];
  }

  flush(dir: Direction): Frame[] {
    return this.end(dir);
  }
}

export const protobufDecoder: DecoderInfo = {
  name: 'protobuf',
  description: 'one protobuf message per direction (layer for streams: lenvarint+protobuf); schema-less, or typed with protoFiles + protoType',
  create(options?: DecoderOptions) {
    return new ProtobufConnDecoder(maxFrameOf(options), schemaOptions(options));
  },
};

// Encoding an edited value back into the bytes of a frame, in the frame's own protocol
// ("Edit and Send"). The value is what the decoder showed (the frame's `decoded`), changed.
// Covered: JSON-RPC and LSP (with the original's framing: Content-Length or newline), Go's
// net/rpc/jsonrpc, MessagePack (exact 64-bit integers), lines, length prefixes around any of
// these, Go's gob and net/rpc (with the types the connection defined: see encode-gob.ts), and
// ZeroMQ (ZMTP 2.0/3.x) multipart messages, and protobuf (typed by field names with the .proto
// type it was decoded with, else schema-less: the edited reading of each field). Others are
// edited as raw bytes (hex).
import { Packr } from 'msgpackr';
import { UserError } from '../util/errors';
import { toJson } from '../util/json';
import { encodeGobFrame } from './encode-gob';
import { decodeProtobuf } from '../decoders/protobuf/decoder';
import { encodeRawProtobuf, encodeTypedProtobuf } from '../decoders/protobuf/encode';
import { loadProtoRoot, lookupMessageType } from '../decoders/protobuf/schema';

/** The .proto files and message type a protobuf frame was decoded with (--proto, --proto-type). */
export interface ProtobufTyping {
  protoFiles?: string[];
  protoType?: string;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', variableMapSize: true });

function lenPrefix(kind: string, body: Uint8Array): Uint8Array {
  const m = kind.match(/^len(16|32)(be|le)$/);
  if (kind === 'lenvarint') {
    const v: number[] = [];
    for (let n = body.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        v.push(n);
        break;
      }
      v.push((n % 128) | 0x80);
    }
    return Buffer.concat([Buffer.from(v), body]);
  }
  if (!m) throw new UserError(`cannot frame a value with ${kind}`);
  const size = m[1] === '16' ? 2 : 4;
  if (body.length >= 2 ** (size * 8)) throw new UserError(`the edited message (${body.length} bytes) does not fit a ${kind} length`);
  const head = Buffer.alloc(size);
  const be = m[2] === 'be';
  if (size === 2) head[be ? 'writeUInt16BE' : 'writeUInt16LE'](body.length);
  else head[be ? 'writeUInt32BE' : 'writeUInt32LE'](body.length);
  return Buffer.concat([head, body]);
}

/** Protocols whose frames `encodeValue` can produce from a value. */
export function canEncode(proto: string): boolean {
  const parts = proto.split('+');
  const inner = parts.at(-1)!;
  if (proto === 'gob' || proto === 'netrpc' || proto === 'zmtp') return true;
  return ['jsonrpc', 'jsonrpc1', 'lsp', 'msgpack', 'lines', 'protobuf'].includes(inner) && parts.slice(0, -1).every((p) => /^len(16|32)(be|le)$|^lenvarint$|^lines$/.test(p));
}

/** The bytes of a frame of `proto` holding `value`; `original` (the frame's bytes) decides
 *  details the value does not carry (LSP headers or a newline, a line ending); `before` (the
 *  frames the same side sent earlier on the connection) holds the types of gob and net/rpc. */
export function encodeValue(proto: string, value: unknown, original: Uint8Array, before: Uint8Array[] = [], schema?: ProtobufTyping): Uint8Array {
  if (proto === 'gob' || proto === 'netrpc') return encodeGobFrame(proto, value, original, before);
  if (proto === 'zmtp') return encodeZmtpMessage(value, original);
  const parts = proto.split('+');
  const inner = parts.pop()!;
  let body: Uint8Array;
  const orig = Buffer.from(original);
  switch (inner) {
    case 'lsp':
    case 'jsonrpc': {
      const json = Buffer.from(toJson(value), 'utf8');
      if (inner === 'lsp' || /^Content-Length:/i.test(orig.subarray(0, 32).toString('latin1')))
        body = Buffer.concat([Buffer.from(`Content-Length: ${json.length}\r\n\r\n`, 'latin1'), json]);
      else body = parts.length ? json : Buffer.concat([json, orig.subarray(-2).toString('latin1') === '\r\n' ? Buffer.from('\r\n') : Buffer.from('\n')]);
      break;
    }
    case 'jsonrpc1': {
      // Go's net/rpc/jsonrpc: the decoder shows {kind, serviceMethod, seq, args}; the wire has
      // {"method", "params": [args], "id"}.
      const v = value as { kind?: unknown; serviceMethod?: unknown; seq?: unknown; args?: unknown } | null;
      const wire = v && typeof v === 'object' && v.kind === 'request' ? { method: v.serviceMethod, params: [v.args ?? null], id: v.seq ?? 0 } : value;
      body = Buffer.from(toJson(wire) + '\n', 'utf8');
      break;
    }
    case 'msgpack':
      body = packr.pack(value);
      break;
    case 'protobuf': {
      const payload = unframed(orig, parts);
      // Typed (--proto FILE --proto-type pkg.Msg) when the original decodes as that type: the
      // value's field names encoded back by protobufjs.
      if (schema?.protoType && schema.protoFiles?.length) {
        const typing = { protoFiles: schema.protoFiles, protoType: schema.protoType };
        if (!decodeProtobuf(payload, typing).error) {
          body = encodeTypedProtobuf(lookupMessageType(loadProtoRoot(schema.protoFiles), schema.protoType), value);
          break;
        }
      }
      // The original's reading tells which reading of a field was edited (varint as uint, int or
      // zigzag; bytes as string or sub-message).
      const before = decodeProtobuf(payload).decoded;
      const v = value as { fields?: unknown } | null;
      if (!v || typeof v !== 'object' || !Array.isArray(v.fields)) {
        throw new UserError(
          'a protobuf frame is edited as its schema-less reading {"fields":[…]}, or by field names with the type that decodes it (--proto FILE --proto-type pkg.Msg)',
        );
      }
      body = encodeRawProtobuf(value, before);
      break;
    }
    case 'lines': {
      if (typeof value !== 'string') throw new UserError('a lines frame is edited as a JSON string (its text)');
      const eol = orig.subarray(-2).toString('latin1') === '\r\n' ? '\r\n' : orig.at(-1) === 0x0a ? '\n' : '';
      body = Buffer.from(value.endsWith('\n') ? value : value + eol, 'utf8');
      break;
    }
    default:
      throw new UserError(`${proto} frames cannot be encoded from a value yet: edit the bytes instead (--hex)`);
  }
  for (let i = parts.length - 1; i >= 0; i--) body = parts[i] === 'lines' ? Buffer.concat([body, Buffer.from('\n')]) : lenPrefix(parts[i]!, body);
  return body;
}

/** A frame's bytes without the framing layers around its value (length prefixes, a line end). */
function unframed(b: Buffer, layers: string[]): Buffer {
  let body = b;
  for (const l of layers) {
    if (l === 'lines') body = body.subarray(0, body.at(-1) === 0x0a ? -1 : body.length);
    else if (l === 'lenvarint') {
      let i = 0;
      while (i < body.length && body[i]! & 0x80) i++;
      body = body.subarray(i + 1);
    } else body = body.subarray(/^len16/.test(l) ? 2 : 4);
  }
  return body;
}

/** The parts of a ZMTP 2.0/3.x message as sent (flags, 1- or 8-byte size, body per part). */
function zmtpParts(wire: Uint8Array): Uint8Array[] {
  const b = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < b.length;) {
    const flags = b[at]!;
    if (flags & 0x04) throw new UserError('a ZMTP command is not a message: edit its bytes instead (--hex)');
    const long = (flags & 0x02) !== 0;
    if (at + (long ? 9 : 2) > b.length) break;
    const size = long ? Number(b.readBigUInt64BE(at + 1)) : b[at + 1]!;
    const start = at + (long ? 9 : 2);
    out.push(b.subarray(start, start + size));
    at = start + size;
    if (!(flags & 0x01)) break;
  }
  return out;
}

/**
 * A ZMTP multipart message from its decoded value `{kind: "message", parts: [base64…], text:
 * [string|null…]}`: each part is its `text` when that was edited (it differs from the original
 * part), else its `parts` entry (base64); parts may be added or removed. Framed as ZMTP 2.0/3.x
 * frames: MORE on all but the last, 8-byte sizes from 256 bytes.
 */
function encodeZmtpMessage(value: unknown, original: Uint8Array): Uint8Array {
  const v = value as { kind?: unknown; parts?: unknown; text?: unknown } | null;
  if (!v || typeof v !== 'object' || v.kind !== 'message' || !Array.isArray(v.parts)) {
    throw new UserError('a ZMTP frame is edited as {"kind":"message","parts":[base64…],"text":[…]} (commands and greetings as bytes: --hex)');
  }
  const before = zmtpParts(original);
  const texts = Array.isArray(v.text) ? v.text : [];
  const bodies = v.parts.map((p, i): Buffer => {
    const t = texts[i];
    const orig = before[i] ? Buffer.from(before[i]!) : undefined;
    if (typeof t === 'string' && (!orig || !orig.equals(Buffer.from(t, 'utf8')))) return Buffer.from(t, 'utf8');
    if (typeof p !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(p)) throw new UserError(`part ${i} is neither text nor base64`);
    return Buffer.from(p, 'base64');
  });
  if (bodies.length === 0) throw new UserError('a ZMTP message has at least one part');
  return Buffer.concat(
    bodies.flatMap((body, i) => {
      const more = i < bodies.length - 1 ? 0x01 : 0;
      if (body.length < 256) return [Buffer.from([more, body.length]), body];
      const head = Buffer.alloc(9);
      head[0] = more | 0x02;
      head.writeBigUInt64BE(BigInt(body.length), 1);
      return [head, body];
    }),
  );
}

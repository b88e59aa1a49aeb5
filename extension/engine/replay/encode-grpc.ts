// Encoding an edited gRPC message frame: its `message` as protobuf — typed by the method's request
// type when .proto files define the service, else schema-less (the edited reading of each field)
// — in a gRPC message (uncompressed, 5-byte prefix).
import { encodeRawProtobuf, encodeTypedProtobuf } from '../decoders/protobuf/encode';
import { loadProtoRoot, lookupMessageType, lookupMethod } from '../decoders/protobuf/schema';
import { UserError } from '../util/errors';

export function encodeGrpcMessage(value: unknown, original: unknown, protoFiles: string[] = []): Uint8Array {
  const v = value as { kind?: unknown; path?: unknown; message?: unknown; dir?: unknown } | null;
  const o = original as { path?: unknown; message?: unknown; compressed?: unknown } | null;
  if (!v || typeof v !== 'object' || v.kind !== 'message' || !('message' in v))
    throw new UserError('a gRPC frame is edited as the message frame\'s decoded value: {"kind":"message", …, "message": …}');
  if (v.dir !== undefined && v.dir !== 'request') throw new UserError('only a request message can be sent');
  const path = typeof o?.path === 'string' ? o.path : undefined;
  let body: Uint8Array;
  const method = path && protoFiles.length ? lookupMethod(loadProtoRoot(protoFiles), path) : undefined;
  if (method) body = encodeTypedProtobuf(lookupMessageType(loadProtoRoot(protoFiles), method.requestType), v.message);
  else body = encodeRawProtobuf(v.message, o?.message);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

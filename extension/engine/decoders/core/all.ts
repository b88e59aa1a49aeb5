// Every decoder IPC Tap ships, in registration order (auto sniffs by `priority`, then this order).
// Adding a decoder: import its DecoderInfo and add it to the array.
import type { DecoderInfo } from './decoder';
import { gobDecoder } from '../gob/index';
import { jsonrpc1Decoder } from '../jsonrpc/jsonrpc1';
import { netrpcDecoder } from '../netrpc';
import { jsonrpcDecoder } from '../jsonrpc/jsonrpc';
import { lenDecoders } from '../len';
import { linesDecoder } from '../lines';
import { lspDecoder } from '../jsonrpc/lsp';
import { msgpackDecoder } from '../msgpack/decoder';
import { protobufDecoder } from '../protobuf/decoder';
import { rawDecoder } from '../raw';
import { grpcDecoder } from '../http2/grpc';
import { http2Decoder } from '../http2/index';
import { zmtpDecoder } from '../zmtp/index';

export const ALL_DECODERS: DecoderInfo[] = [
  rawDecoder,
  linesDecoder,
  ...lenDecoders,
  lspDecoder,
  jsonrpcDecoder,
  msgpackDecoder,
  protobufDecoder,
  gobDecoder,
  netrpcDecoder,
  jsonrpc1Decoder,
  zmtpDecoder,
  http2Decoder,
  grpcDecoder,
];

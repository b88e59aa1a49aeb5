// HTTP/2 frame layout (RFC 9113 section 4 and 6): the 9-byte header, type/flag/setting/error
// names, and plausibility checks used to find a frame boundary in a mid-stream capture.

export const PREFACE = Uint8Array.from(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
export const FRAME_HEADER_LEN = 9;

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

export const FRAME_TYPE_NAMES = ['DATA', 'HEADERS', 'PRIORITY', 'RST_STREAM', 'SETTINGS', 'PUSH_PROMISE', 'PING', 'GOAWAY', 'WINDOW_UPDATE', 'CONTINUATION'];

export const FLAG = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const SETTING_NAMES: Record<number, string> = {
  1: 'HEADER_TABLE_SIZE',
  2: 'ENABLE_PUSH',
  3: 'MAX_CONCURRENT_STREAMS',
  4: 'INITIAL_WINDOW_SIZE',
  5: 'MAX_FRAME_SIZE',
  6: 'MAX_HEADER_LIST_SIZE',
  8: 'ENABLE_CONNECT_PROTOCOL',
  9: 'NO_RFC7540_PRIORITIES',
};

export const ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

export function typeName(type: number): string {
  return FRAME_TYPE_NAMES[type] ?? `UNKNOWN_0x${type.toString(16)}`;
}

export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  stream: number;
}

/** The 9-byte frame header at b[at]. */
export function parseFrameHeader(b: Uint8Array, at = 0): FrameHeader {
  return {
    length: (b[at] << 16) | (b[at + 1] << 8) | b[at + 2],
    type: b[at + 3],
    flags: b[at + 4],
    stream: (b[at + 5] & 0x7f) * 2 ** 24 + ((b[at + 6] << 16) | (b[at + 7] << 8) | b[at + 8]),
  };
}

export function u32(b: Uint8Array, off: number): number {
  return b[off] * 2 ** 24 + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
}

/** Whether a header could start a real frame (for finding a boundary mid-stream). */
export function plausibleHeader(h: FrameHeader, b: Uint8Array): boolean {
  if (b[5] & 0x80) return false; // reserved bit
  if (h.length > 16384 && h.type !== T.DATA) return false; // default MAX_FRAME_SIZE
  switch (h.type) {
    case T.DATA:
      return h.stream !== 0 && (h.flags & ~0x09) === 0 && h.length <= 1 << 20;
    case T.HEADERS:
      return h.stream !== 0 && (h.flags & ~0x2d) === 0;
    case T.PRIORITY:
      return h.stream !== 0 && h.length === 5 && h.flags === 0;
    case T.RST_STREAM:
      return h.stream !== 0 && h.length === 4 && h.flags === 0;
    case T.SETTINGS:
      return h.stream === 0 && h.length % 6 === 0 && (h.flags & ~1) === 0 && (h.flags === 0 || h.length === 0);
    case T.PUSH_PROMISE:
      return h.stream !== 0 && (h.flags & ~0x0c) === 0;
    case T.PING:
      return h.stream === 0 && h.length === 8 && (h.flags & ~1) === 0;
    case T.GOAWAY:
      return h.stream === 0 && h.length >= 8 && h.flags === 0;
    case T.WINDOW_UPDATE:
      return h.length === 4 && h.flags === 0;
    case T.CONTINUATION:
      return h.stream !== 0 && (h.flags & ~0x04) === 0;
    default:
      return false;
  }
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

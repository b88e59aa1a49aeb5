// The `http2` decoder: HTTP/2 frames with HPACK-decoded header blocks, streams tracked.
// (`grpc` in ../grpc.ts shares this code and is what `auto` picks for an HTTP/2 preface.)
import type { DecoderInfo, SniffResult } from '../core/decoder';
import type { Direction } from '../../types';
import { H2Connection } from './connection';
import { PREFACE } from './frame-types';

const SERVER_SETTINGS_TAIL = [0x04, 0x00, 0x00, 0x00, 0x00, 0x00]; // type SETTINGS, no flags, stream 0

/**
 * 'yes' for the client preface (PRI * HTTP/2.0...). On the server's side (s2c/stdout), also for
 * a first frame that is a non-ACK SETTINGS frame on stream 0 (the server's connection preface).
 */
export function sniffHttp2(head: Uint8Array, dir: Direction): SniffResult {
  const n = Math.min(head.length, PREFACE.length);
  let i = 0;
  while (i < n && head[i] === PREFACE[i]) i++;
  if (i === n) return n === PREFACE.length ? 'yes' : 'more';
  if (dir === 'c2s' || dir === 'stdin') return 'no';
  const m = Math.min(head.length, 9);
  if (m >= 1 && head[0] !== 0) return 'no';
  for (let k = 3; k < m; k++) if (head[k] !== SERVER_SETTINGS_TAIL[k - 3]) return 'no';
  if (head.length < 9) return 'more';
  const len = (head[1] << 8) | head[2];
  return len % 6 === 0 && len <= 60 ? 'yes' : 'no';
}

export const http2Decoder: DecoderInfo = {
  name: 'http2',
  description: 'HTTP/2 frames with HPACK header blocks (h2c, prior knowledge), streams tracked',
  sniff: sniffHttp2,
  priority: 5,
  create: (options) => new H2Connection(options),
};

export { H2Connection } from './connection';

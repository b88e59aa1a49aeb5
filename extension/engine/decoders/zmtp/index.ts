// The `zmtp` decoder (ZeroMQ message transport, 3.0/3.1 decoded, 2.0 decoded, 1.0 detected).
import type { DecoderInfo, SniffResult } from '../core/decoder';
import { ZmtpConnection } from './connection';

/** The ZMTP 2.0/3.x signature: FF, 8 bytes of padding, 7F. */
export function sniffZmtp(head: Uint8Array): SniffResult {
  if (head.length === 0) return 'more';
  if (head[0] !== 0xff) return 'no';
  if (head.length < 10) return 'more';
  return head[9] === 0x7f ? 'yes' : 'no';
}

export const zmtpDecoder: DecoderInfo = {
  name: 'zmtp',
  description: 'ZeroMQ ZMTP 3.0/3.1 (and 2.0): greeting, commands, multipart messages, subscriptions',
  sniff: sniffZmtp,
  priority: 5,
  create: (options) => new ZmtpConnection(options),
};

export { ZmtpConnection } from './connection';

// ZMTP greetings and version detection (ZeroMQ RFC 23 / 37, RFC 15 for 2.0, RFC 13 for 1.0).
// 3.x: FF, 8 padding bytes, 7F, major, minor, 20-byte mechanism, as-server, 31 filler = 64 bytes.
// 2.0: FF, 8 padding, 7F, revision 01, socket type byte. 1.0: no signature (length-prefixed
// identity frame), or FF + 8-byte length whose byte 9 has bit 0 clear.

export const GREETING_V3_LEN = 64;

/** ZMTP 2.0 socket-type bytes (RFC 15). */
export const V2_SOCKET_TYPES = ['PAIR', 'PUB', 'SUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PULL', 'PUSH', 'XPUB', 'XSUB'];

export type Detected = { kind: 'more'; need: number } | { kind: 'v1' } | { kind: 'v2'; length: 12 } | { kind: 'v3'; length: typeof GREETING_V3_LEN };

/** Decide the version from the first bytes of a direction. */
export function detectVersion(head: Uint8Array): Detected {
  if (head.length < 1) return { kind: 'more', need: 1 };
  if (head[0] !== 0xff) return { kind: 'v1' };
  if (head.length < 10) return { kind: 'more', need: 10 };
  if ((head[9] & 1) === 0) return { kind: 'v1' };
  if (head.length < 11) return { kind: 'more', need: 11 };
  const rev = head[10];
  if (rev === 1 || rev === 2) return { kind: 'v2', length: 12 };
  if (rev >= 3) return { kind: 'v3', length: GREETING_V3_LEN };
  return { kind: 'v1' };
}

export interface GreetingV3 {
  kind: 'greeting';
  version: string;
  major: number;
  minor: number;
  mechanism: string;
  asServer: boolean;
}

export function parseGreetingV3(g: Uint8Array): GreetingV3 {
  let end = 12;
  while (end < 32 && g[end] !== 0) end++;
  const mechanism = Buffer.from(g.subarray(12, end)).toString('latin1');
  return {
    kind: 'greeting',
    version: `${g[10]}.${g[11]}`,
    major: g[10],
    minor: g[11],
    mechanism,
    asServer: g[32] === 1,
  };
}

export function parseGreetingV2(g: Uint8Array): { kind: 'greeting'; version: '2.0'; revision: number; socketType: string } {
  return { kind: 'greeting', version: '2.0', revision: g[10], socketType: V2_SOCKET_TYPES[g[11]] ?? `0x${g[11].toString(16)}` };
}

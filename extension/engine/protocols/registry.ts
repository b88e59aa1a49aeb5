// The decoder registry: every decoder module is listed in ./all.ts; names are resolved here.
// Names: a registered name ("lines", "gob"), "auto", or layered "OUTER+INNER" (e.g.
// "len32be+msgpack": the outer framing's payloads are decoded by the inner decoder).
import type { DecoderInfo } from './decoder';

const byName = new Map<string, DecoderInfo>();

export function registerDecoder(info: DecoderInfo): void {
  byName.set(info.name, info);
}

export function getDecoder(name: string): DecoderInfo | undefined {
  return byName.get(name);
}

export function listDecoders(): DecoderInfo[] {
  return [...byName.values()];
}

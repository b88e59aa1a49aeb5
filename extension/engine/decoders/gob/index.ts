// The `gob` decoder: a Go encoding/gob stream per direction.
// Frames: {"typedef":{…}} for type definitions, {"type":NAME,"value":V} for values, where V is
// what Go's encoding/json prints for the receiver's value (see value.ts); `concrete` maps the
// JSON pointers of interface values to their concrete type names, `defines` lists types defined
// inside the value.
import type { Direction, Frame } from '../../types';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../core/decoder';
import { gobFrame } from './frames';
import { sniffGob } from './sniff';
import { GobStream, type GobItem, type GobStreamOptions } from './stream';

export { GobStream, type GobItem, type GobStreamOptions } from './stream';
export { gobFrame, concreteList } from './frames';
export { sniffGob, firstTypedef, isRpcHeaderType } from './sniff';
export { preview, compareUtf8, mapKeyString, oneLine } from './render';
export { formatTime, formatGobTime, decodeBigInt, decodeBigRat } from './extern';

export function gobStreamOptions(options?: DecoderOptions): GobStreamOptions {
  const o: GobStreamOptions = {};
  if (typeof options?.maxFrame === 'number') o.maxFrame = options.maxFrame;
  if (typeof options?.gobMaxDepth === 'number') o.maxDepth = options.gobMaxDepth;
  return o;
}

function frames(dir: Direction, items: GobItem[]): Frame[] {
  const out: Frame[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = gobFrame(dir, items[i]!);
  return out;
}

class GobConnDecoder implements ConnDecoder {
  private readonly streams = new Map<Direction, GobStream>();
  constructor(private readonly opts: GobStreamOptions) {}

  private stream(dir: Direction): GobStream {
    let s = this.streams.get(dir);
    if (!s) this.streams.set(dir, (s = new GobStream(this.opts)));
    return s;
  }

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    return frames(dir, this.stream(dir).push(bytes));
  }

  end(dir: Direction): Frame[] {
    return frames(dir, this.stream(dir).end());
  }
}

export const gobDecoder: DecoderInfo = {
  name: 'gob',
  description: 'Go encoding/gob stream: type definitions and values rendered as Go’s encoding/json prints them',
  priority: 10,
  sniff: (head) => sniffGob(head),
  create: (options) => new GobConnDecoder(gobStreamOptions(options)),
};

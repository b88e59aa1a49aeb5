// `auto`: picks a decoder per connection AND direction by sniffing the first bytes of each
// direction. Registered decoders with a sniff function are asked in priority order (highest
// first); the first 'yes' wins; a 'more' from a decoder ranked above waits for more bytes, up to
// SNIFF_CAP bytes or the end of the direction, after which it counts as 'no'. No 'yes' → raw.
// Directions that pick the same decoder share ONE instance of it, so request/response pairing
// works across c2s and s2c. Every frame's `proto` names the decoder that produced it.
import type { Direction, Frame } from '../../types';
import { ByteAccumulator } from './bytes';
import type { ConnDecoder, DecoderInfo, DecoderOptions, SniffResult } from './decoder';
import { rawDecoder } from '../raw';

export const SNIFF_CAP = 4096;

interface DirState {
  head: ByteAccumulator;
  chosen?: { name: string; dec: ConnDecoder };
}

/** The decoders auto asks, in the order it asks them. */
export function sniffOrder(decoders: DecoderInfo[]): DecoderInfo[] {
  return decoders
    .filter((d) => typeof d.sniff === 'function')
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (b.d.priority ?? 0) - (a.d.priority ?? 0) || a.i - b.i)
    .map((x) => x.d);
}

/** Sniff `head`: the chosen decoder, or undefined to wait for more bytes. */
export function sniffHead(candidates: DecoderInfo[], head: Uint8Array, dir: Direction, final: boolean): DecoderInfo | undefined {
  for (const d of candidates) {
    let r: SniffResult;
    try {
      r = d.sniff!(head, dir);
    } catch {
      r = 'no';
    }
    if (r === 'yes') return d;
    if (r === 'more' && !final && head.length < SNIFF_CAP) return undefined;
  }
  return rawDecoder;
}

export class AutoConnDecoder implements ConnDecoder {
  private readonly dirs = new Map<Direction, DirState>();
  private readonly instances = new Map<string, ConnDecoder>();

  constructor(
    private readonly candidates: DecoderInfo[],
    private readonly options?: DecoderOptions,
  ) {}

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    const st = this.state(dir);
    if (st.chosen) return tag(st.chosen.dec.push(dir, bytes), st.chosen.name);
    if (bytes.length === 0) return [];
    st.head.append(bytes);
    return this.decide(dir, st, false);
  }

  end(dir: Direction): Frame[] {
    const st = this.dirs.get(dir);
    if (!st) return [];
    const out = st.chosen ? [] : this.decide(dir, st, true);
    if (!st.chosen) return out;
    for (const f of tag(st.chosen.dec.end(dir), st.chosen.name)) out.push(f);
    return out;
  }

  flush(dir: Direction): Frame[] {
    const st = this.dirs.get(dir);
    if (!st) return [];
    const out = st.chosen ? [] : this.decide(dir, st, true);
    if (!st.chosen?.dec.flush) return out;
    for (const f of tag(st.chosen.dec.flush(dir), st.chosen.name)) out.push(f);
    return out;
  }

  /** The decoder chosen for a direction, if decided. */
  chosen(dir: Direction): string | undefined {
    return this.dirs.get(dir)?.chosen?.name;
  }

  private decide(dir: Direction, st: DirState, final: boolean): Frame[] {
    if (st.head.length === 0) return [];
    const info = sniffHead(this.candidates, st.head.view(), dir, final);
    if (!info) return [];
    let dec = this.instances.get(info.name);
    if (!dec) {
      dec = info.create(this.options);
      this.instances.set(info.name, dec);
    }
    st.chosen = { name: info.name, dec };
    const head = st.head.take(st.head.length);
    return tag(dec.push(dir, head), info.name);
  }

  private state(dir: Direction): DirState {
    let st = this.dirs.get(dir);
    if (!st) this.dirs.set(dir, (st = { head: new ByteAccumulator() }));
    return st;
  }
}

function tag(frames: Frame[], name: string): Frame[] {
  for (const f of frames) if (f.proto === undefined) f.proto = name;
  return frames;
}

export function autoDecoder(candidates: () => DecoderInfo[]): DecoderInfo {
  return {
    name: 'auto',
    description: 'sniff each connection and direction (Go net/rpc, ZMTP, HTTP/2, LSP/JSON-RPC, gob, JSON, text), else raw',
    create(options?: DecoderOptions) {
      return new AutoConnDecoder(sniffOrder(candidates()), options);
    },
  };
}

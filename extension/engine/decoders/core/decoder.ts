// The sans-IO decoder seam. A decoder gets bytes per direction and returns frames.
// Rules every decoder follows (tested by the shared decoder suite and the fuzz tests):
//  - never throws out of push()/end(), whatever bytes arrive; garbage yields a frame with
//    `error` set and the decoder resynchronises (or degrades to raw chunks);
//  - partial input waits for more; end() flushes what is left as a (truncated) error frame;
//  - never hangs: work is bounded by the bytes given; buffered bytes are capped (maxFrame);
//  - no sockets, no timers, no clocks.
import type { Direction, Frame } from '../../types';

export interface DecoderOptions {
  /** Largest frame the decoder buffers before giving up on it (bytes). Default 64 MiB. */
  maxFrame?: number;
  /** Free-form options a decoder understands, e.g. protobuf schema files. */
  [key: string]: unknown;
}

/** One connection's decoder: holds the state of both directions. */
export interface ConnDecoder {
  push(dir: Direction, bytes: Uint8Array): Frame[];
  /** The direction ended (EOF). Return frames for anything left over. */
  end(dir: Direction): Frame[];
  /**
   * Optional: a message boundary (used by layering, e.g. len32be+msgpack: each outer payload is
   * pushed, then flushed). Decode what is buffered for `dir` as complete input, like end(), but
   * the direction stays open and per-connection state (type tables, pairing) is kept.
   */
  flush?(dir: Direction): Frame[];
}

/** What a sniff function says about the first bytes of a direction. */
export type SniffResult = 'yes' | 'no' | 'more';

export interface DecoderInfo {
  /** Name used with --decode, e.g. "lines", "len32be", "gob". */
  name: string;
  /** One line for `ipctap decoders` and the UI. */
  description: string;
  /**
   * Sniffing for `auto`: look at the first bytes seen in one direction (and optionally which
   * direction it is). 'more' asks for more bytes. Decoders without sniff are never picked by auto.
   * Higher `priority` wins when several say yes (default 0).
   */
  sniff?(head: Uint8Array, dir: Direction): SniffResult;
  priority?: number;
  create(options?: DecoderOptions): ConnDecoder;
}

export const DEFAULT_MAX_FRAME = 64 * 1024 * 1024;

// Shared plumbing for framing decoders: a Framer cuts one direction's byte stream into pieces
// (a frame's bytes plus where its payload lies inside them); a framed decoder keeps one framer
// per direction and turns pieces into frames.
import type { Direction, Frame } from '../../types';
import type { ConnDecoder, DecoderOptions } from './decoder';
import { DEFAULT_MAX_FRAME } from './decoder';

export interface Piece {
  /** All bytes of the frame (prefix/headers/terminator included). */
  data: Uint8Array;
  /** Payload range inside `data`. */
  start: number;
  end: number;
  /** Set when these bytes are not a well-formed frame (skipped garbage, truncation, oversize). */
  error?: string;
  /** The payload decoded as UTF-8, when the framer decodes it anyway (lines, lsp). */
  text?: string;
  /**
   * The bytes being parsed when the piece was cut and where `data` starts in them: lets a frame
   * builder decode text without another view. Valid only until the framer's next push.
   */
  src?: Buffer;
  at?: number;
  /** Framer-specific facts (e.g. LSP headers). */
  meta?: Record<string, string>;
}

/**
 * A piece with every field present (one object shape for all pieces keeps hot code monomorphic).
 *
 * Made with `new`, not as an object literal. V8 gives a literal with properties an allocation
 * site and pretenures it (allocates its objects straight in the old generation) once a young GC
 * finds every object it made since the last one still alive, which pieces and frames usually
 * are, since a push returns them all together. Pretenured, each of them then holds young
 * objects (payload views, decoded values) alive through young GCs: framing and msgpack
 * decoding then run at a third to a half of their speed.
 */
export function makePiece(data: Uint8Array, start: number, end: number, error?: string): Piece {
  return new FullPiece(data, start, end, error);
}

// (fields declared only, so the constructor alone makes them, in this order)
class FullPiece implements Piece {
  declare data: Uint8Array;
  declare start: number;
  declare end: number;
  declare error: string | undefined;
  declare text: string | undefined;
  declare src: Buffer | undefined;
  declare at: number;
  declare meta: Record<string, string> | undefined;

  constructor(data: Uint8Array, start: number, end: number, error: string | undefined) {
    this.data = data;
    this.start = start;
    this.end = end;
    this.error = error;
    this.text = undefined;
    this.src = undefined;
    this.at = 0;
    this.meta = undefined;
  }
}

export interface Framer {
  push(bytes: Uint8Array): Piece[];
  /** End of input (or of a layered message): flush what is buffered; the framer can go on. */
  end(): Piece[];
}

/**
 * Set by the layered decoder on its OUTER decoder: only framing is needed (payload ranges), the
 * INNER decoder provides summary and decoded, so framing decoders skip their own decoding.
 */
export function isOuter(options?: DecoderOptions): boolean {
  return options?.asOuter === true;
}

/** The frame an OUTER-only framing decoder gives: bytes, payload range, error. */
export function bareFrame(p: Piece, dir: Direction): Frame {
  const f: Frame = { dir, data: p.data, summary: '', decoded: null, payload: { start: p.start, end: p.end } };
  if (p.error) {
    f.error = p.error;
    f.summary = `${p.data.length} B`;
  }
  return f;
}

export function maxFrameOf(options?: DecoderOptions): number {
  const m = options?.maxFrame;
  return typeof m === 'number' && m > 0 ? Math.floor(m) : DEFAULT_MAX_FRAME;
}

/** A ConnDecoder with one framer per direction; `toFrame` maps each piece to a frame. */
export class FramedConnDecoder implements ConnDecoder {
  private readonly framers = new Map<Direction, Framer>();

  constructor(
    private readonly makeFramer: () => Framer,
    private readonly toFrame: (piece: Piece, dir: Direction) => Frame,
  ) {}

  push(dir: Direction, bytes: Uint8Array): Frame[] {
    if (bytes.length === 0) return [];
    return this.map(this.framer(dir).push(bytes), dir);
  }

  end(dir: Direction): Frame[] {
    const f = this.framers.get(dir);
    return f ? this.map(f.end(), dir) : [];
  }

  flush(dir: Direction): Frame[] {
    return this.end(dir);
  }

  private framer(dir: Direction): Framer {
    let f = this.framers.get(dir);
    if (!f) this.framers.set(dir, (f = this.makeFramer()));
    return f;
  }

  private map(pieces: Piece[], dir: Direction): Frame[] {
    const out = new Array<Frame>(pieces.length);
    for (let i = 0; i < pieces.length; i++) out[i] = this.toFrame(pieces[i], dir);
    return out;
  }
}

/** Payload bytes of a piece. */
export function payloadOf(p: Piece): Uint8Array {
  return p.start === 0 && p.end === p.data.length ? p.data : p.data.subarray(p.start, p.end);
}

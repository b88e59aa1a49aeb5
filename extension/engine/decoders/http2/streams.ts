// What the HTTP/2 decoder remembers about each stream: request line, response status, which
// sides ended, and a slot for a layer above (gRPC) to keep its per-stream state.
import type { Direction } from '../../types';

export interface StreamInfo {
  id: number;
  method?: string;
  path?: string;
  authority?: string;
  /** content-type of the request (or of the response when the request was not seen). */
  contentType?: string;
  status?: string;
  /** Header blocks seen per sending direction. */
  blocks: Partial<Record<Direction, number>>;
  /** A final (non-1xx) response header block was seen. */
  responded: boolean;
  ended: Partial<Record<Direction, boolean>>;
  reset?: boolean;
  /** grpc-encoding / content-encoding announced per sending direction. */
  encoding: Partial<Record<Direction, string>>;
  /** State kept by a layer above HTTP/2 (gRPC message reassembly). */
  layer?: unknown;
}

/** Streams by id, bounded: the oldest are forgotten past `cap`. */
export class StreamTable {
  private map = new Map<number, StreamInfo>();
  constructor(private readonly cap = 4096) {}

  get(id: number): StreamInfo {
    let s = this.map.get(id);
    if (!s) {
      s = { id, blocks: {}, responded: false, ended: {}, encoding: {} };
      this.map.set(id, s);
      if (this.map.size > this.cap) {
        const oldest = this.map.keys().next().value as number;
        this.map.delete(oldest);
      }
    }
    return s;
  }

  has(id: number): boolean {
    return this.map.has(id);
  }

  all(): IterableIterator<StreamInfo> {
    return this.map.values();
  }

  get size(): number {
    return this.map.size;
  }
}

// Decoding of what protocol integration tests recorded: the peers talk through the engine's real
// taps (test/helpers/tap-recorder.ts), which record each chunk per connection and direction
// (c2s = from the connecting peer); decodeRecorded runs one decoder per connection over them.
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../../extension/engine/decoders/core/decoder';
import type { Direction, Frame } from '../../extension/engine/types';

export interface RecordedChunk {
  conn: number;
  dir: Direction;
  data: Uint8Array;
}

/** Decode recorded chunks with one decoder instance per connection, in recorded order. */
export function decodeRecorded(info: DecoderInfo, chunks: RecordedChunk[], options?: DecoderOptions): Map<number, Frame[]> {
  const decs = new Map<number, ConnDecoder>();
  const out = new Map<number, Frame[]>();
  const dirs = new Map<number, Set<Direction>>();
  for (const c of chunks) {
    let d = decs.get(c.conn);
    if (!d) {
      decs.set(c.conn, (d = info.create(options)));
      out.set(c.conn, []);
      dirs.set(c.conn, new Set());
    }
    dirs.get(c.conn)!.add(c.dir);
    out.get(c.conn)!.push(...d.push(c.dir, c.data));
  }
  for (const [conn, d] of decs) for (const dir of dirs.get(conn)!) out.get(conn)!.push(...d.end(dir));
  return out;
}

// Protocol integration tests' relay: the engine's real proxy tap (tcp:PORT=HOST:PORT or
// unix:LISTEN=TARGET) between the peers, recording each chunk per connection and direction
// (c2s = from the connecting peer).
import { recordThroughTap, tapPort } from './tap-recorder';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../../extension/engine/protocols/decoder';
import type { Direction, Frame } from '../../extension/engine/types';

export type Endpoint = { host: '127.0.0.1'; port: number } | { path: string };

export interface RecordedChunk {
  conn: number;
  dir: Direction;
  data: Uint8Array;
}

export interface Relay {
  /** Where clients connect: {host, port} or {path}. */
  listen: Endpoint;
  chunks: RecordedChunk[];
  /** Connections accepted so far. */
  connections(): number;
  /** Stop listening, close open connections, remove a Unix socket path. */
  close(): Promise<void>;
}

export async function startRelay(target: Endpoint, listen: Endpoint): Promise<Relay> {
  const spec =
    'path' in target
      ? `unix:${'path' in listen ? listen.path : ''}=${target.path}`
      : `tcp:${'port' in listen ? listen.port : 0}=${target.host}:${target.port}`;
  if ('path' in target !== 'path' in listen) throw new Error('relay: listen and target must both be Unix or both TCP');
  const rec = await recordThroughTap(spec);
  return {
    listen: 'path' in listen ? listen : { host: '127.0.0.1', port: tapPort(rec.tap) },
    chunks: rec.chunks,
    connections: rec.connections,
    close: () => rec.stop(),
  };
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

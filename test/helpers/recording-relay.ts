// A recording relay for protocol integration tests: listens on loopback TCP or a Unix socket,
// forwards every accepted connection to the target, and records each chunk per connection and
// direction (c2s = from the connecting peer). Swappable: the engine's real taps can replace it
// as long as they yield the same RecordedChunk list.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
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
  const chunks: RecordedChunk[] = [];
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const conn = ++next;
    const upstream = 'path' in target ? createConnection(target.path) : createConnection(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const pipe = (from: Socket, to: Socket, dir: Direction) => {
      from.on('data', (b: Buffer) => {
        chunks.push({ conn, dir, data: Uint8Array.from(b) });
        to.write(b);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    };
    pipe(client, upstream, 'c2s');
    pipe(upstream, client, 's2c');
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    if ('path' in listen) server.listen(listen.path, res);
    else server.listen(listen.port, listen.host, res);
  });
  const addr = server.address();
  const bound: Endpoint = 'path' in listen ? listen : { host: '127.0.0.1', port: typeof addr === 'object' && addr ? addr.port : 0 };
  return {
    listen: bound,
    chunks,
    connections: () => next,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      if ('path' in listen) rmSync(listen.path, { force: true });
    },
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

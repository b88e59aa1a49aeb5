// A minimal recording TCP relay on 127.0.0.1 for decoder integration tests: forwards each
// accepted connection to the target and records every chunk with its direction, in arrival
// order. (Stands in until these tests run through the real TCP tap; same shape of data.)
import { createServer, connect, type Socket } from 'node:net';
import type { Direction } from '../../../extension/engine/types';

export interface RecordedChunk {
  conn: number;
  dir: Direction;
  data: Buffer;
}

export interface Relay {
  port: number;
  chunks: RecordedChunk[];
  /** Waits for open connections to finish (up to `ms`), then closes the listener. */
  close(ms?: number): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const chunks: RecordedChunk[] = [];
  const open = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((client) => {
    const conn = ++next;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => chunks.push({ conn, dir: 'c2s', data: d }));
    upstream.on('data', (d: Buffer) => chunks.push({ conn, dir: 's2c', data: d }));
    client.pipe(upstream);
    upstream.pipe(client);
    const done = new Promise<void>((resolve) => {
      let closed = 0;
      const one = () => {
        if (++closed === 2) resolve();
      };
      client.on('close', one);
      upstream.on('close', one);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    open.add(done);
    void done.then(() => open.delete(done));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('relay has no TCP address');
  return {
    port: addr.port,
    chunks,
    async close(ms = 3000) {
      const timer = new Promise<void>((r) => setTimeout(r, ms).unref());
      await Promise.race([Promise.all([...open]), timer]);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

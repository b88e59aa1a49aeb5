// The net/rpc integration tests capture through the engine's real TCP proxy tap on 127.0.0.1,
// recording every chunk with its connection and direction in arrival order.
import { recordThroughTap, tapPort } from '../../helpers/tap-recorder';
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
  const rec = await recordThroughTap(`tcp:0=127.0.0.1:${targetPort}`);
  return {
    port: tapPort(rec.tap),
    chunks: rec.chunks,
    async close(ms = 3000) {
      await rec.idle(ms);
      await rec.stop();
    },
  };
}

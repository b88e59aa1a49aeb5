// Records what the engine's real taps see, for protocol integration tests: peers talk through a
// real tcp or unix proxy tap (the same code `ipctap proxy` runs), and every chunk is kept with its
// connection and direction.
import { createTap } from '../../extension/engine/taps/create';
import { parseTapSpec } from '../../extension/engine/taps/spec';
import type { Tap, TapSink } from '../../extension/engine/taps/tap';
import type { Direction, EventBody } from '../../extension/engine/types';

export interface TappedChunk {
  conn: number;
  dir: Direction;
  data: Buffer;
}

export interface TapRecorder {
  tap: Tap;
  chunks: TappedChunk[];
  events: EventBody[];
  /** Connections opened so far. */
  connections(): number;
  /** Resolves when every connection opened so far has closed (or after `ms`). */
  idle(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function recordThroughTap(spec: string): Promise<TapRecorder> {
  const chunks: TappedChunk[] = [];
  const events: EventBody[] = [];
  const open = new Set<number>();
  let opened = 0;
  let nextConn = 1;
  let wake: (() => void) | undefined;
  const sink: TapSink = {
    newConn: () => nextConn++,
    chunk: (conn, dir, data) => {
      chunks.push({ conn, dir, data: Buffer.from(data) });
    },
    event: (ev) => {
      events.push(ev);
      if (ev.kind === 'open' && ev.conn !== undefined) {
        open.add(ev.conn);
        opened++;
      }
      if (ev.kind === 'close' && ev.conn !== undefined) {
        open.delete(ev.conn);
        if (open.size === 0) wake?.();
      }
    },
  };
  const tap = createTap(parseTapSpec(spec), sink);
  await tap.start();
  return {
    tap,
    chunks,
    events,
    connections: () => opened,
    idle: (ms = 3000) =>
      new Promise<void>((res) => {
        if (open.size === 0) return res();
        const t = setTimeout(res, ms);
        t.unref();
        wake = () => {
          clearTimeout(t);
          res();
        };
      }),
    stop: () => tap.stop(),
  };
}

/** The port a started tcp tap listens on. */
export function tapPort(tap: Tap): number {
  return Number(String(tap.address).split(':').pop());
}

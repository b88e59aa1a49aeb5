// The one Tap interface every tap implements (stdio, unix, fifo, tcp).
import type { Direction, EventBody } from '../types';

/** Where a tap sends what it sees. The session implements this. */
export interface TapSink {
  /** A new connection id (unique in the session). */
  newConn(): number;
  /** A copy-free hand-off of bytes just read; the sink must not block and must not keep `data`
   *  past the call unless it copies it (the unix and tcp taps read into the same buffer again). */
  chunk(conn: number, dir: Direction, data: Uint8Array): void;
  event(ev: EventBody): void;
  /** Lossless capture: a promise while the capture file is behind (the tap stops reading the
   *  source that just delivered a chunk until it settles); undefined to go on reading. */
  holdBack?(): Promise<void> | undefined;
}

export type TapKind = 'stdio' | 'unix' | 'fifo' | 'tcp' | 'shm' | 'trace';

export interface Tap {
  readonly kind: TapKind;
  /** The spec as the user gave it, canonicalised (e.g. "unix:/tmp/app.sock"). Used as the tap's name. */
  readonly spec: string;
  /** Where clients now connect (proxy address or the taken-over path); set once started. */
  readonly address: string | undefined;
  /**
   * Start listening. For a takeover this waits until the target exists (it may appear after the
   * server is launched), then renames and listens. Resolves once ready (after emitting 'tap-ready');
   * rejects with a user-facing Error on failure (path missing after the wait, port in use, ...).
   * `signal` aborts a pending wait.
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Stop accepting, close connections, and undo any takeover. Idempotent. */
  stop(): Promise<void>;
}

/** A parsed --tap argument. */
export type TapSpec =
  | { kind: 'unix'; mode: 'takeover'; path: string; spec: string }
  | { kind: 'unix'; mode: 'proxy'; listen: string; target: string; spec: string }
  | { kind: 'fifo'; mode: 'takeover'; path: string; spec: string }
  | { kind: 'fifo'; mode: 'relay'; listen: string; target: string; spec: string }
  | { kind: 'tcp'; listenHost: string; listenPort: number; targetHost: string; targetPort: number; spec: string };

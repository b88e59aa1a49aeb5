// Directions, event kinds and the fields of an event: the shapes the engine records and the
// host and webview receive. Pure types and constants, no imports.

/** Which way bytes flowed. Socket-like taps use c2s/s2c; the stdio tap uses the three streams. */
export type Direction = 'c2s' | 's2c' | 'stdin' | 'stdout' | 'stderr';
export const DIRECTIONS: readonly Direction[] = ['c2s', 's2c', 'stdin', 'stdout', 'stderr'];

export type EventKind =
  | 'spawn' // pid, command
  | 'exit' // pid, code, signal, bySignal (a signal we sent ended it)
  | 'signal-sent' // pid, signal, group
  | 'stopped' // pid (SIGSTOP/SIGTSTP took effect)
  | 'continued' // pid
  | 'open' // conn, tap, from, to, peers
  | 'close' // conn, reason ('eof' | 'reset' | 'error' | 'stopped'), message
  | 'half-close' // conn, dir: the side that finished sending
  | 'error' // message, conn?, tap?
  | 'tap-ready' // tap, address, message
  | 'tap-stopped' // tap
  | 'restored' // path, from (a takeover rename was undone)
  | 'capture-dropped' // bytes: capture fell behind and dropped data (forwarding went on)
  | 'gap' // conn, dir?, bytes?: traced bytes that were not captured (decoders resync after it)
  | 'signal-received' // pid, signal, senderPid, senderCommand (seen by tracing)
  | 'note'; // message

/**
 * The fields of an event, declared once: the engine's events (kind: EventKind), the rows sent to
 * the panel and the summaries all use this shape.
 */
export interface EventFields<K extends string = EventKind> {
  kind: K;
  pid?: number;
  command?: string[];
  code?: number | null;
  signal?: string | null;
  bySignal?: boolean;
  group?: boolean;
  conn?: number;
  tap?: string;
  dir?: Direction;
  from?: string;
  to?: string;
  /** Processes at each end of a connection, where /proc can tell. */
  peers?: { client?: number[]; server?: number[] };
  reason?: string;
  message?: string;
  address?: string;
  path?: string;
  bytes?: number;
  /** signal-received: who sent it (pid and command name, when known). */
  senderPid?: number;
  senderCommand?: string;
}

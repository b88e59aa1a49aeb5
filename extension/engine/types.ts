// Core data shapes shared by taps, decoders, the capture store, the CLI and the server.
// No 'vscode', no DOM, no I/O here.

/** Which way bytes flowed. Socket-like taps use c2s/s2c; the stdio tap uses the three streams. */
export type Direction = 'c2s' | 's2c' | 'stdin' | 'stdout' | 'stderr';
export const DIRECTIONS: readonly Direction[] = ['c2s', 's2c', 'stdin', 'stdout', 'stderr'];

/** Bytes read from one side of one connection, as the tap saw them. */
export interface Chunk {
  conn: number;
  dir: Direction;
  /** Wall clock, microseconds since the Unix epoch. */
  ts: number;
  /** Monotonic clock, microseconds since the session started. */
  mono: number;
  data: Uint8Array;
}

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

/** An event as taps and processes report it; the session adds ts/mono/id. */
export interface EventBody {
  kind: EventKind;
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

export interface EventRecord extends EventBody {
  ts: number;
  mono: number;
}

/** A byte range inside a frame's data that a decoded field came from. */
export interface FieldRange {
  /** JSON-pointer-like path into `decoded`, e.g. "/args/A". */
  path: string;
  start: number;
  end: number;
}

/**
 * What a decoder produces: one message, request, reply, command, or (raw) chunk.
 * `decoded` must be JSON-able, with these allowances: bigint for exact integers
 * (written as exact JSON numbers), Map for maps with non-string keys is NOT allowed
 * (decoders render such maps themselves, e.g. as [[k, v], ...] with a note).
 */
export interface Frame {
  dir: Direction;
  /** The bytes this frame was decoded from (owned copy or subarray the decoder will not reuse). */
  data: Uint8Array;
  summary: string;
  decoded: unknown;
  /** Set when the bytes could not be decoded (the frame still carries them). */
  error?: string;
  /** The decoder that produced it, when different from the connection's (auto, layered). */
  proto?: string;
  ranges?: FieldRange[];
  /**
   * Where the payload lies inside `data` when the frame has framing around it (a length prefix,
   * LSP headers, a line terminator). Layered decoders (OUTER+INNER) feed this range to INNER.
   */
  payload?: { start: number; end: number };
  /** Request/response pairing: frames with the same key pair up; the session computes latency. */
  pair?: { key: string; role: 'request' | 'response' };
}

/** A row as the session numbers and the CLI prints it (JSON Lines shape, before base64). */
export interface FrameRow {
  type: 'frame';
  id: number;
  ts: number;
  mono: number;
  tap: string;
  conn: number;
  dir: Direction;
  proto: string;
  len: number;
  data: Uint8Array;
  summary: string;
  decoded: unknown;
  error?: string;
  ranges?: FieldRange[];
  /** For a response: the request's row id and the latency in µs. For a request: its key. */
  pair?: { key: string; role: 'request' | 'response'; request?: number; latencyUs?: number };
}

export interface EventRow extends EventRecord {
  type: 'event';
  id: number;
}

export type Row = FrameRow | EventRow;

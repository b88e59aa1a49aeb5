// Core data shapes shared by taps, decoders, the capture store, the CLI and the server.
// No 'vscode', no DOM, no I/O here.

import type { Direction, EventFields } from '../shared/events';
export type { Direction, EventFields, EventKind } from '../shared/events';
export { DIRECTIONS } from '../shared/events';

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

/** An event as taps and processes report it; the session adds ts/mono/id. */
export type EventBody = EventFields;

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

// The engine server's requests behind the panel's Flow and Statistics tabs, and their shapes.
// No imports beyond extension/shared: the webview bundle uses these types too.
import type { RequestDef } from './requests';

/** One column of the flow: a process (command and pid) or an endpoint whose process is unknown. */
export interface FlowLifeline {
  id: string;
  label: string;
  /** The process's end: "exit 0", "SIGTERM". */
  end?: string;
}

/** Gaps between consecutive flow items at least this long are folded (and marked), µs. */
export const FLOW_FOLD_GAP_US = 1_000_000;

/**
 * One row of the flow: a frame as an arrow between lifelines, an event as a mark on one, or a run
 * of raw chunks (grouped) as one arrow. `off` (asked with `axis: 'time'`) is the time from the
 * flow's first item to this one with every gap between consecutive items capped at
 * FLOW_FOLD_GAP_US, in µs: the proportional axis places rows by it.
 */
export type FlowWireItem =
  | {
      kind: 'arrow';
      id: number;
      ts: number;
      from: string;
      to: string;
      label: string;
      conn: number;
      proto: string;
      error: boolean;
      latency?: string;
      off?: number;
      member?: boolean;
    }
  | { kind: 'mark'; id: number; ts: number; at: string; label: string; from?: string; off?: number }
  | {
      kind: 'group';
      /** The first chunk's row id (the group is known by it). */
      id: number;
      /** The last chunk's row id. */
      lastId: number;
      ts: number;
      from: string;
      to: string;
      conn: number;
      count: number;
      bytes: number;
      expanded: boolean;
      off?: number;
    };

export interface FlowGetParams {
  sessionId: string;
  /** Index into the flow (the rows the filter keeps that draw as an arrow or a mark). */
  start: number;
  count: number;
  /** The list's filter text (with `after:N`). */
  filter?: string;
  /** Keep transport frames (gob type definitions, ZMTP greetings, HTTP/2 SETTINGS…). */
  transport?: boolean;
  /** Also find this row's position in the flow (FlowGetResult.found). */
  findId?: number;
  /** 'time': items carry `off` for the proportional axis (default 'compressed'). */
  axis?: 'compressed' | 'time';
  /** Collapse runs of consecutive raw chunks of one connection and direction into one item. */
  group?: boolean;
  /** Groups shown expanded (their first row ids): the group's item, then each chunk. */
  expanded?: number[];
  /** Also return `index`: `off` at every `indexStep`-th position (the proportional axis finds
   *  which rows a scroll position shows by it). */
  indexStep?: number;
}
export interface FlowGetResult {
  lifelines: FlowLifeline[];
  /** Items [start, start + items.length); a row that cannot be placed is null. */
  items: (FlowWireItem | null)[];
  /** Items in the flow under this filter. */
  total: number;
  /** Wall clock of the session's first row, µs (the time axis starts there). */
  t0?: number;
  /** Position in the flow of the row asked for with findId, or -1 when the flow does not hold it. */
  found?: number;
  /** With indexStep: `off` of positions 0, indexStep, 2·indexStep… (below total). */
  index?: number[];
  /** With axis 'time': `off` of the flow's last position. */
  offEnd?: number;
}

/** One method's calls and latencies (engine/method-stats.ts makes them). */
export interface MethodStatsWire {
  method: string;
  /** Responses seen (calls that completed). */
  calls: number;
  /** Requests whose response did not arrive (yet). */
  unanswered: number;
  errors: number;
  p50Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
  maxUs: number | null;
  /** Count per bucket: latencies <= BUCKETS_US[i] (engine/method-stats.ts) and above the previous bound. */
  histogram: number[];
}

export interface ConnStatsWire {
  conn: number;
  tap: string;
  protos: string[];
  /** Client to server (or into the process's stdin). */
  framesOut: number;
  bytesOut: number;
  /** Server to client (or the process's stdout and stderr). */
  framesIn: number;
  bytesIn: number;
  decodeErrors: number;
  /** Bytes each way over time, for the throughput chart. */
  throughput: ThroughputWire;
}

/** Bytes per time step from the connection's first frame: out[i] and in[i] cover
 *  [t0 + i·stepUs, t0 + (i+1)·stepUs). The step doubles as the connection lasts, so there are
 *  never more than THROUGHPUT_BUCKETS steps. */
export interface ThroughputWire {
  t0: number;
  stepUs: number;
  out: number[];
  in: number[];
}

export const THROUGHPUT_BUCKETS = 60;

export interface StatsGetResult {
  methods: MethodStatsWire[];
  /** Upper bounds of the histogram buckets, µs (null: everything above the last bound). */
  bucketsUs: (number | null)[];
  conns: ConnStatsWire[];
}

export const FlowGet: RequestDef<FlowGetParams, FlowGetResult> = { method: 'flow/get' };
export const StatsGet: RequestDef<{ sessionId: string }, StatsGetResult> = { method: 'stats/get' };

// The LSP custom requests and notifications between the extension host (vscode-languageclient)
// and the engine server (vscode-languageserver). Declared once here, imported by both sides.
// Everything that crosses is JSON-safe: frame bytes are base64 and decoded values are exact JSON
// text (extension/engine/util/json.ts toJson), so 64-bit integers arrive unrounded.
// No imports: this file is also usable from the webview bundle.
import type { Direction, EventFields } from './events';

/** A typed request: `P` goes to the server, `R` comes back. */
export interface RequestDef<P, R> {
  readonly method: string;
  /** Phantom fields carrying the types; never set. */
  readonly _params?: P;
  readonly _result?: R;
}
/** A typed notification (server → client unless said otherwise). */
export interface NotificationDef<P> {
  readonly method: string;
  readonly _params?: P;
}
function request<P, R>(method: string): RequestDef<P, R> {
  return { method };
}
function notification<P>(method: string): NotificationDef<P> {
  return { method };
}

// ---------------------------------------------------------------------------------------------
// Shapes

export type WireDirection = Direction;

export interface WireFrameRow {
  type: 'frame';
  id: number;
  /** Wall clock, µs since the epoch. */
  ts: number;
  /** Monotonic, µs since the session started. */
  mono: number;
  tap: string;
  conn: number;
  dir: WireDirection;
  proto: string;
  len: number;
  /** The frame's bytes, base64. */
  data: string;
  summary: string;
  /** The decoded value as exact JSON text ("null" when nothing was decoded). */
  decodedJson: string;
  error?: string;
  ranges?: { path: string; start: number; end: number }[];
  pair?: { key: string; role: 'request' | 'response'; request?: number; latencyUs?: number };
}

/** An event row as the panel gets it (kind as text: a newer engine may send kinds this one does not know). */
export interface WireEventRow extends EventFields<string> {
  type: 'event';
  id: number;
  ts: number;
  mono: number;
}

export type WireRow = WireFrameRow | WireEventRow;

/** 'ended': every launched process exited, so the session stopped its taps and closed its capture. */
export type SessionState = 'starting' | 'live' | 'stopped' | 'ended' | 'file';

export interface ProcessInfo {
  pid: number;
  name: string;
  command: string[];
  state: 'running' | 'stopped' | 'exited';
  code?: number | null;
  signal?: string | null;
}

export interface TapInfo {
  spec: string;
  kind: string;
  /** Where clients connect now (proxy address or the taken-over path). */
  address?: string;
  /** The name given in .vscode/ipctap.json (`${tap:NAME}`), if any. */
  name?: string;
}

export interface ConnectionInfo {
  conn: number;
  tap: string;
  from?: string;
  to?: string;
  peers?: { client?: number[]; server?: number[] };
  frames: number;
  bytes: number;
  open: boolean;
}

export interface SessionSummary {
  id: string;
  name: string;
  state: SessionState;
  capturePath?: string;
  /** Wall clock, ms since the epoch. */
  startedAt: number;
  rows: number;
  frames: number;
  connections: number;
  processes: ProcessInfo[];
  taps: TapInfo[];
  /** While its capture is being decoded (again, after Decode As…, or catching up after live
   *  decoding fell behind): bytes of the capture decoded so far, of how many. */
  decoding?: { done: number; total: number };
}

export interface SessionDetail extends SessionSummary {
  connectionList: ConnectionInfo[];
  /** With .proto files: what Decode As… offers for protobuf. */
  proto?: SessionProto;
}

/** A session's .proto files and the message types they define (Decode As… protobuf). */
export interface SessionProto {
  files: string[];
  /** Message types the files define, by full name ("pkg.Msg"), sorted. */
  types: string[];
  /** The type protobuf frames are decoded as; none: schema-less (field numbers). */
  type?: string;
  /** The files no longer load (edited since): why. */
  error?: string;
}

/** One process to launch in a session. Strings may contain `${tap:NAME}`; the server expands it
 *  to that tap's address once the tap is ready. */
export interface LaunchProcess {
  name?: string;
  command: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Wait this long after the previous process started (ms). */
  delayMs?: number;
}

export interface TapDef {
  /** 'unix:/p', 'unix:LISTEN=TARGET', 'fifo:/p', 'tcp:7000=127.0.0.1:1234'; may use `${tap:NAME}` of an earlier tap. */
  spec: string;
  name?: string;
  decode?: string;
}

export interface SessionStartParams {
  name?: string;
  taps?: TapDef[];
  processes?: LaunchProcess[];
  /** Decoder for taps without their own (default auto). */
  decode?: string;
  /** Where to write the capture; default a fresh file in the server's sessions folder. */
  capturePath?: string;
  /** Attach: the process whose endpoints are taken over (shown in the session's processes). */
  attachPid?: number;
  /** Trace all I/O through strace: of attachPid when given, else of every launched process. */
  trace?: boolean;
  /** With trace: include regular files, ttys and the like. */
  traceFiles?: boolean;
  /** With trace: leave the traced processes on all their CPUs (by default they and strace share
   *  one while traced, which makes ptrace several times faster). */
  traceAllCpus?: boolean;
  /** Slow the traffic instead of dropping captured data when the disk falls behind. */
  lossless?: boolean;
  /** false: write the capture through the page cache, not with O_DIRECT (default true). */
  directIo?: boolean;
  /** Watch shared memory (see ShmWatchDef). */
  shm?: ShmWatchDef;
  /** Show credentials as sent in decoded values and summaries (default masked). */
  showSecrets?: boolean;
  /** .proto files (absolute paths) typing gRPC messages (by their methods) and protobuf frames;
   *  loaded before anything starts: a missing or bad file fails the request, naming it. */
  protoFiles?: string[];
  /** The message type of protobuf frames, e.g. "pkg.Msg" (with protoFiles). */
  protoType?: string;
}

/** A shared memory watch: TARGET as `ipctap shm watch` takes it, and its options. */
export interface ShmWatchDef {
  target: string;
  interval?: number;
  /** OFF:LEN */
  region?: string;
  layout?: string;
  decode?: string;
}

/** One thing `shm/list` offers to watch. */
export interface ShmChoice {
  kind: 'sysv' | 'posix' | 'mapping';
  /** What to pass as ShmWatchDef.target. */
  target: string;
  label: string;
  size?: number;
  /** Who has it mapped. */
  detail: string;
}

export interface RowsGetParams {
  sessionId: string;
  /** Index into the (filtered) list, 0-based. */
  start: number;
  count: number;
  filter?: string;
}
export interface RowsGetResult {
  rows: WireRow[];
  /** Rows in the (filtered) list. */
  total: number;
}

export interface RowsFindParams {
  sessionId: string;
  filter?: string;
  /** Find the row with this id (e.g. a reply's request). */
  id?: number;
  /** Or: the next row (from index `from`, forwards unless `backwards`) whose text contains this. */
  text?: string;
  from?: number;
  backwards?: boolean;
}
export interface RowsFindResult {
  /** Index in the (filtered) list, or -1. */
  index: number;
  row?: WireRow;
}

export interface SignalSendParams {
  /** The session the signal is recorded in (any live session when omitted). */
  sessionId?: string;
  pid: number;
  signal: string | number;
  group?: boolean;
}
export interface SignalSendResult {
  /** What the process did within a short wait ("wrote 1 line on stdout 1 ms later", "exited with code 0"), or "sent" when nothing was seen. */
  outcome: string;
}

export interface SignalDescription {
  name: string;
  number: number;
  description: string;
}

export interface ReplayStartParams {
  /** Source: a session (live or opened file) or a capture file. */
  sessionId?: string;
  capturePath?: string;
  conn: number;
  /** Endpoint: 'unix:/p', 'tcp:HOST:PORT', 'fifo:/p'; default the original endpoint. */
  target?: string;
  pace?: 'responses' | 'original';
  timeoutMs?: number;
  /** Replay from this frame on (see ReplayOptions.fromId in the engine). */
  fromId?: number;
}
export interface ReplayResponseMark {
  index: number;
  mark: 'same' | 'different' | 'missing';
  /** For 'different': first differing byte offset. */
  at?: number;
  originalId?: number;
  replayedId?: number;
}
export interface ReplayStartResult {
  /** The session holding the replayed exchange (the source session when live). */
  sessionId: string;
  conn: number;
  responses: ReplayResponseMark[];
  allSame: boolean;
  /** Timeouts, early closes, extra responses. */
  notes?: string[];
}

export interface CaptureOpenParams {
  path: string;
  /** Decoder for taps without their own (default: the capture's choice, else auto). */
  decode?: string;
  /** Tap spec → decoder, over the capture's own choice. */
  decodeByTap?: Record<string, string>;
  /** Show credentials as sent in decoded values and summaries (default masked). */
  showSecrets?: boolean;
  /** As SessionStartParams' protoFiles and protoType. */
  protoFiles?: string[];
  protoType?: string;
}
export interface SessionDecodeAsParams {
  sessionId: string;
  tap?: string;
  decoder: string;
  protoType?: string;
}
export interface CaptureSaveParams {
  sessionId: string;
  path: string;
}
/** A capture to read: a session's (its capture file as written so far) or a file. */
export interface CaptureRef {
  sessionId?: string;
  path?: string;
}
export interface CaptureExportParams extends CaptureRef {
  /** The pcapng file to write. */
  out: string;
}
export interface CaptureExportResult {
  connections: number;
  packets: number;
  ports: { conn: number; tap: string; clientPort: number; serverPort: number }[];
}
export interface CaptureDiffParams {
  a: CaptureRef;
  b: CaptureRef;
}
export interface CaptureDiffResult {
  different: boolean;
  /** The comparison as text (as `ipctap diff` prints it). */
  text: string;
  counts: { same: number; changed: number; onlyA: number; onlyB: number };
}
/** Both sides of a comparison as text, aligned for a side-by-side (diff) view. */
export interface SideBySide {
  a: string;
  b: string;
}
export interface CaptureDiffSidesResult extends CaptureDiffResult {
  sides: SideBySide;
}

export interface EditPrepareParams {
  sessionId: string;
  /** A client frame's id. */
  id: number;
}
export interface EditPrepareResult {
  /** The frame's decoded value as pretty JSON (what the user edits). */
  text: string;
  summary: string;
  proto: string;
  /** Whether the value can be encoded back (else the bytes are edited as hex text). */
  encodable: boolean;
  /** The endpoint the connection's client talked to (unix:…, tcp:…, fifo:…), when known. */
  target?: string;
}
export interface EditSendParams {
  sessionId: string;
  id: number;
  /** The edited value (JSON text), or `hex` (the edited bytes as hex digits). */
  value?: string;
  hex?: string;
  target: string;
  timeoutMs?: number;
}
export interface EditSendResult {
  /** The session holding the new exchange. */
  sessionId: string;
  conn: number;
  /** Client frames sent, of `total`: the frames up to the edited one, or a gRPC call's request
   *  messages (fewer when the server stopped answering, ended the call, reset it or closed the
   *  connection first; `notes` say which). */
  sent: number;
  total: number;
  /** Whether the edited message itself was sent. */
  editedSent: boolean;
  same: number;
  different: number;
  missing: number;
  extra: number;
  notes?: string[];
  /** The original answers and the new ones, aligned. */
  sides: SideBySide;
}

export interface CaptureTextParams {
  /** The document's URI (the server keeps the line ↔ row map under it for language features). */
  uri: string;
  sessionId?: string;
  path?: string;
  /** A capture file's decoding (a session decodes as it does): credentials shown, .proto files. */
  showSecrets?: boolean;
  protoFiles?: string[];
}

export interface AttachProcess {
  pid: number;
  name: string;
  command: string[];
  endpoints: number;
}
export interface AttachEndpoint {
  /** 'unix' | 'tcp' | 'fifo' | 'pipe' ... */
  kind: string;
  /** Human description, e.g. "listening unix /tmp/app.sock". */
  label: string;
  listening: boolean;
  /** The tap spec that takes it over, when it can be taken over. */
  tapSpec?: string;
  detail?: string;
}

export interface DecoderDescription {
  name: string;
  description: string;
}

export interface SessionChangedParams {
  sessionId: string;
  /** The session went away (stopped sessions stay until closed). */
  removed?: boolean;
  summary?: SessionSummary;
  /** Rows appended since the previous notice: ids [from, to] (inclusive), unfiltered. */
  appended?: { from: number; to: number };
  /** Every row was dropped and is being read again (Decode As… on a capture): fetch afresh. */
  reloaded?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Requests (client → server)

export const SessionStart = request<SessionStartParams, SessionSummary>('session/start');
export const SessionStop = request<{ sessionId: string }, SessionSummary>('session/stop');
/** Forget a stopped session (closes its file). */
export const SessionClose = request<{ sessionId: string }, void>('session/close');
export const SessionList = request<Record<string, never>, SessionSummary[]>('session/list');
export const SessionGet = request<{ sessionId: string }, SessionDetail>('session/get');
/** Detach the session's traces (strace lets go; the traced processes go on running). */
export const SessionDetachTrace = request<{ sessionId: string }, void>('session/detachTrace');
export const SessionAddTap = request<{ sessionId: string; tap: TapDef }, TapInfo>('session/addTap');
/** "Decode As…": a tap's decoder, and with protoType the message type protobuf frames are
 *  decoded as from now on ("" = none, schema-less; it must be one the session's .proto files
 *  define). The capture is decoded again (redecoding: true); a live session whose capture cannot
 *  be read back: connections opened from now on only (redecoding: false). */
export const SessionDecodeAs = request<SessionDecodeAsParams, { redecoding: boolean }>('session/decodeAs');
export const DecodersList = request<Record<string, never>, DecoderDescription[]>('decoders/list');

export const RowsGet = request<RowsGetParams, RowsGetResult>('rows/get');
export const RowsCount = request<{ sessionId: string; filter?: string }, { total: number }>('rows/count');
export const RowsFind = request<RowsFindParams, RowsFindResult>('rows/find');

export const SignalSend = request<SignalSendParams, SignalSendResult>('signal/send');
export const SignalList = request<Record<string, never>, SignalDescription[]>('signal/list');

export const ReplayStart = request<ReplayStartParams, ReplayStartResult>('replay/start');

export const CaptureOpen = request<CaptureOpenParams, SessionSummary>('capture/open');
export const CaptureSave = request<CaptureSaveParams, void>('capture/save');
export const CaptureText = request<CaptureTextParams, { text: string }>('capture/text');
export const CaptureExport = request<CaptureExportParams, CaptureExportResult>('capture/exportPcapng');
export const CaptureDiff = request<CaptureDiffParams, CaptureDiffSidesResult>('capture/diff');
export const EditPrepare = request<EditPrepareParams, EditPrepareResult>('edit/prepare');
export const EditSend = request<EditSendParams, EditSendResult>('edit/send');

export const AttachList = request<Record<string, never>, AttachProcess[]>('attach/list');
export const AttachEndpoints = request<{ pid: number }, AttachEndpoint[]>('attach/endpoints');
export const ShmList = request<Record<string, never>, ShmChoice[]>('shm/list');

/** Stop every session and end the engine process (after the reply). Restart Engine sends it. */
export const EngineExit = request<Record<string, never>, { pid: number }>('engine/exit');

// ---------------------------------------------------------------------------------------------
// Notifications (server → client)

/** Throttled: counters, process states and appended-row ranges; never every frame. */
export const SessionChanged = notification<SessionChangedParams>('session/changed');

/** Error data on failed requests caused by the user (show the message alone). */
export const USER_ERROR_CODE = -32001;

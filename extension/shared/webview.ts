// Every message between the panel's webview (webview/src) and its host-side shell
// (extension/host/panel*.ts), declared once and imported by both sides. Type-only imports, so
// the webview bundle pulls in no host or engine code.
import type { DecoderDescription, ReplayStartResult, SessionDetail, SessionSummary, SignalSendResult, WireRow } from './requests';
import type { FlowGetParams, FlowGetResult, StatsGetResult } from './views';

export type { WireRow, WireFrameRow, WireEventRow, ProcessInfo, TapInfo, ConnectionInfo, SessionProto } from './requests';

/** The webview panel's view type (also the serializer's key). */
export const PANEL_VIEW_TYPE = 'ipctap.panel';

/** Signals offered as buttons on each process, in this order. SIGKILL asks for confirmation. */
export const PANEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGSTOP', 'SIGCONT', 'SIGKILL'] as const;
export type PanelSignal = (typeof PANEL_SIGNALS)[number];
export const CONFIRM_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL']);

/**
 * What the webview keeps with setState (and VS Code hands to the panel serializer after a reload).
 * Everything optional but sessionId: older or foreign state is sanitised on restore.
 */
export interface PanelState {
  sessionId: string;
  /** The capture file behind the session, so a restarted engine can reopen it. */
  capturePath?: string;
  /** The filter field's text. */
  filter?: string;
  /** Rows with id <= this are hidden ("Clear"); sent to the engine as `after:N`. */
  clearedAfter?: number;
  selectedId?: number;
  /** Index (in the filtered list) of the row at the top of the viewport. */
  topIndex?: number;
  /** Following the tail while live (false once the user paused). */
  paused?: boolean;
  /** Follow Connection: the connection shown as a conversation. */
  followConn?: number;
  /** Selected JSON pointer in the detail tree. */
  fieldPath?: string;
  /** The tab shown beside the list's place: the list, the flow diagram or the statistics. */
  tab?: PanelTab;
  /** Flow tab: draw transport frames too (gob type definitions, ZMTP greetings, HTTP/2 SETTINGS…). */
  flowTransport?: boolean;
  /** Flow tab: rows spaced by the time between them (else one row per item). */
  flowTime?: boolean;
  /** Flow tab: consecutive raw chunks of a connection and direction as one arrow. */
  flowGroup?: boolean;
}

export const PANEL_TABS = ['list', 'flow', 'stats'] as const;
export type PanelTab = (typeof PANEL_TABS)[number];

/** Requests from the webview; the host answers each with a `reply` carrying the same id. */
export interface PanelRequestMap {
  /** Rows [start, start+count) of the list under `filter` (the filter field's text, plus `after:N`). */
  'rows/get': { params: { start: number; count: number; filter: string }; result: { rows: WireRow[]; total: number } };
  /** Index of row `id` in the list under `filter`, or -1. */
  'rows/find': { params: { id: number; filter: string }; result: { index: number } };
  'session/get': { params: Record<string, never>; result: SessionDetail };
  /** `confirmed`: the user already confirmed in the panel (SIGKILL), the host need not ask again. */
  'signal/send': { params: { pid: number; signal: string; confirmed?: boolean }; result: SignalSendResult };
  /** "Decode As…": tap undefined = every tap without its own choice; protoType: the message type
   *  of protobuf frames ("" = schema-less), undefined = as before. */
  'session/decodeAs': { params: { tap?: string; decoder: string; protoType?: string }; result: { redecoding: boolean } };
  /** The host asks where to save and saves the capture. */
  'capture/save': { params: Record<string, never>; result: null };
  /** Replay a connection (from a frame on, when the engine supports it). */
  'replay/start': { params: { conn: number; fromId?: number }; result: ReplayStartResult | null };
  /** Edit and Send…: the host opens the client frame `id` for editing. */
  'edit/open': { params: { id: number }; result: null };
  /** Items [start, start+count) of the flow diagram under `filter` (the list's). */
  'flow/get': {
    params: Omit<FlowGetParams, 'sessionId' | 'filter'> & { filter: string };
    result: FlowGetResult;
  };
  /** Per method and per connection statistics of the whole session. */
  'stats/get': { params: Record<string, never>; result: StatsGetResult };
  /** The host asks where to save, then writes this SVG document (the flow in view). */
  'flow/exportSvg': { params: { svg: string }; result: null };
  /** The host asks where to save, then writes this PNG image (base64; the flow in view). */
  'flow/exportPng': { params: { png: string }; result: null };
  /** Write text to the system clipboard (the host does it: webview clipboard access is unreliable). */
  'clipboard/write': { params: { text: string }; result: null };
}
export type PanelMethod = keyof PanelRequestMap;
export type PanelParams<M extends PanelMethod> = PanelRequestMap[M]['params'];
export type PanelResult<M extends PanelMethod> = PanelRequestMap[M]['result'];

export type WebviewToHost =
  /** The script loaded; the host answers with `init`. */
  { type: 'ready' } | { [M in PanelMethod]: { type: 'request'; id: number; method: M; params: PanelParams<M> } }[PanelMethod];

export type HostToWebview =
  | {
      type: 'init';
      sessionId: string;
      session: SessionDetail;
      decoders: DecoderDescription[];
      /** State the serializer restored (the webview prefers its own getState()). */
      state?: PanelState;
      /** The id this session had before an engine restart: state saved under it still applies. */
      previousSessionId?: string;
    }
  /** The session is gone (engine restarted and it could not be reopened, or it was closed). */
  | { type: 'unavailable'; sessionId: string; message: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  /** Throttled live notice: counters and process states, appended row ids (unfiltered). */
  | { type: 'changed'; summary?: SessionSummary; appended?: { from: number; to: number }; reloaded?: boolean }
  /** Scroll to and select a row (Reveal in Panel, Go to Definition...). */
  | { type: 'reveal'; rowId: number }
  /** Show one connection as a conversation (Follow Connection), e.g. a replayed exchange. */
  | { type: 'follow'; conn: number };

// One session as the server holds it: a live engine Session (or a capture file read back), its
// rows in a store served by range and filter, and throttled change notices.
import type { DecodeChoice } from '../shared/decode-choice';
import { Activity, FlowContext, FrameStore, loadProtoRoot, messageTypeNames, type DecoderOptions, type Session, type Row } from '../engine';
import type { ConnectionInfo, ProcessInfo, SessionChangedParams, SessionDetail, SessionProto, SessionState, SessionSummary, TapInfo } from '../shared/requests';
import { FilteredRows } from './row-store';
import { SessionStats } from './session-stats';
import { Throttle } from './throttle';

export const NOTIFY_INTERVAL_MS = 150;

export interface HostedSessionInit {
  name: string;
  state: SessionState;
  capturePath?: string;
  /** The capture file was made by the server (deleted when the session is closed unless saved). */
  ownsCapture?: boolean;
  startedAt: number;
  engine?: Session;
  notify: (params: SessionChangedParams) => void;
}

export class HostedSession {
  readonly id: string;
  name: string;
  state: SessionState;
  capturePath?: string;
  ownsCapture: boolean;
  readonly startedAt: number;
  engine?: Session;
  store = FrameStore.createSync();
  rows = new FilteredRows(this.store);
  /** Processes and connections for the Flow tab, and the Statistics tab's numbers, from every row. */
  flow = new FlowContext();
  stats = new SessionStats();
  readonly tapNames = new Map<string, string>();
  /** A Decode As… re-read of a capture file under way: bytes read so far, of the file's size. */
  fileProgress: { done: number; total: number } | undefined;
  /** Bumped by each Decode As… re-read (an older re-read stops adding rows). */
  decodeGeneration = 0;
  /** Options its captures are decoded with (again) — whether credentials are shown. */
  decoderOptions: DecoderOptions | undefined;
  /** Every Decode As… choice made so far, and the one its capture was opened with: what a
   *  re-read of its capture file decodes with (over the capture's own choice). */
  decodeChoice: DecodeChoice = {};
  /** Taps the user added to the running session (Tap Endpoint…): they keep it live. */
  explicitTaps = 0;
  /** Processes not launched by us but shown (attach). */
  readonly external = new Map<number, ProcessInfo>();
  /** Processes, connections and taps seen in the rows (for captures read back from a file). */
  private tracker = new Activity();
  private frames = 0;
  private notifiedUpTo = 0;
  private readonly rowListeners = new Set<(row: Row) => void>();
  private readonly throttle: Throttle;
  private readonly notify: (params: SessionChangedParams) => void;

  constructor(id: string, init: HostedSessionInit) {
    this.id = id;
    this.name = init.name;
    this.state = init.state;
    this.capturePath = init.capturePath;
    this.ownsCapture = init.ownsCapture ?? false;
    this.startedAt = init.startedAt;
    this.engine = init.engine;
    this.notify = init.notify;
    this.throttle = new Throttle(NOTIFY_INTERVAL_MS, () => this.sendNotice());
  }

  /** Take a row (live or read back). */
  add(row: Row): void {
    this.store.append(row);
    this.tracker.row(row);
    this.flow.see(row);
    this.stats.add(row);
    if (row.type === 'frame') this.frames++;
    for (const l of this.rowListeners) l(row);
    this.throttle.poke();
  }

  /** Forget every row (the capture is read again, decoded another way); the next notice says so. */
  reset(): void {
    const old = this.store;
    this.store = FrameStore.createSync();
    this.rows = new FilteredRows(this.store);
    this.flow = new FlowContext();
    this.stats = new SessionStats();
    this.tracker = new Activity();
    this.frames = 0;
    this.notifiedUpTo = 0;
    this.reloaded = true;
    void old.close().catch(() => undefined);
  }

  private reloaded = false;

  /** How far decoding the capture again (or catching up with it) has come, while it goes on. */
  private decodingProgress(): { decoding?: { done: number; total: number } } {
    const p = this.engine?.redecodeProgress ?? this.fileProgress;
    return p && p.total > 0 ? { decoding: { done: Math.min(p.done, p.total), total: p.total } } : {};
  }

  onRow(listener: (row: Row) => void): () => void {
    this.rowListeners.add(listener);
    return () => this.rowListeners.delete(listener);
  }

  /** Something besides rows changed (state, processes): tell the client soon. */
  changed(): void {
    this.throttle.poke();
  }

  flush(): void {
    this.throttle.poke();
    this.throttle.flush();
  }

  dispose(): void {
    this.throttle.dispose();
    this.rowListeners.clear();
    void this.store.close().catch(() => undefined);
  }

  processes(): ProcessInfo[] {
    const base = this.engine ? this.engine.processes() : [...this.tracker.procs.values()];
    const seen = new Set(base.map((p) => p.pid));
    return [...base, ...[...this.external.values()].filter((p) => !seen.has(p.pid))].map((p) => ({ ...p }));
  }

  taps(): TapInfo[] {
    const list: TapInfo[] = this.engine ? this.engine.taps() : [...this.tracker.taps.values()];
    return list.map((t) => ({ ...t, name: this.tapNames.get(t.spec) }));
  }

  connections(): ConnectionInfo[] {
    if (!this.engine) return [...this.tracker.conns.values()].map((c) => ({ ...c }));
    return this.engine.connections();
  }

  summary(): SessionSummary {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      capturePath: this.capturePath,
      startedAt: this.startedAt,
      rows: this.store.count,
      frames: this.frames,
      connections: this.connections().length,
      processes: this.processes(),
      taps: this.taps(),
      ...this.decodingProgress(),
    };
  }

  detail(): SessionDetail {
    const proto = this.proto();
    return { ...this.summary(), connectionList: this.connections(), ...(proto ? { proto } : {}) };
  }

  /** Its .proto files, the message types they define and the one protobuf is decoded as. */
  proto(): SessionProto | undefined {
    const o = this.decoderOptions;
    const files = Array.isArray(o?.protoFiles) ? o.protoFiles.map(String) : [];
    if (!files.length) return undefined;
    const type = typeof o?.protoType === 'string' ? { type: o.protoType } : {};
    try {
      return { files, types: messageTypeNames(loadProtoRoot(files)), ...type };
    } catch (e) {
      return { files, types: [], ...type, error: e instanceof Error ? e.message : String(e) };
    }
  }

  private sendNotice(): void {
    const total = this.store.count;
    const params: SessionChangedParams = { sessionId: this.id, summary: this.summary() };
    if (this.reloaded) {
      params.reloaded = true;
      this.reloaded = false;
    }
    if (total > this.notifiedUpTo) {
      const from = this.store.idAt(this.notifiedUpTo);
      const to = this.store.idAt(total - 1);
      if (from !== undefined && to !== undefined) params.appended = { from, to };
      this.notifiedUpTo = total;
    }
    this.notify(params);
  }
}

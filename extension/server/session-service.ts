// The sessions the server hosts: start (taps + processes from a launch configuration), stop,
// open a capture file, save it elsewhere, rows by range and filter, signals.
import { withDecodeAs, type DecodeChoice } from '../shared/decode-choice';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  readCaptureRows,
  resolveDecoder,
  Session,
  allSignals,
  parseSignal,
  sendSignal,
  SignalReaction,
  stateDir,
  parseTapSpec,
  UserError,
  parseRegion,
  parseWatchTarget,
  targetSpec,
  ShmWatchTap,
  checkProtoOptions,
  type DecoderOptions,
  type ProtoOptionNames,
  type Row,
} from '../engine';
import type {
  RowsFindParams,
  RowsFindResult,
  RowsGetParams,
  RowsGetResult,
  SessionChangedParams,
  SessionDetail,
  SessionStartParams,
  SessionSummary,
  SignalDescription,
  SignalSendParams,
  SignalSendResult,
  TapDef,
  TapInfo,
} from '../shared/requests';
import type { FlowSlot } from './flow-index';
import { HostedSession } from './hosted-session';
import { clientAddress, expandProcess, expandTapVars, tapRefs } from './launch-plan';
import { compileFilter } from '../shared/filter';
import { toWireRow } from './wire';
import type { FlowGetParams, FlowGetResult, FlowWireItem, StatsGetResult } from '../shared/views';

export interface SessionServiceOptions {
  notify: (params: SessionChangedParams) => void;
  log: (message: string) => void;
  /** Folder for capture files of sessions started without a path. */
  sessionsDir?: string;
}

const MAX_ROWS_PER_REQUEST = 5000;
const SIGNAL_WATCH_MS = 700;
/** After the last process exited: how long its stdio may stay open before the session ends anyway. */
const STDIO_GRACE_MS = 2000;
/** After a signalled process's first output: how long to keep watching for more, or its exit. */
const SIGNAL_SETTLE_MS = 150;
/** While a live session's capture is decoded again: how often its progress is told. */
const PROGRESS_INTERVAL_MS = 250;

/** How a session or an opened capture decodes: credentials shown or not, .proto files. */
export interface DecodingParams {
  showSecrets?: boolean;
  protoFiles?: string[];
  protoType?: string;
}

/** What a launch configuration calls the .proto options (and where .proto files also come
 *  from), in their errors. */
const PROTO_NAMES: ProtoOptionNames = { files: '"proto" (or the setting ipctap.protoFiles)', type: 'protoType' };

/** The decoder options of DecodingParams. The .proto files are loaded (and protoType looked up)
 *  here, so a missing or bad file fails the request with its name before anything starts. */
export function decoderOptionsOf(p: DecodingParams): DecoderOptions | undefined {
  const o: DecoderOptions = {};
  if (p.showSecrets) o.showSecrets = true;
  const files = p.protoFiles ?? [];
  const { protoType } = checkProtoOptions(files, p.protoType || undefined, PROTO_NAMES);
  if (files.length) o.protoFiles = files;
  if (protoType) o.protoType = protoType;
  return Object.keys(o).length ? o : undefined;
}

/** The DecodingParams a session decodes with (for a session holding its replayed or edited
 *  exchange, decoded as its source is). */
export function decodingOf(s: HostedSession | undefined): DecodingParams {
  const o = s?.decoderOptions;
  if (!o) return {};
  const out: DecodingParams = {};
  if (o.showSecrets) out.showSecrets = true;
  if (Array.isArray(o.protoFiles)) out.protoFiles = o.protoFiles.map(String);
  if (typeof o.protoType === 'string') out.protoType = o.protoType;
  return out;
}

export class SessionService {
  private readonly sessions = new Map<string, HostedSession>();
  readonly sessionsDir: string;

  constructor(private readonly opts: SessionServiceOptions) {
    this.sessionsDir = opts.sessionsDir ?? join(stateDir(), 'sessions');
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  get(id: string): HostedSession {
    const s = this.sessions.get(id);
    if (!s) throw new UserError(`no session ${id} (it may have been closed)`);
    return s;
  }

  list(): SessionSummary[] {
    return [...this.sessions.values()].map((s) => s.summary());
  }

  detail(id: string): SessionDetail {
    return this.get(id).detail();
  }

  async start(p: SessionStartParams): Promise<SessionSummary> {
    const name = p.name?.trim() || (p.processes?.[0] ? basename(p.processes[0].command) : p.taps?.[0]?.spec) || 'session';
    let capturePath = p.capturePath;
    const ownsCapture = !capturePath;
    if (!capturePath) {
      await mkdir(this.sessionsDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      capturePath = join(this.sessionsDir, `${name.replace(/[^\w.-]+/g, '_').slice(0, 40)}-${stamp}.ipctap`);
    }
    const decodeByTap: Record<string, string> = {};
    for (const t of p.taps ?? []) if (t.decode) decodeByTap[t.spec] = t.decode;
    if (p.shm) decodeByTap[targetSpec(parseWatchTarget(p.shm.target))] = 'shm';
    const decoderOptions = decoderOptionsOf(p);
    const engine = new Session({ capturePath, name, decode: p.decode, decodeByTap, decoderOptions, lossless: p.lossless === true, directIo: p.directIo !== false });
    const id = randomUUID();
    const hosted = new HostedSession(id, {
      name,
      state: 'starting',
      capturePath,
      ownsCapture,
      startedAt: engine.startedAt,
      engine,
      notify: this.opts.notify,
    });
    hosted.decoderOptions = decoderOptions;
    engine.onRow((row) => {
      hosted.add(row);
      if (row.type === 'event' && (row.kind === 'exit' || row.kind === 'stopped' || row.kind === 'continued')) hosted.changed();
    });
    await engine.start();
    this.sessions.set(id, hosted);
    if (p.attachPid !== undefined) {
      hosted.external.set(p.attachPid, { pid: p.attachPid, name: `pid ${p.attachPid}`, command: [], state: 'running' });
    }
    try {
      await this.startTapsAndProcesses(hosted, engine, p);
    } catch (err) {
      this.opts.log(`session ${name}: ${err instanceof Error ? err.message : String(err)}; stopping it`);
      await engine.stop().catch(() => undefined);
      hosted.state = 'stopped';
      hosted.flush();
      throw err;
    }
    hosted.state = 'live';
    hosted.flush();
    this.opts.log(`session ${name} started (capture ${capturePath})`);
    if ((p.processes ?? []).length > 0) this.endWithProcesses(hosted, engine);
    return hosted.summary();
  }

  private async startTapsAndProcesses(hosted: HostedSession, engine: Session, p: SessionStartParams): Promise<void> {
    const addresses = new Map<string, string>();
    const pending = new Map<string, Promise<void>>();
    const abort = new AbortController();
    const errors: Error[] = [];
    for (const def of p.taps ?? []) {
      const spec = expandTapVars(def.spec, addresses);
      const parsed = parseTapSpec(spec); // bad specs fail the request at once
      const ready = engine.addTap(spec, abort.signal).then((tap) => {
        if (def.name) {
          addresses.set(def.name, clientAddress(tap.address ?? spec));
          hosted.tapNames.set(tap.spec, def.name);
        }
        hosted.changed();
      });
      const key = def.name ?? spec;
      pending.set(key, ready);
      // Proxies are ready at once; takeovers may wait for a launched server, so don't block here.
      ready.catch((e: Error) => errors.push(e));
      const takeover = parsed.kind !== 'tcp' && parsed.mode === 'takeover';
      // With nothing to launch, a takeover's target already exists: wait for it too.
      if (takeover && (p.processes ?? []).length > 0) continue;
      await ready;
    }
    if (p.shm) {
      const w = p.shm;
      const tap = new ShmWatchTap(
        { target: w.target, interval: w.interval, region: w.region ? parseRegion(w.region) : undefined, layout: w.layout || undefined, decode: w.decode || undefined },
        engine.sink,
      );
      await engine.addTapInstance(tap, 'shm');
      // The process whose memory is read: on the process strip, to signal it and see its reaction.
      const proc = tap.process;
      if (proc) hosted.external.set(proc.pid, { pid: proc.pid, name: proc.name, command: [], state: 'running' });
      hosted.changed();
    }
    const traced = { traceFiles: p.traceFiles === true, allCpus: p.traceAllCpus === true };
    if (p.trace && p.attachPid !== undefined) {
      await engine.addTrace({ pid: p.attachPid, ...traced });
      hosted.changed();
    }
    for (const proc of p.processes ?? []) {
      for (const ref of tapRefs(proc)) {
        const waiting = pending.get(ref);
        if (!waiting) throw new UserError(`\${tap:${ref}} refers to no tap named "${ref}"`);
        await waiting;
      }
      if (errors.length) throw errors[0];
      if (proc.delayMs) await new Promise((r) => setTimeout(r, proc.delayMs));
      const x = expandProcess(proc, addresses);
      const trace = p.trace ? await engine.addTrace(traced) : undefined;
      await engine.launch([x.command, ...(x.args ?? [])], {
        cwd: x.cwd,
        env: x.env,
        name: x.name,
        detached: true,
        trace,
      });
      hosted.changed();
    }
    if (errors.length) throw errors[0];
    // Takeover taps nobody waited for: report failures into the session when they happen.
    for (const [key, ready] of pending) {
      ready.catch((e: Error) => {
        if (hosted.state === 'stopped') return;
        engine.sink.event({ kind: 'error', tap: key, message: e.message });
        this.opts.log(`tap ${key}: ${e.message}`);
      });
    }
  }

  /**
   * A launch session ends when its last launched process has exited (and its stdio is read to
   * the end): taps stopped, capture closed, state 'ended'. Taps the user added keep it live.
   */
  private endWithProcesses(hosted: HostedSession, engine: Session): void {
    let grace: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      off();
      if (grace) clearTimeout(grace);
      if (hosted.state !== 'live' || hosted.explicitTaps > 0) return;
      hosted.state = 'ended';
      void engine
        .stop()
        .catch((e: unknown) => this.opts.log(`session ${hosted.name}: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => hosted.flush());
      this.opts.log(`session ${hosted.name} ended: its processes exited`);
    };
    const check = () => {
      if (hosted.state !== 'live') return off();
      const procs = engine.processes();
      if (procs.length === 0 || procs.some((x) => x.state !== 'exited')) return;
      const stdioOpen = engine.connections().some((c) => c.open && c.tap.startsWith('stdio'));
      if (!stdioOpen) end();
      // A grandchild may hold the stdio pipes open: do not wait on it for long.
      else grace ??= setTimeout(end, STDIO_GRACE_MS);
    };
    const off = engine.onEvent((ev) => {
      if (ev.kind === 'exit' || ev.kind === 'close') queueMicrotask(check);
    });
  }

  async addTap(id: string, def: TapDef): Promise<TapInfo> {
    const s = this.get(id);
    if (!s.engine || s.state !== 'live') throw new UserError(`session ${s.name} is not live`);
    s.explicitTaps++;
    const tap = await s.engine.addTap(def.spec).catch((e: unknown) => {
      s.explicitTaps--;
      throw e;
    });
    if (def.name) s.tapNames.set(tap.spec, def.name);
    if (def.decode) s.engine.setDecoder(tap.spec, def.decode);
    s.changed();
    return { spec: tap.spec, kind: tap.kind, address: tap.address, name: def.name };
  }

  async detachTrace(id: string): Promise<void> {
    const s = this.get(id);
    if (!s.engine) throw new UserError(`session ${s.name} has no trace`);
    await s.engine.detachTraces();
    s.changed();
  }

  /**
   * Decode As…: the session's capture is decoded again with `decoder` for the chosen tap (or every
   * tap without its own choice), rows replaced in place and arriving as they are decoded. A live
   * session goes on decoding new traffic with it once the read-back has caught up (nothing lost
   * or repeated at the switch); one whose capture cannot be read back (none, a FIFO) uses it for
   * the connections opened from now on only (redecoding: false). With `protoType` ("" = none),
   * protobuf is decoded as that message type of the session's .proto files from then on.
   */
  decodeAs(id: string, tap: string | undefined, decoder: string, protoType?: string): { redecoding: boolean } {
    const s = this.get(id);
    resolveDecoder(decoder); // a clear error for an unknown name, before anything changes
    // Another message type (or none): the session's decoder options carry it from now on (rows
    // decoded again, Compare with…, Edit and Send…); one its .proto files do not define is refused.
    const options = protoType === undefined ? undefined : decoderOptionsOf({ ...decodingOf(s), protoType });
    // The session keeps the choice (with those before it) once it is taken.
    const choice = withDecodeAs(s.decodeChoice, tap, decoder);
    const keep = () => {
      if (options) s.decoderOptions = options;
      s.decodeChoice = choice;
    };
    if (s.engine && s.state === 'live') {
      ++s.decodeGeneration;
      const engine = s.engine;
      const redecoding = engine.redecode(tap, decoder, options);
      keep();
      if (!redecoding) return { redecoding: false };
      // (Synchronous with the switch: the first row decoded again comes later.)
      s.reset();
      s.changed();
      // Progress in the notices until the read-back has caught up (also when no row comes).
      const timer = setInterval(() => {
        if (!engine.redecodeProgress || !this.sessions.has(id)) clearInterval(timer);
        s.changed();
      }, PROGRESS_INTERVAL_MS);
      timer.unref();
      return { redecoding: true };
    }
    if (!s.capturePath) throw new UserError(`session ${s.name} has no capture file to decode again`);
    keep();
    const path = s.capturePath;
    const gen = ++s.decodeGeneration;
    s.reset();
    s.changed();
    const progress = { done: 0, total: 0 };
    void stat(path).then(
      (st) => (progress.total = st.size),
      () => undefined,
    );
    s.fileProgress = progress;
    const rows = readCaptureRows(path, { ...choice, decoderOptions: s.decoderOptions, onRecord: (offset) => (progress.done = offset) });
    void (async () => {
      try {
        for await (const row of rows) {
          if (!this.sessions.has(id) || s.decodeGeneration !== gen) return;
          s.add(row);
        }
      } catch (e) {
        this.opts.log(`${s.name}: decoding again: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (s.decodeGeneration === gen) s.fileProgress = undefined;
        s.flush();
      }
    })();
    return { redecoding: true };
  }

  async stop(id: string): Promise<SessionSummary> {
    const s = this.get(id);
    if (s.engine && s.state !== 'stopped' && s.state !== 'ended' && s.state !== 'file') {
      s.state = 'stopped';
      try {
        await s.engine.stop();
      } finally {
        s.flush();
      }
      this.opts.log(`session ${s.name} stopped`);
    }
    return s.summary();
  }

  async close(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    await this.stop(id).catch((e: unknown) => this.opts.log(`stopping ${s.name}: ${String(e)}`));
    s.dispose();
    this.sessions.delete(id);
    if (s.ownsCapture && s.capturePath) await rm(s.capturePath, { force: true });
    this.opts.notify({ sessionId: id, removed: true });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.stop(id).catch(() => undefined)));
  }

  /** Server exit: stop every session and remove the row stores' temp files (captures stay). */
  async shutdown(): Promise<void> {
    await this.stopAll();
    await Promise.all([...this.sessions.values()].map((s) => s.store.close().catch(() => undefined)));
  }

  /** Read a capture file into a new (read-only) session. Rows keep arriving after this returns. */
  async openCapture(path: string, choice: DecodeChoice = {}, typing: DecodingParams = {}): Promise<SessionSummary> {
    try {
      await stat(path);
    } catch {
      throw new UserError(`no capture file at ${path}`);
    }
    const decoderOptions = decoderOptionsOf(typing);
    const id = randomUUID();
    const s = new HostedSession(id, {
      name: basename(path),
      state: 'file',
      capturePath: path,
      startedAt: Date.now(),
      notify: this.opts.notify,
    });
    s.decoderOptions = decoderOptions;
    s.decodeChoice = choice;
    this.sessions.set(id, s);
    const iter = readCaptureRows(path, { ...choice, decoderOptions: s.decoderOptions, onWarning: (w) => this.opts.log(`${basename(path)}: ${w}`) })[Symbol.asyncIterator]();
    // Read the first row before answering, so a corrupt file fails the request with its message.
    const first = await iter.next().catch((e: unknown) => {
      this.sessions.delete(id);
      throw e instanceof Error ? new UserError(e.message) : e;
    });
    if (!first.done) s.add(first.value);
    void (async () => {
      try {
        for (let r = await iter.next(); !r.done; r = await iter.next()) {
          if (!this.sessions.has(id)) break;
          s.add(r.value);
        }
      } catch (e) {
        this.opts.log(`${basename(path)}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        s.flush();
      }
    })();
    return s.summary();
  }

  async saveCapture(id: string, path: string): Promise<void> {
    const s = this.get(id);
    if (!s.capturePath) throw new UserError(`session ${s.name} has no capture file`);
    if (s.capturePath === path) return;
    await copyFile(s.capturePath, path);
    this.opts.log(`saved ${s.name} to ${path}`);
  }

  async rowsGet(p: RowsGetParams): Promise<RowsGetResult> {
    const s = this.get(p.sessionId);
    const count = Math.min(Math.max(0, p.count), MAX_ROWS_PER_REQUEST);
    const { rows, total } = await s.rows.get(p.filter, p.start, count);
    return { rows: rows.map(toWireRow), total };
  }

  async flowGet(p: FlowGetParams): Promise<FlowGetResult> {
    const s = this.get(p.sessionId);
    const count = Math.min(Math.max(0, p.count), MAX_ROWS_PER_REQUEST);
    const v = await s.rows.flowView(p.filter, !!p.transport);
    const ix = v.flow;
    const time = p.axis === 'time';
    // Positions as drawn: one per row, or with chunks grouped (expanded groups by first row id).
    const grouped = p.group ? ix.grouped((p.expanded ?? []).map((id) => s.rows.positionIn(v, id))) : undefined;
    const total = grouped ? grouped.total : ix.rawCount;
    const start = Math.max(0, Math.min(p.start, total));
    const end = Math.min(total, start + count);
    const slots: FlowSlot[] = [];
    for (let f = start; f < end; f++) slots.push(grouped ? grouped.slot(f) : { raw: f });
    const rows = await s.rows.rowsOfView(
      v,
      slots.map((sl) => sl.raw),
    );
    const items: (FlowWireItem | null)[] = rows.map((r, k) => {
      const sl = slots[k]!;
      const off = time ? { off: ix.off(sl.raw) } : {};
      if (sl.group) {
        const en = ix.entry(sl.group.entry);
        const first = s.flow.item(r);
        if (first?.kind !== 'arrow') return null;
        return {
          kind: 'group',
          id: first.id,
          lastId: v.ids[en.raw + en.count - 1]!,
          ts: first.ts,
          from: first.from,
          to: first.to,
          conn: first.conn,
          count: en.count,
          bytes: en.bytes,
          expanded: sl.group.expanded,
          ...off,
        };
      }
      const it = s.flow.item(r);
      if (!it) return null;
      return { ...it, ...off, ...(grouped && it.kind === 'arrow' && ix.isGroupEntry(ix.entryOf(sl.raw)) ? { member: true } : {}) };
    });
    const first = s.store.firstId;
    const t0 = first !== undefined ? (await s.store.get(first))?.ts : undefined;
    let found: number | undefined;
    if (p.findId !== undefined) {
      const raw = s.rows.positionIn(v, p.findId);
      found = raw < 0 ? -1 : grouped ? grouped.flatOf(raw) : raw;
    }
    const extra: Partial<FlowGetResult> = {};
    if (time) extra.offEnd = ix.rawCount ? ix.off(ix.rawCount - 1) : 0;
    if (p.indexStep !== undefined && p.indexStep >= 1) {
      const step = Math.floor(p.indexStep);
      const index: number[] = [];
      for (let f = 0; f < total; f += step) index.push(ix.off(grouped ? grouped.slot(f).raw : f));
      extra.index = index;
    }
    return { lifelines: s.flow.lifelines(), items, total, ...(t0 !== undefined ? { t0 } : {}), ...(found !== undefined ? { found } : {}), ...extra };
  }

  stats(id: string): StatsGetResult {
    return this.get(id).stats.result();
  }

  rowsCount(id: string, filter?: string): Promise<number> {
    return this.get(id).rows.countOf(filter);
  }

  async rowsFind(p: RowsFindParams): Promise<RowsFindResult> {
    const s = this.get(p.sessionId);
    let index = -1;
    if (p.id !== undefined) index = await s.rows.indexOfId(p.filter, p.id);
    else if (p.text) {
      const match = compileFilter(p.text);
      index = await s.rows.find(p.filter, p.from ?? 0, !!p.backwards, match);
    }
    const row = index >= 0 ? (await s.rows.get(p.filter, index, 1)).rows[0] : undefined;
    return { index, row: row ? toWireRow(row) : undefined };
  }

  /** Rows of a session in order (for rendering as text). */
  async *allRows(id: string): AsyncIterable<Row> {
    const s = this.get(id);
    const total = s.store.count;
    for (let i = 0; i < total; i += 4096) yield* await s.store.rowsAt(i, Math.min(total, i + 4096));
  }

  signals(): SignalDescription[] {
    return allSignals().map((s) => ({ name: s.name, number: s.number, description: s.description }));
  }

  async signal(p: SignalSendParams): Promise<SignalSendResult> {
    const { name } = parseSignal(p.signal);
    const s = this.pickSessionFor(p.pid, p.sessionId);
    if (!s?.engine || s.state !== 'live') {
      sendSignal(p.pid, name, { group: p.group });
      return { outcome: `${name} sent to ${p.pid} (not in a live session: effect not watched)` };
    }
    const engine = s.engine;
    const known = new Map<number, boolean>();
    const mine = (conn: number) => {
      let yes = known.get(conn);
      if (yes === undefined) {
        const peers = engine.connections().find((c) => c.conn === conn)?.peers;
        yes = !!(peers?.client?.includes(p.pid) || peers?.server?.includes(p.pid));
        known.set(conn, yes);
      }
      return yes;
    };
    const reaction = new SignalReaction(p.pid, engine.monoNow(), mine);
    const seen = new Promise<string>((resolve) => {
      let settle: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        if (settle) clearTimeout(settle);
        offEvent();
        offChunk();
        resolve(reaction.describe() ?? 'sent');
      };
      const timer = setTimeout(done, SIGNAL_WATCH_MS);
      // Events and chunks as they happen, not rows: rows can lag behind a flood being decoded.
      const offEvent = engine.onEvent((ev) => {
        if (reaction.event(ev)) done();
      });
      const offChunk = engine.onChunk((c) => {
        // After the first output, wait a moment for more (or an exit) before saying what it did.
        if (reaction.chunk(c) && !settle) settle = setTimeout(done, SIGNAL_SETTLE_MS);
      });
    });
    s.engine.signal(p.pid, name, { group: p.group });
    s.changed();
    const outcome = await seen;
    // The outcome's rows (signal-sent, exit) are in the table when the answer arrives, unless
    // live decoding is far behind a flood (then they come when it catches up).
    if (!s.engine.behind) await s.engine.decodeQueued();
    return { outcome };
  }

  private pickSessionFor(pid: number, sessionId?: string): HostedSession | undefined {
    if (sessionId) return this.get(sessionId);
    const live = [...this.sessions.values()].filter((s) => s.state === 'live');
    return live.find((s) => s.processes().some((pr) => pr.pid === pid)) ?? live[live.length - 1];
  }
}

// Shared memory watch: a tap without a proxy. It reads the watched memory at an interval and
// hands the session one record per change (see engine/shm/record.ts), so a watch is a connection
// like any other: captured, decoded (the `shm` decoder), shown in the panel and printed by the
// CLI. What changes and changes back between two snapshots is not seen, and several changes
// within one interval are one change.
import { diffSnapshots } from '../shm/diff';
import { encodeChange, encodeHeader, encodeSnapshot, type ChangeRange, type ShmHeader } from '../shm/record';
import { openSource, parseWatchTarget, targetSpec, type ShmSource, type WatchTarget } from '../shm/target';
import { parseLayout } from '../shm/layout';
import { resolveDecoder } from '../decoders/core/registry';
import { UserError } from '../util/errors';
import type { Tap, TapSink } from './tap';

export interface ShmWatchOptions {
  /** KEY | ID | /dev/shm/NAME | FILE | PID:ADDR */
  target: string;
  /** Milliseconds between snapshots (default 50). */
  interval?: number;
  /** Watch only [offset, offset+length) of the segment (length default: to the end). */
  region?: { offset: number; length?: number };
  /** Struct layout of the region ("u32 counter, u64 ts, char[16] name"). */
  layout?: string;
  /** A decoder for the region's contents (e.g. len32le+msgpack). */
  decode?: string;
  /** Runs of changed bytes closer than this are one range (default 8). */
  mergeGap?: number;
}

/** The first snapshot is recorded whole up to this size (the decoder keeps it to apply layouts). */
const SNAPSHOT_MAX = 1024 * 1024;
/** The most one watch reads per snapshot (it keeps the previous snapshot beside it). */
const WATCH_MAX = 1024 * 1024 * 1024;
/** Changed bytes (old + new) per record; a larger change is split into parts. */
const RECORD_MAX = 4 * 1024 * 1024;

export class ShmWatchTap implements Tap {
  readonly kind = 'shm' as const;
  readonly spec: string;
  address: string | undefined;
  private readonly target: WatchTarget;
  private readonly interval: number;
  private source: ShmSource | undefined;
  private conn = 0;
  private prev: Buffer = Buffer.alloc(0);
  private cur: Buffer = Buffer.alloc(0);
  private region = { offset: 0, length: 0 };
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private seq = 0;
  private stopped = false;
  private waiting: string | undefined;
  private waitLookedAt = 0;
  private shrankNoted = false;
  private endResolve!: (reason: string) => void;
  /** Resolves with the reason when the watch ends on its own (segment removed, process gone) or is stopped. */
  readonly ended: Promise<string> = new Promise((r) => (this.endResolve = r));

  constructor(
    private readonly opts: ShmWatchOptions,
    private readonly sink: TapSink,
  ) {
    this.target = parseWatchTarget(opts.target);
    this.spec = targetSpec(this.target);
    this.interval = opts.interval ?? 50;
    if (!(this.interval >= 1)) throw new UserError('--interval must be at least 1 ms', 1);
    if (opts.layout) parseLayout(opts.layout);
    if (opts.decode) resolveDecoder(opts.decode);
  }

  /** The process whose memory is read now (System V segments and PID:ADDR). */
  get process(): { pid: number; name: string } | undefined {
    return this.source?.proc;
  }

  async start(): Promise<void> {
    const source = (this.source = await openSource(this.target));
    try {
      const off = this.opts.region?.offset ?? 0;
      const len = this.opts.region?.length ?? source.size - off;
      if (off >= source.size || len <= 0 || off + len > source.size) throw new UserError(`--region ${off}:${len} does not fit in ${source.size} bytes (${this.spec})`, 1);
      if (len > WATCH_MAX)
        throw new UserError(`${this.spec} is ${source.size} bytes: watch at most ${WATCH_MAX / 1024 / 1024 / 1024} GiB at a time (two copies are held): give --region OFF:LEN`, 1);
      if ((this.opts.layout || this.opts.decode) && len > SNAPSHOT_MAX)
        throw new UserError(`--layout and --decode apply to a region of at most ${SNAPSHOT_MAX} bytes: give --region OFF:LEN`, 1);
      this.region = { offset: off, length: len };
      this.prev = Buffer.alloc(len);
      this.cur = Buffer.alloc(len);
      await source.read(this.prev, off);
    } catch (err) {
      await source.close();
      this.source = undefined;
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot read ${source.describe}: ${(err as Error).message}`);
    }
    this.address = source.describe;
    this.conn = this.sink.newConn();
    this.sink.event({ kind: 'open', conn: this.conn, tap: this.spec, from: source.describe, to: this.opts.target });
    const header: ShmHeader = {
      shm: 1,
      target: this.spec,
      source: source.describe,
      size: source.size,
      region: this.region,
      interval: this.interval,
      ...(this.opts.layout ? { layout: this.opts.layout } : {}),
      ...(this.opts.decode ? { decode: this.opts.decode } : {}),
      ...(source.key !== undefined ? { key: source.key, shmid: source.shmid } : {}),
    };
    this.sink.chunk(this.conn, 's2c', encodeHeader(header));
    if (this.region.length <= SNAPSHOT_MAX) this.sink.chunk(this.conn, 's2c', encodeSnapshot(this.seq, this.region.offset, this.prev));
    this.sink.event({ kind: 'tap-ready', tap: this.spec, address: source.describe, message: `snapshots every ${this.interval} ms; changes between two snapshots are merged` });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, this.interval);
  }

  private async tick(): Promise<void> {
    const source = this.source;
    if (!source || this.stopped) return;
    let n: number;
    try {
      n = await source.read(this.cur, this.region.offset);
    } catch {
      // While waiting (no process has the segment attached), look again once a second, not on
      // every tick: each look reads every process's maps.
      const now = Date.now();
      if (this.waiting !== undefined && now - this.waitLookedAt < 1000) return;
      this.waitLookedAt = now;
      await this.recover(source);
      return;
    }
    if (this.stopped) return;
    if (n < this.cur.length) {
      // A file that shrank: the bytes past its end read as zeros.
      this.cur.fill(0, n);
      if (!this.shrankNoted) {
        this.shrankNoted = true;
        this.sink.event({
          kind: 'note',
          conn: this.conn,
          message: `${source.describe} is shorter than the watched region now (${this.region.offset + n} bytes); the bytes past its end count as zeros`,
        });
      }
    }
    if (this.waiting !== undefined) {
      this.waiting = undefined;
      this.sink.event({ kind: 'note', conn: this.conn, message: `reading ${source.describe} again` });
    }
    const spans = diffSnapshots(this.prev, this.cur, this.opts.mergeGap ?? 8);
    if (spans.length > 0) {
      this.seq++;
      this.emitChange(spans);
      const t = this.prev;
      this.prev = this.cur;
      this.cur = t;
    }
    const gone = await source.goneReason();
    if (gone) this.finish('eof', gone);
  }

  private emitChange(spans: { offset: number; length: number }[]): void {
    const records: ChangeRange[][] = [];
    let batch: ChangeRange[] = [];
    let size = 0;
    const limit = RECORD_MAX / 2;
    for (const s of spans) {
      for (let at = s.offset; at < s.offset + s.length;) {
        const n = Math.min(s.offset + s.length - at, limit - size);
        batch.push({ offset: this.region.offset + at, old: this.prev.subarray(at, at + n), new: this.cur.subarray(at, at + n) });
        size += n;
        at += n;
        if (size >= limit) {
          records.push(batch);
          batch = [];
          size = 0;
        }
      }
    }
    if (batch.length) records.push(batch);
    records.forEach((r, i) => this.sink.chunk(this.conn, 's2c', encodeChange(this.seq, i, records.length, r)));
  }

  private async recover(failed: ShmSource): Promise<void> {
    const r = await failed.recover();
    if (this.stopped) {
      if ('source' in r) await r.source.close();
      return;
    }
    if ('source' in r) {
      this.source = r.source;
      this.sink.event({ kind: 'note', conn: this.conn, message: `now reading through ${r.source.describe}` });
    } else if ('gone' in r) {
      this.source = undefined;
      this.finish('eof', r.gone);
    } else if (this.waiting !== r.wait) {
      this.waiting = r.wait;
      this.sink.event({ kind: 'note', conn: this.conn, message: `${r.wait}; watching resumes when it can be read` });
    }
  }

  private finish(reason: string, message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.source?.close();
    this.source = undefined;
    this.sink.event({ kind: 'close', conn: this.conn, reason, message });
    this.endResolve(message);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.source?.close();
    this.source = undefined;
    if (this.conn) {
      this.sink.event({ kind: 'close', conn: this.conn, reason: 'stopped' });
      this.sink.event({ kind: 'tap-stopped', tap: this.spec });
    }
    this.endResolve('stopped');
  }
}

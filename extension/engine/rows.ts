// Turns the ordered stream of chunks and events (live, or read back from a capture file) into
// numbered rows: decoded frames and events. The same code runs live and on `ipctap read`, so a
// capture re-read with the same decoders yields the same row ids.
import type { ConnDecoder, DecoderOptions } from './decoders/core/decoder';
import { resolveDecoder } from './decoders/core/registry';
import type { Chunk, Direction, EventRecord, Frame, FrameRow, Row } from './types';
import { pushAll } from './util/arrays';

export interface DecodeChoice {
  /** Decoder for every tap without an override (default 'auto'). */
  decode?: string;
  /** Per-tap override: tap spec → decoder name. */
  decodeByTap?: Record<string, string>;
  decoderOptions?: DecoderOptions;
}

interface ConnState {
  tap: string;
  proto: string;
  decoder: ConnDecoder;
  /** A direction decoded by its own fresh decoder since a gap (bytes missing) in it. */
  byDir?: Partial<Record<Direction, ConnDecoder>>;
  /** Decoder options, to make such a fresh decoder. */
  create: () => ConnDecoder;
  ended: Set<Direction>;
  /** Open requests by pair key: row id and monotonic time. */
  pending: Map<string, { id: number; mono: number }>;
  frames: number;
  bytes: number;
}

const SOCKET_DIRS: Direction[] = ['c2s', 's2c'];
const STDIO_DIRS: Direction[] = ['stdin', 'stdout', 'stderr'];

export class RowBuilder {
  private nextId = 1;
  private readonly conns = new Map<number, ConnState>();

  /** Validates the choice now (unknown decoder names, bad options such as a .proto file that
   *  does not load): a UserError before any traffic, not a failure at the first connection. */
  constructor(private readonly choice: DecodeChoice = {}) {
    const names = new Set([choice.decode ?? 'auto', ...Object.values(choice.decodeByTap ?? {})]);
    for (const name of names) resolveDecoder(name, choice.decoderOptions);
  }

  /** The decoder name a tap uses. */
  decoderFor(tap: string): string {
    const by = this.choice.decodeByTap ?? {};
    return by[tap] ?? (tap.startsWith('stdio') ? by['stdio'] : undefined) ?? this.choice.decode ?? 'auto';
  }

  /** Change the decoder for a tap, and with `decoderOptions` the options of every decoder made
   *  from now on (applies to connections opened afterwards). */
  setDecoder(tap: string | undefined, name: string, decoderOptions?: DecoderOptions): void {
    resolveDecoder(name, decoderOptions ?? this.choice.decoderOptions); // validate now: throws UserError for unknown names
    if (decoderOptions) this.choice.decoderOptions = decoderOptions;
    if (tap === undefined) this.choice.decode = name;
    else this.choice.decodeByTap = { ...this.choice.decodeByTap, [tap]: name };
  }

  get rowCount(): number {
    return this.nextId - 1;
  }

  /** A builder with the same decoder choice and nothing seen yet (rows from id 1). */
  fresh(): RowBuilder {
    return new RowBuilder({ ...this.choice, decodeByTap: { ...this.choice.decodeByTap } });
  }

  event(ev: EventRecord): Row[] {
    const out: Row[] = [];
    if (ev.kind === 'open' && ev.conn !== undefined) {
      this.ensureConn(ev.conn, ev.tap ?? '?');
    } else if (ev.kind === 'gap' && ev.conn !== undefined) {
      this.gap(ev.conn, ev.dir, ev, out);
    } else if (ev.kind === 'half-close' && ev.conn !== undefined && ev.dir) {
      this.endDir(ev.conn, ev.dir, ev, out);
    } else if (ev.kind === 'close' && ev.conn !== undefined) {
      const st = this.conns.get(ev.conn);
      if (st) {
        const dirs = st.tap.startsWith('stdio') ? STDIO_DIRS : SOCKET_DIRS;
        for (const d of dirs) this.endDir(ev.conn, d, ev, out);
        this.conns.delete(ev.conn);
      }
    }
    out.push({ type: 'event', id: this.nextId++, ...ev });
    return out;
  }

  chunk(c: Chunk): Row[] {
    const st = this.conns.get(c.conn) ?? this.ensureConn(c.conn, STDIO_DIRS.includes(c.dir) ? 'stdio' : '?');
    st.bytes += c.data.length;
    return this.toRows(c.conn, st, this.safePush(st, c.dir, c.data), c.ts, c.mono);
  }

  /** Flush every connection (end of a capture file). */
  finish(ts: number, mono: number): Row[] {
    const out: Row[] = [];
    for (const [conn, st] of this.conns) {
      const dirs = st.tap.startsWith('stdio') ? STDIO_DIRS : SOCKET_DIRS;
      for (const d of dirs) this.endDir(conn, d, { ts, mono }, out);
    }
    return out;
  }

  private ensureConn(conn: number, tap: string): ConnState {
    let st = this.conns.get(conn);
    if (st) {
      if (st.tap === '?' || (st.tap === 'stdio' && tap !== '?')) st.tap = tap;
      return st;
    }
    const name = this.decoderFor(tap);
    const info = resolveDecoder(name);
    const create = () => info.create(this.choice.decoderOptions);
    st = {
      tap,
      proto: info.name,
      decoder: create(),
      create,
      ended: new Set(),
      pending: new Map(),
      frames: 0,
      bytes: 0,
    };
    this.conns.set(conn, st);
    return st;
  }

  /** Bytes of `dir` (or of both directions) are missing: flush what the decoder holds, and decode
   *  what follows with a fresh decoder, as if the stream started there. */
  private gap(conn: number, dir: Direction | undefined, at: { ts: number; mono: number }, out: Row[]): void {
    const st = this.conns.get(conn);
    if (!st || st.bytes === 0) return; // (nothing decoded yet: the decoder starts there anyway)
    for (const d of dir ? [dir] : SOCKET_DIRS) {
      if (st.ended.has(d)) continue;
      let frames: Frame[];
      try {
        frames = this.decoderOf(st, d).end(d);
      } catch (err) {
        frames = [decoderFault(d, err)];
      }
      out.push(...this.toRows(conn, st, frames, at.ts, at.mono));
      (st.byDir ??= {})[d] = st.create();
    }
  }

  private decoderOf(st: ConnState, dir: Direction): ConnDecoder {
    return st.byDir?.[dir] ?? st.decoder;
  }

  private endDir(conn: number, dir: Direction, at: { ts: number; mono: number }, out: Row[]): void {
    const st = this.conns.get(conn);
    if (!st || st.ended.has(dir)) return;
    st.ended.add(dir);
    let frames: Frame[];
    try {
      frames = this.decoderOf(st, dir).end(dir);
    } catch (err) {
      frames = [decoderFault(dir, err)];
    }
    pushAll(out, this.toRows(conn, st, frames, at.ts, at.mono));
  }

  private safePush(st: ConnState, dir: Direction, data: Uint8Array): Frame[] {
    try {
      return this.decoderOf(st, dir).push(dir, data);
    } catch (err) {
      // A decoder must never throw; if one does, keep the bytes visible and go on.
      return [{ ...decoderFault(dir, err), data }];
    }
  }

  private toRows(conn: number, st: ConnState, frames: Frame[], ts: number, mono: number): FrameRow[] {
    const rows: FrameRow[] = [];
    for (const f of frames) {
      const row: FrameRow = {
        type: 'frame',
        id: this.nextId++,
        ts,
        mono,
        tap: st.tap,
        conn,
        dir: f.dir,
        proto: f.proto ?? st.proto,
        len: f.data.length,
        data: f.data,
        summary: f.summary,
        decoded: f.decoded,
      };
      if (f.error !== undefined) row.error = f.error;
      if (f.ranges) row.ranges = f.ranges;
      if (f.pair) {
        if (f.pair.role === 'request') {
          st.pending.set(f.pair.key, { id: row.id, mono });
          row.pair = { ...f.pair };
        } else {
          const req = st.pending.get(f.pair.key);
          if (req) st.pending.delete(f.pair.key);
          row.pair = req ? { ...f.pair, request: req.id, latencyUs: mono - req.mono } : { ...f.pair };
        }
      }
      st.frames++;
      rows.push(row);
    }
    return rows;
  }
}

function decoderFault(dir: Direction, err: unknown): Frame {
  return {
    dir,
    data: new Uint8Array(0),
    summary: 'decoder fault',
    decoded: null,
    error: `internal decoder error: ${err instanceof Error ? err.message : String(err)}`,
  };
}

export function formatLatency(us: number): string {
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

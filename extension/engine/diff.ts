// Comparing two captures' conversations: messages aligned per connection and direction (by
// method where the protocol has one, else by protocol, with a longest-common-subsequence match so
// that a message added or missing on one side shows as such), matched messages compared
// structurally on their decoded values (paths and old/new values, not bytes), and the latency
// per method on each side.
import { findMethods } from '../shared/filter';
import { MethodStats } from './method-stats';
import { formatLatency } from './rows';
import type { Row } from './types';
import { toJson } from './util/json';

type FrameRow = Extract<Row, { type: 'frame' }>;

export interface ValueChange {
  path: string;
  a: unknown;
  b: unknown;
}

export type MessageDiff =
  | { kind: 'same'; a: number; b: number; summary: string }
  | { kind: 'changed'; a: number; b: number; summary: string; changes: ValueChange[] }
  | { kind: 'only-a'; a: number; summary: string }
  | { kind: 'only-b'; b: number; summary: string };

export interface ConnDiff {
  connA: number;
  connB: number;
  dir: string;
  messages: MessageDiff[];
}

export interface TimingDiff {
  method: string;
  callsA: number;
  callsB: number;
  p50A: number | null;
  p50B: number | null;
}

export interface CaptureDiff {
  conns: ConnDiff[];
  /** Connections of one capture with no counterpart in the other. */
  unmatchedA: number[];
  unmatchedB: number[];
  timing: TimingDiff[];
  counts: { same: number; changed: number; onlyA: number; onlyB: number };
}

/** Beyond this many messages per direction, alignment is by position only (LCS is quadratic). */
const MAX_LCS = 4000;
const MAX_CHANGES = 20;

function keyOf(f: FrameRow): string {
  const m = findMethods(f.decoded)[0];
  const d = f.decoded as Record<string, unknown> | null;
  const kind = d && typeof d === 'object' && !Array.isArray(d) && typeof d.kind === 'string' ? d.kind : '';
  return `${f.proto}|${kind}|${m ?? ''}`;
}

/** Paths where two decoded values differ (at most MAX_CHANGES). */
export function valueChanges(a: unknown, b: unknown, path = '', out: ValueChange[] = []): ValueChange[] {
  if (out.length >= MAX_CHANGES) return out;
  if (Object.is(a, b)) return out;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (String(a) !== String(b)) out.push({ path: path || '/', a, b });
    return out;
  }
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (!objA || !objB || Array.isArray(a) !== Array.isArray(b)) {
    out.push({ path: path || '/', a, b });
    return out;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const x = a as Uint8Array;
    const y = b as Uint8Array;
    if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || Buffer.compare(x, y) !== 0) out.push({ path: path || '/', a, b });
    return out;
  }
  if (Array.isArray(a)) {
    const y = b as unknown[];
    const n = Math.max(a.length, y.length);
    for (let i = 0; i < n && out.length < MAX_CHANGES; i++) valueChanges(i < a.length ? a[i] : undefined, i < y.length ? y[i] : undefined, `${path}/${i}`, out);
    return out;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (out.length >= MAX_CHANGES) break;
    valueChanges(x[k], y[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

/** Index pairs of a longest common subsequence of keys. */
function lcs(a: string[], b: string[]): [number, number][] {
  if (a.length > MAX_LCS || b.length > MAX_LCS) {
    const n = Math.min(a.length, b.length);
    return Array.from({ length: n }, (_, i) => [i, i] as [number, number]);
  }
  const m = b.length + 1;
  const t = new Uint16Array((a.length + 1) * m);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      t[i * m + j] = a[i] === b[j] ? t[(i + 1) * m + j + 1]! + 1 : Math.max(t[(i + 1) * m + j]!, t[i * m + j + 1]!);
    }
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) out.push([i++, j++]);
    else if (t[(i + 1) * m + j]! >= t[i * m + j + 1]!) i++;
    else j++;
  }
  return out;
}

function diffDirection(a: FrameRow[], b: FrameRow[]): MessageDiff[] {
  const pairs = lcs(a.map(keyOf), b.map(keyOf));
  const out: MessageDiff[] = [];
  let i = 0;
  let j = 0;
  const flushTo = (ei: number, ej: number) => {
    for (; i < ei; i++) out.push({ kind: 'only-a', a: a[i]!.id, summary: a[i]!.summary });
    for (; j < ej; j++) out.push({ kind: 'only-b', b: b[j]!.id, summary: b[j]!.summary });
  };
  for (const [pi, pj] of pairs) {
    flushTo(pi, pj);
    const x = a[pi]!;
    const y = b[pj]!;
    const changes = valueChanges(x.decoded ?? null, y.decoded ?? null);
    if (changes.length === 0 && x.decoded === undefined && Buffer.compare(Buffer.from(x.data), Buffer.from(y.data)) !== 0)
      changes.push({ path: '(bytes)', a: x.summary, b: y.summary });
    out.push(
      changes.length
        ? { kind: 'changed', a: x.id, b: y.id, summary: x.summary === y.summary ? x.summary : `${x.summary}  ⇒  ${y.summary}`, changes }
        : { kind: 'same', a: x.id, b: y.id, summary: x.summary },
    );
    i = pi + 1;
    j = pj + 1;
  }
  flushTo(a.length, b.length);
  return out;
}

interface Side {
  conns: Map<number, { tap: string; frames: Map<string, FrameRow[]> }>;
  order: number[];
  methods: MethodStats;
}

function collect(rows: Iterable<Row>, only?: number): Side {
  const s: Side = { conns: new Map(), order: [], methods: new MethodStats() };
  for (const r of rows) {
    if (r.type !== 'frame') continue;
    if (only !== undefined && r.conn !== only) continue;
    s.methods.add(r);
    let c = s.conns.get(r.conn);
    if (!c) {
      c = { tap: r.tap, frames: new Map() };
      s.conns.set(r.conn, c);
      s.order.push(r.conn);
    }
    let l = c.frames.get(r.dir);
    if (!l) c.frames.set(r.dir, (l = []));
    l.push(r);
  }
  return s;
}

/** Compare two captures' rows; `conns` pairs one connection of A with one of B. */
export function diffCaptures(rowsA: Iterable<Row>, rowsB: Iterable<Row>, conns?: { a: number; b: number }): CaptureDiff {
  const A = collect(rowsA, conns?.a);
  const B = collect(rowsB, conns?.b);
  // Connections pair up in the order they first carried data, per tap (the same program run twice
  // opens them in the same order), then whatever is left in order.
  const pairs: [number, number][] = [];
  const leftB = [...B.order];
  const unmatchedA: number[] = [];
  for (const ca of A.order) {
    const tap = A.conns.get(ca)!.tap;
    let k = leftB.findIndex((cb) => B.conns.get(cb)!.tap === tap);
    if (k < 0 && conns) k = 0;
    if (k < 0) {
      unmatchedA.push(ca);
      continue;
    }
    pairs.push([ca, leftB[k]!]);
    leftB.splice(k, 1);
  }
  // Taps named by a port or path that changed between runs: pair the rest by order.
  while (unmatchedA.length && leftB.length) pairs.push([unmatchedA.shift()!, leftB.shift()!]);
  const out: ConnDiff[] = [];
  const counts = { same: 0, changed: 0, onlyA: 0, onlyB: 0 };
  for (const [ca, cb] of pairs) {
    const fa = A.conns.get(ca)!.frames;
    const fb = B.conns.get(cb)!.frames;
    for (const dir of new Set([...fa.keys(), ...fb.keys()])) {
      const messages = diffDirection(fa.get(dir) ?? [], fb.get(dir) ?? []);
      for (const m of messages) {
        if (m.kind === 'same') counts.same++;
        else if (m.kind === 'changed') counts.changed++;
        else if (m.kind === 'only-a') counts.onlyA++;
        else counts.onlyB++;
      }
      out.push({ connA: ca, connB: cb, dir, messages });
    }
  }
  const sa = new Map(A.methods.summaries().map((m) => [m.method, m]));
  const sb = new Map(B.methods.summaries().map((m) => [m.method, m]));
  const timed = [...new Set([...sa.keys(), ...sb.keys()])].filter((m) => sa.get(m)?.p50Us != null || sb.get(m)?.p50Us != null);
  const timing: TimingDiff[] = timed.map((method) => ({
    method,
    callsA: sa.get(method)?.calls ?? 0,
    callsB: sb.get(method)?.calls ?? 0,
    p50A: sa.get(method)?.p50Us ?? null,
    p50B: sb.get(method)?.p50Us ?? null,
  }));
  return { conns: out, unmatchedA, unmatchedB: leftB, timing, counts };
}

const show = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : toJson(v);
  return s.length > 80 ? s.slice(0, 79) + '…' : s;
};

/** The comparison as text: per connection and direction the changed messages (each difference
 *  a path with old → new), the ones on one side only, runs of same messages counted; then the
 *  p50 latency per method; then one line saying same or different. */
export function diffText(d: CaptureDiff, all = false): string {
  const lines: string[] = [];
  for (const c of d.conns) {
    lines.push(`connection ${c.connA} ↔ ${c.connB}, ${c.dir}:`);
    let same = 0;
    const flushSame = () => {
      if (same && !all) lines.push(`  = ${same} message${same === 1 ? '' : 's'} the same`);
      same = 0;
    };
    for (const m of c.messages) {
      if (m.kind === 'same') {
        if (all) lines.push(`  = #${m.a} ↔ #${m.b} ${m.summary}`);
        else same++;
        continue;
      }
      flushSame();
      if (m.kind === 'changed') {
        lines.push(`  ~ #${m.a} ↔ #${m.b} ${m.summary}`);
        for (const ch of m.changes) lines.push(`      ${ch.path}: ${show(ch.a)} → ${show(ch.b)}`);
      } else if (m.kind === 'only-a') lines.push(`  - #${m.a} only in A: ${m.summary}`);
      else lines.push(`  + #${m.b} only in B: ${m.summary}`);
    }
    flushSame();
  }
  for (const c of d.unmatchedA) lines.push(`connection ${c} only in A`);
  for (const c of d.unmatchedB) lines.push(`connection ${c} only in B`);
  if (d.timing.length) {
    lines.push('latency per method (p50):');
    const w = d.timing.reduce((n, t) => Math.max(n, t.method.length), 6);
    for (const t of d.timing) {
      const a = t.p50A === null ? '-' : formatLatency(t.p50A);
      const b = t.p50B === null ? '-' : formatLatency(t.p50B);
      const ratio = t.p50A && t.p50B ? ` (${(t.p50B / t.p50A).toFixed(2)}×)` : '';
      lines.push(`  ${t.method.padEnd(w)}  A ${a.padStart(9)} (${t.callsA} calls)   B ${b.padStart(9)} (${t.callsB} calls)${ratio}`);
    }
  }
  const { same, changed, onlyA, onlyB } = d.counts;
  lines.push(
    changed + onlyA + onlyB + d.unmatchedA.length + d.unmatchedB.length === 0
      ? `the same: ${same} message${same === 1 ? '' : 's'}`
      : `different: ${same} same, ${changed} changed, ${onlyA} only in A, ${onlyB} only in B`,
  );
  return lines.join('\n');
}

// Statistics per RPC method (net/rpc, JSON-RPC/LSP/DAP, gRPC), in the manner of Wireshark's
// Service Response Time: calls, application errors, latency percentiles and a latency
// histogram, from the request/response pairs the decoders mark. Memory stays bounded: latencies
// past SAMPLE per method are kept as a uniform sample (counts, errors and max stay exact).
import { findMethods } from '../shared/filter';
import type { MethodStatsWire } from '../shared/views';
import type { Row } from './types';

const SAMPLE = 50_000;
/** Methods of requests still waiting for their response (oldest dropped beyond this). */
const MAX_OPEN = 100_000;
/** Histogram bucket upper bounds, µs: 10 µs … 10 s, three per decade, then everything above. */
export const BUCKETS_US = [10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, Infinity];

export type MethodSummary = MethodStatsWire;

interface Acc {
  method: string;
  calls: number;
  requests: number;
  errors: number;
  max: number;
  sample: number[];
  histogram: number[];
  seed: number;
}

/** The method a request frame calls (its decoded method/serviceMethod/:path, else the first
 *  word of its summary). */
function methodOf(decoded: unknown, summary: string): string {
  const m = findMethods(decoded)[0];
  if (m) return m;
  const word = summary.replace(/^[→←]\s*/, '').split(/[\s(#]/)[0];
  return word || '(unknown)';
}

/** An application-level error in a response: net/rpc's error string, a JSON-RPC error member,
 *  a gRPC status other than OK, a DAP response with success false. */
export function isErrorResponse(decoded: unknown): boolean {
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) return false;
  const d = decoded as Record<string, unknown>;
  if (d.error !== undefined && d.error !== null && d.error !== '') return true;
  if (d.kind === 'trailers' && typeof d.status === 'number' && d.status !== 0) return true;
  if (d.type === 'response' && d.success === false) return true;
  return false;
}

export class MethodStats {
  private readonly methods = new Map<string, Acc>();
  /** Request row id → method, until its response arrives. */
  private readonly open = new Map<number, string>();

  add(row: Row): void {
    if (row.type !== 'frame' || !row.pair) return;
    if (row.pair.role === 'request') {
      const m = methodOf(row.decoded, row.summary);
      this.acc(m).requests++;
      if (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value as number);
      this.open.set(row.id, m);
      return;
    }
    const req = row.pair.request;
    const m = (req !== undefined ? this.open.get(req) : undefined) ?? methodOf(row.decoded, row.summary);
    if (req !== undefined) this.open.delete(req);
    const a = this.acc(m);
    a.calls++;
    if (isErrorResponse(row.decoded)) a.errors++;
    const lat = row.pair.latencyUs;
    if (lat === undefined) return;
    if (lat > a.max) a.max = lat;
    let b = 0;
    while (lat > BUCKETS_US[b]!) b++;
    a.histogram[b]!++;
    // A uniform sample of the latencies (reservoir), deterministic per method.
    const n = a.histogram.reduce((x, y) => x + y, 0);
    if (a.sample.length < SAMPLE) a.sample.push(lat);
    else {
      a.seed = (Math.imul(a.seed, 1103515245) + 12345) >>> 0;
      const j = a.seed % n;
      if (j < SAMPLE) a.sample[j] = lat;
    }
  }

  private acc(method: string): Acc {
    let a = this.methods.get(method);
    if (!a) {
      a = { method, calls: 0, requests: 0, errors: 0, max: -1, sample: [], histogram: BUCKETS_US.map(() => 0), seed: 1 };
      this.methods.set(method, a);
    }
    return a;
  }

  /** One summary per method, most calls first. */
  summaries(): MethodSummary[] {
    const out: MethodSummary[] = [];
    for (const a of this.methods.values()) {
      const s = [...a.sample].sort((x, y) => x - y);
      const pct = (p: number): number | null => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : null);
      out.push({
        method: a.method,
        calls: a.calls,
        unanswered: Math.max(0, a.requests - a.calls),
        errors: a.errors,
        p50Us: pct(50),
        p90Us: pct(90),
        p99Us: pct(99),
        maxUs: a.max >= 0 ? a.max : null,
        histogram: [...a.histogram],
      });
    }
    return out.sort((x, y) => y.calls - x.calls || x.method.localeCompare(y.method));
  }
}

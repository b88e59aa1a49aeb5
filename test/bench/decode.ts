// Decoder throughput on generated corpora, in MB/s and frames/s, each beside JSON.parse on the
// equivalent JSON (the same messages as JSON texts) measured in the same run as the reference.
//   node --import tsx test/bench/decode.ts          (or benchDecoders() from test/bench/run.ts)
// Input is pushed in 64 KiB chunks, as a socket read would deliver it. Best of 5 timed runs.
// The decoders run as esbuild bundles them (test/bench/bundled.ts), as in dist/.
// Time is this process's CPU time (user + system), so figures stay comparable on a busy machine;
// the decoders are synchronous and single-threaded, so CPU time is what a run costs.
import { Packr } from 'msgpackr';
import { bundledDecoders } from './bundled';

export interface BenchCase {
  decoder: string;
  /** What the corpus holds. */
  what: string;
  /** The wire bytes. */
  bytes: Uint8Array;
  /** The same messages as JSON texts (for the JSON.parse reference). */
  json: string[];
  /** Target in MB/s from the issue, if any. */
  target?: number;
  /** Decoder options (e.g. asOuter: framing only, as under layering). */
  options?: Record<string, unknown>;
  /** Label in the table (default: the decoder name). */
  label?: string;
}

const CHUNK = 64 * 1024;
const TARGET_BYTES = 32 * 1024 * 1024;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Messages shaped like JSON-RPC/LSP traffic: ids, methods, nested params, strings, numbers. */
function messages(count: number): Record<string, unknown>[] {
  const r = rng(42);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'ünïcödé', 'path/to/file.ts', 'label', 'detail'];
  const w = () => words[Math.floor(r() * words.length)];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      jsonrpc: '2.0',
      id: i,
      method: i % 3 ? 'textDocument/completion' : 'textDocument/hover',
      params: {
        textDocument: { uri: `file:///work/${w()}/${w()}.json` },
        position: { line: Math.floor(r() * 5000), character: Math.floor(r() * 120) },
        items: Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({ label: w(), kind: Math.floor(r() * 25), sortText: w() + w(), score: r() })),
      },
    });
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function repeatTo(unit: Uint8Array[], jsonUnit: string[]): { bytes: Uint8Array; json: string[] } {
  const size = unit.reduce((n, b) => n + b.length, 0);
  const times = Math.max(1, Math.ceil(TARGET_BYTES / size));
  const parts: Uint8Array[] = [];
  const json: string[] = [];
  for (let t = 0; t < times; t++) {
    parts.push(...unit);
    json.push(...jsonUnit);
  }
  return { bytes: concat(parts), json };
}

export function defaultCases(): BenchCase[] {
  const msgs = messages(2000);
  const texts = msgs.map((m) => JSON.stringify(m));
  const enc = new TextEncoder();
  const cases: BenchCase[] = [];

  // lines: log-like text lines (~100 B)
  const r = rng(7);
  const lines = Array.from(
    { length: 4000 },
    (_, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}Z INFO worker-${Math.floor(r() * 16)} handled request ${i} in ${(r() * 100).toFixed(2)}ms status=ok`,
  );
  {
    const { bytes, json } = repeatTo(
      lines.map((l) => enc.encode(l + '\n')),
      lines.map((l) => JSON.stringify(l)),
    );
    cases.push({ decoder: 'lines', what: 'log lines, ~100 B', bytes, json, target: 300 });
    cases.push({ decoder: 'lines', label: 'lines (framing only)', what: 'the same, text not decoded', bytes, json, target: 300, options: { asOuter: true } });
  }
  // length-prefixed binary frames (the JSON texts as payloads)
  const be32 = (b: Uint8Array) => concat([Uint8Array.from([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]);
  const vint = (b: Uint8Array) => {
    const pre: number[] = [];
    let n = b.length;
    while (n >= 0x80) {
      pre.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    pre.push(n);
    return concat([Uint8Array.from(pre), b]);
  };
  {
    const { bytes, json } = repeatTo(
      texts.map((t) => be32(enc.encode(t))),
      texts,
    );
    cases.push({ decoder: 'len32be', what: 'JSON payloads, ~330 B', bytes, json, target: 300 });
    cases.push({ decoder: 'len32be', label: 'len32be (framing only)', what: 'the same, payload text not decoded', bytes, json, target: 300, options: { asOuter: true } });
  }
  {
    const { bytes, json } = repeatTo(
      texts.map((t) => vint(enc.encode(t))),
      texts,
    );
    cases.push({ decoder: 'lenvarint', what: 'JSON payloads, ~330 B', bytes, json, target: 300 });
  }
  // LSP framing (body parsed as JSON, integers exact)
  const lsp = (t: string) => enc.encode(`Content-Length: ${Buffer.byteLength(t)}\r\n\r\n${t}`);
  {
    const { bytes, json } = repeatTo(texts.map(lsp), texts);
    cases.push({ decoder: 'lsp', label: 'lsp (framing only)', what: 'LSP messages, ~350 B, bodies not parsed', bytes, json, target: 300, options: { asOuter: true } });
    cases.push({ decoder: 'lsp', what: 'LSP messages, ~350 B, bodies parsed', bytes, json, target: 300 });
    cases.push({ decoder: 'jsonrpc', what: 'the same, with pairing and summaries', bytes, json });
  }
  // MessagePack: the same messages
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  const packed = msgs.map((m) => Uint8Array.from(packr.pack(m)));
  {
    const { bytes, json } = repeatTo(packed, texts);
    cases.push({ decoder: 'msgpack', what: 'the same messages, ~250 B', bytes, json, target: 100 });
  }
  {
    const { bytes, json } = repeatTo(packed.map(be32), texts);
    cases.push({ decoder: 'len32be+msgpack', what: 'the same under a 4-byte length', bytes, json, target: 100 });
  }
  return cases;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Measured {
  mbs: number;
  fps: number;
  frames: number;
}

function measureDecoder(c: BenchCase): Measured {
  const info = bundledDecoders().resolveDecoder(c.decoder);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < c.bytes.length; i += CHUNK) chunks.push(c.bytes.subarray(i, i + CHUNK));
  let best = Infinity;
  let frames = 0;
  for (let run = 0; run < 6; run++) {
    const dec = info.create(c.options);
    let n = 0;
    const t0 = cpuMs();
    for (const ch of chunks) n += dec.push('c2s', ch).length;
    n += dec.end('c2s').length;
    const ms = cpuMs() - t0;
    if (run > 0) best = Math.min(best, ms); // run 0 warms up
    frames = n;
  }
  return { mbs: c.bytes.length / 1e6 / (best / 1000), fps: frames / (best / 1000), frames };
}

function measureJson(json: string[]): number {
  let bytes = 0;
  for (const t of json) bytes += Buffer.byteLength(t);
  let best = Infinity;
  let sink = 0;
  for (let run = 0; run < 6; run++) {
    const t0 = cpuMs();
    for (const t of json) sink += JSON.parse(t) ? 1 : 0;
    const ms = cpuMs() - t0;
    if (run > 0) best = Math.min(best, ms);
  }
  if (sink < 0) console.log(sink);
  return bytes / 1e6 / (best / 1000);
}

/** Runs every case; returns a printable table. */
export async function benchDecoders(cases: BenchCase[] = defaultCases()): Promise<string> {
  const rows: string[][] = [['decoder', 'corpus', 'MB', 'frames', 'MB/s', 'frames/s', 'JSON.parse MB/s', 'vs JSON', 'target']];
  for (const c of cases) {
    const m = measureDecoder(c);
    const j = measureJson(c.json);
    rows.push([
      c.label ?? c.decoder,
      c.what,
      (c.bytes.length / 1e6).toFixed(1),
      String(m.frames),
      m.mbs.toFixed(0),
      Math.round(m.fps).toLocaleString('en-US'),
      j.toFixed(0),
      (m.mbs / j).toFixed(2) + '×',
      c.target ? `${c.target} ${m.mbs >= c.target ? 'met' : 'MISSED'}` : '',
    ]);
    await new Promise((r) => setImmediate(r));
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

if (require.main === module) {
  // optional filter: decoder names to run
  const only = process.argv.slice(2);
  const cases = defaultCases().filter((c) => only.length === 0 || only.includes(c.decoder));
  void benchDecoders(cases).then((t) => console.log(`Decoder throughput, per CPU-second (node ${process.version})\n${t}`));
}

// Decoder throughput on corpora recorded from real peers, in MB/s and frames/s, each beside
// JSON.parse on an equivalent JSON corpus measured in the same run (the JSON texts of what the
// decoder produced for the same bytes: `decoded` per frame).
//   node --import tsx test/bench/decode-peers.ts [gob|netrpc|zmtp|grpc ...]
//   (or benchPeerDecoders() from test/bench/run.ts)
// Peers: the Go gob sender (test/fixtures/go/gobsender), Go net/rpc (rpcserver + a client loop
// over real connections), pyzmq (Debian /usr/bin/python3) PUSH/PULL and REQ/REP, grpc-js server
// (test/fixtures/node/grpc/server.mjs) with a grpc-js client in this process. The socket peers
// talk through the engine's real tcp proxy tap (test/helpers/tap-recorder.ts), which records
// their traffic. Recording takes a few seconds; decoding is timed as this process's CPU time,
// best of 5 runs after 2 warm-up runs. The decoders run as esbuild bundles them (./bundled.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundledDecoders } from './bundled';
import { readHeader } from '../../extension/engine/decoders/gob/reader';
import type { DecoderOptions } from '../../extension/engine/decoders/core/decoder';
import type { Direction, Frame } from '../../extension/engine/types';
import { toJson } from '../../extension/engine/util/json';
import { goBinary } from '../helpers/go';
import { JsonProcess } from '../helpers/json-process';
import { recordThroughTap, tapPort, type TappedChunk, type TapRecorder } from '../helpers/tap-recorder';

const PYTHON = '/usr/bin/python3';
const GRPC_DIR = resolve(__dirname, '../fixtures/node/grpc');
const PROTO = join(GRPC_DIR, 'demo.proto');
const MERGE = 64 * 1024;
/** Each timed run decodes the corpus (as separate connections) until this many bytes. */
const RUN_BYTES = 24 * 1024 * 1024;
const RUN_MS = 400;

type Piece = { dir: Direction; data: Uint8Array };
/** One connection as recorded: chunks in arrival order, both directions. */
type Conn = Piece[];

export interface PeerCase {
  decoder: string;
  label?: string;
  what: string;
  conns: Conn[];
  options?: DecoderOptions;
  target?: number;
}

// ---------- recording ----------

/** Consecutive chunks of one direction merged up to 64 KiB (as a busy socket read delivers). */
function merge(chunks: Piece[]): Conn {
  const out: Conn = [];
  let cur: Piece | undefined;
  let parts: Uint8Array[] = [];
  let n = 0;
  const flush = () => {
    if (cur) out.push({ dir: cur.dir, data: Buffer.concat(parts) });
    parts = [];
    n = 0;
  };
  for (const c of chunks) {
    if (!cur || c.dir !== cur.dir || n + c.data.length > MERGE) {
      flush();
      cur = c;
    }
    parts.push(c.data);
    n += c.data.length;
  }
  flush();
  return out;
}

function byConn(chunks: TappedChunk[]): Conn[] {
  const m = new Map<number, Piece[]>();
  for (const c of chunks) {
    let l = m.get(c.conn);
    if (!l) m.set(c.conn, (l = []));
    l.push({ dir: c.dir, data: c.data });
  }
  return [...m.values()].map(merge);
}

async function gobSender(): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-gob-'));
  try {
    const child = spawn(goBinary('gobsender'), [join(dir, 'values.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => parts.push(c));
    const code = await new Promise<number | null>((res, rej) => {
      child.on('error', rej);
      child.on('close', res);
    });
    if (code !== 0) throw new Error(`gobsender exited ${code}`);
    readFileSync(join(dir, 'values.jsonl'));
    return Buffer.concat(parts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Split a gob stream into its messages; typedef = top-level type definition. */
function gobMessages(s: Uint8Array): { bytes: Uint8Array; typedef: boolean }[] {
  const out: { bytes: Uint8Array; typedef: boolean }[] = [];
  let p = 0;
  while (p < s.length) {
    const h = readHeader(s, p, s.length);
    if (!h || h.bodyStart + h.count > s.length) throw new Error('gob stream cut short');
    const first = s[h.bodyStart]!;
    // a type id is a signed varint: negative ids (definitions) have the low bit set
    const typedef = first < 0x80 ? (first & 1) === 1 : (s[h.bodyStart + (256 - first)]! & 1) === 1;
    out.push({ bytes: s.subarray(p, h.bodyStart + h.count), typedef });
    p = h.bodyStart + h.count;
  }
  return out;
}

function chunked(dir: Direction, bytes: Uint8Array): Conn {
  const out: Conn = [];
  for (let i = 0; i < bytes.length; i += MERGE) out.push({ dir, data: bytes.subarray(i, i + MERGE) });
  return out;
}

async function gobCases(): Promise<PeerCase[]> {
  const stream = await gobSender();
  const msgs = gobMessages(stream);
  // Many small values on one long stream: the sender's 300 Rec values (after their type
  // definitions), sent 50 times over.
  // (every type definition of the stream first: Rec's fields refer to types defined earlier)
  const recStart = msgs.findIndex((m, i) => i > 0 && m.typedef && msgs.slice(i + 1).every((x) => !x.typedef));
  const defs = msgs.filter((m) => m.typedef);
  const recs = msgs.slice(recStart).filter((m) => !m.typedef);
  const small = Buffer.concat([...defs.map((m) => m.bytes), ...Array.from({ length: 50 }, () => recs.map((m) => m.bytes)).flat()]);
  return [
    { decoder: 'gob', what: `Go gobsender: ${msgs.length} messages, mixed values (one of 250 KB), ${kb(stream.length)}`, conns: [chunked('stdout', stream)], target: 100 },
    {
      decoder: 'gob',
      label: 'gob (small values)',
      what: `Go gob: ${recs.length * 50} small struct values (~${Math.round(recs.reduce((n, m) => n + m.bytes.length, 0) / recs.length)} B), ${kb(small.length)}`,
      conns: [chunked('stdout', small)],
      target: 100,
    },
  ];
}

/**
 * net/rpc: a Go client making calls over real connections to the Go rpcserver, through the
 * real proxy tap that records them. The recorded connection is then extended the way a
 * long-lived client's would be: after the first pass (which carries the type definitions), its
 * calls repeat.
 */
async function netrpcCases(): Promise<PeerCase[]> {
  const server = new JsonProcess(goBinary('rpcserver'), ['tcp']);
  let rec: TapRecorder | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'ipctap-bench-rpc-'));
  try {
    const { text } = await server.line<{ text: string }>((o) => 'text' in o);
    const port = Number(String(text).split(':').pop());
    rec = await recordThroughTap(`tcp:0=127.0.0.1:${port}`);
    const client = spawn(goBinary('rpcclient'), ['tcp', `127.0.0.1:${tapPort(rec.tap)}`, join(tmp, 'calls.jsonl')], { stdio: 'ignore' });
    const code = await new Promise<number | null>((res) => client.on('close', res));
    if (code !== 0) throw new Error(`rpcclient exited ${code}`);
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    const conn = byConn(chunks)[0]!;
    const streams = new Map<Direction, Uint8Array>();
    for (const d of ['c2s', 's2c'] as Direction[]) streams.set(d, Buffer.concat(conn.filter((p) => p.dir === d).map((p) => p.data)));
    const calls = 400;
    const long: Conn = [];
    const parts = new Map<Direction, Uint8Array[]>();
    for (const [d, s] of streams) {
      const msgs = gobMessages(s);
      const rest = msgs.filter((m) => !m.typedef).map((m) => m.bytes);
      parts.set(d, [s, ...Array.from({ length: calls }, () => rest).flat()]);
    }
    // Alternate directions in 64 KiB pieces (each direction is decoded independently).
    const c = chunked('c2s', Buffer.concat(parts.get('c2s')!));
    const s = chunked('s2c', Buffer.concat(parts.get('s2c')!));
    for (let i = 0; i < Math.max(c.length, s.length); i++) {
      if (c[i]) long.push(c[i]!);
      if (s[i]) long.push(s[i]!);
    }
    const size = long.reduce((n, p) => n + p.data.length, 0);
    return [{ decoder: 'netrpc', what: `Go net/rpc calls (Arith.*) over one connection, both directions, ${kb(size)}`, conns: [long], target: 100 }];
  } finally {
    if (rec) await rec.stop();
    await server.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const ZMQ_SCRIPT = String.raw`
import json, random, sys, zmq
mode, ep = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
rnd = random.Random(7)
words = [b"alpha", b"beta", b"gamma", b"delta", "\u00fcn\u00efc\u00f6d\u00e9".encode(), b"path/to/file"]
def body(i):
    r = rnd.random()
    if r < 0.6:
        return json.dumps({"seq": i, "op": "update", "key": rnd.choice(words).decode(), "value": rnd.random()}).encode()
    if r < 0.9:
        return rnd.randbytes(rnd.randint(8, 400))
    if r < 0.995:
        return b" ".join(rnd.choice(words) for _ in range(rnd.randint(50, 600)))
    return rnd.randbytes(70000)
if mode == "push":
    pull = ctx.socket(zmq.PULL); pull.bind("tcp://127.0.0.1:*")
    print(json.dumps({"bound": pull.getsockopt_string(zmq.LAST_ENDPOINT)}), flush=True)
    push = ctx.socket(zmq.PUSH); push.connect(sys.stdin.readline().strip())
    n = 6000
    for i in range(n):
        push.send_multipart([b"topic." + rnd.choice(words), b"%d" % i, body(i)])
    for i in range(n): pull.recv_multipart()
else:
    rep = ctx.socket(zmq.REP); rep.bind("tcp://127.0.0.1:*")
    print(json.dumps({"bound": rep.getsockopt_string(zmq.LAST_ENDPOINT)}), flush=True)
    req = ctx.socket(zmq.REQ); req.connect(sys.stdin.readline().strip())
    for i in range(3000):
        req.send_multipart([b"get", b"%d" % i])
        rep.recv_multipart()
        rep.send_multipart([b"ok", json.dumps({"id": i, "name": "item %d" % i, "tags": ["a", "b"]}).encode()])
        req.recv_multipart()
ctx.destroy(0)
print(json.dumps({"done": True}), flush=True)
`;

async function zmqRecord(mode: 'push' | 'reqrep'): Promise<Conn[]> {
  const py = new JsonProcess(PYTHON, ['-c', ZMQ_SCRIPT, mode, '']);
  let rec: TapRecorder | undefined;
  try {
    const { bound } = await py.line<{ bound: string }>((o) => 'bound' in o);
    rec = await recordThroughTap(`tcp:0=127.0.0.1:${bound.slice(bound.lastIndexOf(':') + 1)}`);
    py.send(`tcp://127.0.0.1:${tapPort(rec.tap)}`);
    await py.line((o) => o.done === true);
    await py.exited;
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    return byConn(chunks);
  } finally {
    if (rec) await rec.stop();
    await py.kill();
  }
}

async function zmtpCases(): Promise<PeerCase[]> {
  const push = await zmqRecord('push');
  const rr = await zmqRecord('reqrep');
  return [
    { decoder: 'zmtp', what: `pyzmq PUSH/PULL: 6000 3-part messages (text, binary, a few 70 KB), ${kb(size(push))}`, conns: push, target: 100 },
    { decoder: 'zmtp', label: 'zmtp (req/rep)', what: `pyzmq REQ/REP: 3000 small round trips, ${kb(size(rr))}`, conns: rr, target: 100 },
  ];
}

type GrpcClient = any;

/** Runs `calls` with a grpc-js client through the proxy tap to the grpc-js fixture server. */
async function grpcRecord(calls: (c: GrpcClient) => Promise<void>): Promise<Conn[]> {
  const grpc = require('@grpc/grpc-js');

  const loader = require('@grpc/proto-loader');
  const def = loader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, bytes: String, defaults: true, arrays: true });
  const demo = grpc.loadPackageDefinition(def).demo;
  const server = new JsonProcess(process.execPath, [join(GRPC_DIR, 'server.mjs'), '127.0.0.1:0']);
  let rec: TapRecorder | undefined;
  let client: { close(): void } | undefined;
  try {
    const { listening } = await server.line<{ listening: number }>((o) => 'listening' in o);
    rec = await recordThroughTap(`tcp:0=127.0.0.1:${listening}`);
    const c = new demo.Calc(`127.0.0.1:${tapPort(rec.tap)}`, grpc.credentials.createInsecure());
    client = c;
    await calls(c);
    c.close();
    client = undefined;
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    return byConn(chunks);
  } finally {
    client?.close();
    if (rec) await rec.stop();
    await server.kill();
  }
}

/** Deterministic incompressible bytes (like an image or a compressed file). */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

function echoCall(c: GrpcClient, note: Record<string, unknown>): Promise<void> {
  return new Promise<void>((res, rej) => c.Echo(note, (e: Error | null) => (e ? rej(e) : res())));
}

async function grpcCases(): Promise<PeerCase[]> {
  const small = await grpcRecord(async (c) => {
    const blob = Buffer.alloc(600, 7).toString('base64');
    const echo = (i: number) => echoCall(c, { text: `note ${i} ünï`, id: i * 1000, tags: ['a', 'bb', `t${i % 7}`], blob: i % 4 === 0 ? blob : '' });
    for (let i = 0; i < 3000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => echo(i + k)));
    await new Promise<void>((res, rej) => {
      const s = c.Count({ n: 5000, prefix: 'item ' });
      s.on('data', () => undefined);
      s.on('end', res);
      s.on('error', rej);
    });
    await new Promise<void>((res, rej) => {
      const s = c.Chat();
      let got = 0;
      s.on('data', () => {
        if (++got === 2000) s.end();
      });
      s.on('end', res);
      s.on('error', rej);
      for (let i = 0; i < 2000; i++) s.write({ text: `chat ${i}`, id: i, tags: ['x'] });
    });
  });
  const large = await grpcRecord(async (c) => {
    // Larger messages: documents of 1-8 KB of text and blobs of 8-64 KB, 10 calls at a time.
    const para = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit; ünïcödé text. ';
    for (let i = 0; i < 400; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, k) => {
          const n = i + k;
          const blob = noise(8192 * (1 + (n % 8)), n).toString('base64');
          return echoCall(c, { text: para.repeat(15 * (1 + (n % 8))), id: n, tags: ['doc', `v${n}`], blob: n % 2 ? blob : '' });
        }),
      );
    }
  });
  const what = `grpc-js: 3000 unary Echo (50 at a time), a 5000-message server stream, 2000-message bidi, ${kb(size(small))}`;
  return [
    { decoder: 'grpc', what: what + ', schema-less', conns: small, target: 100 },
    { decoder: 'grpc', label: 'grpc (with .proto)', what: 'the same, typed by demo.proto', conns: small, options: { protoFiles: [PROTO] }, target: 100 },
    { decoder: 'grpc', label: 'grpc (large)', what: `grpc-js: 400 unary Echo with 1-8 KB texts and 8-64 KB blobs, ${kb(size(large))}, schema-less`, conns: large, target: 100 },
  ];
}

// ---------- measuring ----------

function kb(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} KB`;
}

function size(conns: Conn[]): number {
  let n = 0;
  for (const c of conns) for (const p of c) n += p.data.length;
  return n;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function decodeAll(c: PeerCase, times: number, each?: (f: Frame) => void): number {
  const info = bundledDecoders().resolveDecoder(c.decoder);
  let frames = 0;
  for (let t = 0; t < times; t++) {
    for (const conn of c.conns) {
      const d = info.create(c.options);
      const dirs = new Set<Direction>();
      for (const p of conn) {
        dirs.add(p.dir);
        const f = d.push(p.dir, p.data);
        frames += f.length;
        if (each) for (const x of f) each(x);
      }
      for (const dir of dirs) {
        const f = d.end(dir);
        frames += f.length;
        if (each) for (const x of f) each(x);
      }
    }
  }
  return frames;
}

export interface Row {
  label: string;
  what: string;
  mb: number;
  frames: number;
  mbs: number;
  fps: number;
  json: number;
  /** JSON.parse calls per second on the same frames' JSON texts (one text per frame) */
  jsonFps: number;
  errors: number;
  target?: number;
}

/** Best of 5 timed runs after 2 warm-up runs (the optimizing compiler settles on big decoders). */
function best(run: () => void): number {
  let b = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = cpuMs();
    run();
    const ms = cpuMs() - t0;
    if (i > 1) b = Math.min(b, ms);
  }
  return Math.max(b, 0.001);
}

export function measure(c: PeerCase): Row {
  const bytes = size(c.conns);
  decodeAll(c, 1); // (cold: compiles)
  const t0 = cpuMs();
  decodeAll(c, 1);
  // Up to RUN_BYTES per timed run, but no more than about RUN_MS of CPU (slow decoders).
  const times = Math.max(1, Math.min(Math.ceil(RUN_BYTES / bytes), Math.ceil(RUN_MS / Math.max(cpuMs() - t0, 0.01))));
  let n = 0;
  const ms = best(() => {
    n = decodeAll(c, times);
  });
  // The JSON reference: each frame's decoded value as JSON text, made as the frame comes out and
  // the frame dropped. Frames held in bulk (300,000 of them for the small corpora) made V8
  // pretenure the allocation sites that made them (allocate there as long-lived from then on),
  // which slowed the decoders measured after this one, also those sharing code with it
  // (net/rpc after gob: -25 %).
  const json: string[] = [];
  let errors = 0;
  decodeAll(c, 1, (f) => {
    json.push(toJson(f.decoded));
    if (f.error) errors++;
  });
  const jsonBytes = json.reduce((n, t) => n + Buffer.byteLength(t), 0);
  let sink = 0;
  const jms = best(() => {
    for (let t = 0; t < times; t++) for (const s of json) sink += JSON.parse(s) ? 1 : 0;
  });
  if (sink < 0) console.log(sink);
  return {
    label: c.label ?? c.decoder,
    what: c.what,
    mb: (bytes * times) / 1e6,
    frames: n,
    mbs: (bytes * times) / 1e6 / (ms / 1000),
    fps: n / (ms / 1000),
    json: (jsonBytes * times) / 1e6 / (jms / 1000),
    jsonFps: (json.length * times) / (jms / 1000),
    errors,
    target: c.target,
  };
}

export async function peerCases(only: string[] = []): Promise<PeerCase[]> {
  const want = (n: string) => only.length === 0 || only.includes(n);
  const cases: PeerCase[] = [];
  if (want('gob')) cases.push(...(await gobCases()));
  if (want('netrpc')) cases.push(...(await netrpcCases()));
  if (want('zmtp')) cases.push(...(await zmtpCases()));
  if (want('grpc')) cases.push(...(await grpcCases()));
  return cases;
}

/** Records the corpora from real peers, measures every decoder; returns a printable table. */
export async function benchPeerDecoders(only: string[] = []): Promise<string> {
  const cases = await peerCases(only);
  const rows: string[][] = [
    ['decoder', 'corpus (recorded from real peers)', 'MB', 'frames', 'MB/s', 'frames/s', 'JSON.parse MB/s', 'frames/s', 'vs JSON: MB/s', 'frames/s', 'target'],
  ];
  for (const c of cases) {
    const m = measure(c);
    rows.push([
      m.label,
      m.what + (m.errors ? ` (${m.errors} error frames!)` : ''),
      m.mb.toFixed(1),
      String(m.frames),
      m.mbs.toFixed(0),
      Math.round(m.fps).toLocaleString('en-US'),
      m.json.toFixed(0),
      Math.round(m.jsonFps).toLocaleString('en-US'),
      (m.mbs / m.json).toFixed(2) + '×',
      (m.fps / m.jsonFps).toFixed(2) + '×',
      m.target ? `${m.target} ${m.mbs >= m.target ? 'met' : 'MISSED'}` : '',
    ]);
    await new Promise((r) => setImmediate(r));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

if (require.main === module) {
  void benchPeerDecoders(process.argv.slice(2)).then(
    (t) => console.log(`Decoder throughput on recorded peer traffic, per CPU-second (node ${process.version})\n${t}`),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}

// Hostile capture files: records that pass the format's checksums and shape checks but carry
// values of every wrong type (a conn that is a string, a dir that is a map, peers that are a
// number, 2^64 timestamps, megabyte strings), and valid files with random bytes flipped, cut or
// inserted. Reading one must give rows (text and JSON Lines) or a clear UserError: nothing else
// may be thrown, and nothing may hang.
//   npm run fuzz -- --capture [--iterations N] [--seed S]
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter } from '../../extension/engine/capture/writer';
import { CRC_BYTES, makePackr, writeCrc } from '../../extension/engine/capture/format';
import { readCaptureRows } from '../../extension/engine/read';
import { UserError } from '../../extension/engine/util/errors';
import { rowToJsonLine, TextFormatter } from '../../extension/cli/format';
import { prng, randInt, type Rng } from '../helpers/decoder-suite';

const KINDS = [
  'spawn',
  'exit',
  'signal-sent',
  'stopped',
  'continued',
  'open',
  'half-close',
  'close',
  'error',
  'tap-ready',
  'tap-stopped',
  'restored',
  'capture-dropped',
  'note',
  'whatever',
];
const FIELDS = [
  'conn',
  'dir',
  'tap',
  'from',
  'to',
  'peers',
  'pid',
  'code',
  'signal',
  'bySignal',
  'message',
  'path',
  'bytes',
  'command',
  'reason',
  'address',
  'group',
  'name',
  'chunks',
];

function value(rng: Rng, depth = 0): unknown {
  switch (randInt(rng, depth > 2 ? 10 : 13)) {
    case 0:
      return randInt(rng, 5);
    case 1:
      return -randInt(rng, 1 << 30);
    case 2:
      return 1e300;
    case 3:
      return 2n ** 64n - 1n;
    case 4:
      return '';
    case 5:
      return '<script>alert(1)</script>\u202e\u0000';
    case 6:
      return 'x'.repeat(randInt(rng, 2) ? 10 : 1 << 16);
    case 7:
      return null;
    case 8:
      return rng() < 0.5;
    case 9:
      return Uint8Array.from({ length: randInt(rng, 64) }, () => randInt(rng, 256));
    case 10:
      return Array.from({ length: randInt(rng, 4) }, () => value(rng, depth + 1));
    case 11: {
      const o: Record<string, unknown> = {};
      for (let i = randInt(rng, 4); i > 0; i--) o[FIELDS[randInt(rng, FIELDS.length)]!] = value(rng, depth + 1);
      return o;
    }
    default:
      return 1.5;
  }
}

function hostileRecord(rng: Rng): Record<string, unknown> {
  const ts = randInt(rng, 4) === 0 ? 1.7e18 : 1_700_000_000_000_000 + randInt(rng, 1e6);
  if (rng() < 0.4) {
    return {
      t: 'c',
      conn: randInt(rng, 3) === 0 ? -1 : 1 + randInt(rng, 4),
      dir: ['c2s', 's2c', 'stdin', 'stdout', 'stderr'][randInt(rng, 5)],
      ts,
      mono: randInt(rng, 1e6),
      data: value(rng) instanceof Uint8Array ? (value(rng) as Uint8Array) : Buffer.from('{"jsonrpc":"2.0","id":1,"method":"x"}\n'),
    };
  }
  const ev: Record<string, unknown> = { t: 'e', kind: KINDS[randInt(rng, KINDS.length)], ts, mono: randInt(rng, 1e6) };
  for (let i = randInt(rng, 6); i > 0; i--) ev[FIELDS[randInt(rng, FIELDS.length)]!] = value(rng);
  return ev;
}

/** Read every row of `path`, writing each as text and JSON; a problem other than a UserError is returned. */
async function readAllRows(path: string): Promise<string | undefined> {
  const text = new TextFormatter({});
  try {
    for await (const row of readCaptureRows(path)) {
      rowToJsonLine(row);
      text.format(row);
    }
    return undefined;
  } catch (e) {
    return e instanceof UserError ? undefined : `${(e as Error).stack ?? String(e)}`;
  }
}

export interface CaptureFuzzResult {
  iterations: number;
  failures: { index: number; problem: string }[];
}

/** `iterations` hostile files from `seed` (index i is reproducible alone). */
export async function fuzzCaptures(iterations: number, seed = 1): Promise<CaptureFuzzResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-capfuzz-'));
  const failures: CaptureFuzzResult['failures'] = [];
  try {
    const good = await validCapture(20);
    const packr = makePackr();
    for (let i = 0; i < iterations; i++) {
      const rng = prng((seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0);
      const path = join(dir, `f${i % 4}.ipctap`);
      if (rng() < 0.6) {
        // Well-formed records with hostile values, after the valid ones.
        writeFileSync(path, good);
        const fd = openSync(path, 'a');
        for (let n = 1 + randInt(rng, 8); n > 0; n--) {
          const body = packr.pack(hostileRecord(rng));
          const rec = Buffer.allocUnsafe(body.length + CRC_BYTES);
          body.copy(rec);
          writeCrc(rec, 0, body.length);
          writeSync(fd, rec);
        }
        closeSync(fd);
      } else {
        // Damaged bytes: flips, a cut, an insertion.
        let b = Buffer.from(good);
        for (let n = 1 + randInt(rng, 6); n > 0; n--) b[randInt(rng, b.length)] ^= 1 << randInt(rng, 8);
        if (rng() < 0.3) b = b.subarray(0, randInt(rng, b.length));
        if (rng() < 0.3) {
          const at = randInt(rng, b.length);
          b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + randInt(rng, 16) }, () => randInt(rng, 256))), b.subarray(at)]);
        }
        writeFileSync(path, b);
      }
      const problem = await readAllRows(path);
      if (problem) failures.push({ index: i, problem });
      if (failures.length >= 5) break;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { iterations, failures };
}

// ---------- for the coverage-guided fuzzer (./guided.ts) ----------

const validFiles = new Map<number, Buffer>();
/** The guided fuzzer's base file is small: each input writes and reads it again. */
const GUIDED_CHUNKS = 4;

/** A valid capture (kept per size): an open, `chunks` JSON-RPC chunks both ways, a close. */
async function validCapture(chunks: number): Promise<Buffer> {
  const have = validFiles.get(chunks);
  if (have) return have;
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-capbase-'));
  try {
    const base = join(dir, 'base.ipctap');
    const w = await CaptureWriter.open(base, { start: 1_700_000_000_000_000, name: 'fuzz', decode: 'auto' }, { checksumData: true });
    w.writeEvent({ kind: 'open', conn: 1, tap: 'unix:/tmp/a.sock', from: 'client', to: 'server', ts: 1, mono: 1 });
    for (let i = 0; i < chunks; i++) w.writeChunk({ conn: 1, dir: i % 2 ? 's2c' : 'c2s', ts: 2 + i, mono: 2 + i, data: Buffer.from(`{"jsonrpc":"2.0","id":${i},"method":"m"}\n`) });
    w.writeEvent({ kind: 'close', conn: 1, reason: 'eof', ts: 30, mono: 30 });
    await w.close();
    const file = readFileSync(base);
    validFiles.set(chunks, file);
    return file;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seeds: record bodies (MessagePack) of hostile events and chunks, as the guided fuzzer mutates them. */
export async function captureSeeds(): Promise<Uint8Array[]> {
  await validCapture(GUIDED_CHUNKS);
  const packr = makePackr();
  const rng = prng(7);
  const out: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) out.push(packr.pack(hostileRecord(rng)));
  return out;
}

/**
 * A capture made of the valid file, then each segment: 'c2s' segments as records with a correct
 * checksum (so the reader gets past the checksum to the values), other directions as raw bytes.
 * Written to `path` and read back: a problem other than a clean UserError is returned.
 */
export async function captureFileProblem(segments: [string, Uint8Array][], path: string): Promise<string | null> {
  const parts: Buffer[] = [await validCapture(GUIDED_CHUNKS)];
  for (const [dir, body] of segments) {
    if (dir !== 'c2s') {
      parts.push(Buffer.from(body));
      continue;
    }
    const rec = Buffer.allocUnsafe(body.length + CRC_BYTES);
    rec.set(body);
    writeCrc(rec, 0, body.length);
    parts.push(rec);
  }
  writeFileSync(path, Buffer.concat(parts));
  return (await readAllRows(path)) ?? null;
}

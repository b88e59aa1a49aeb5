// The bytes of vectored and message calls (readv/writev, sendmsg/recvmsg, sendmmsg/recvmmsg) as
// the trace tap gets them, on strace output recorded from a real run:
// test/fixtures/strace/vectored.txt is `strace -f -yy -xx -s 2200` of
// `python3 test/fixtures/python/vectored.py 2100 2400` (the vectored and message calls and the
// exits kept). Its lines are longer than the parser's long-line threshold, so the strings in them
// are kept as bytes; a buffer of 2400 bytes is longer than strace printed (-s 2200), so 200 of its
// bytes are missing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TapSink } from '../../../extension/engine/taps/tap';
import { TraceAssembler } from '../../../extension/engine/trace/assembler';
import { callData, StraceLineParser, unhex, unhexBytes, type Piece, type StraceRecord } from '../../../extension/engine/trace/strace-line';
import type { EventBody } from '../../../extension/engine/types';

const LIMIT = 2200; // -s of the recording
const SIZES = [2100, 2400]; // vectored.py's arguments
const lines = readFileSync(join(__dirname, '../../fixtures/strace/vectored.txt'), 'latin1').split('\n').filter(Boolean);

/** vectored.py's pat(): each byte differs from its neighbours. */
function pat(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + Math.floor(i / 251) + seed) & 0xff;
  return b;
}

/** The buffers of each call vectored.py makes, per stream, in order. */
const CALLS: Record<'pipe' | 'sock' | 'mmsg', Buffer[][][]> = { pipe: [], sock: [], mmsg: [] };
SIZES.forEach((s, i) => {
  CALLS.pipe.push([[pat(s, i)]], [[pat(10, i + 1), pat(s, i + 2), pat(5, i + 3)]]);
  CALLS.sock.push([[pat(s, i + 4)]], [[pat(10, i + 5), pat(s, i + 6)]]);
  // (One sendmmsg of two messages, the second of two buffers.)
  CALLS.mmsg.push([[pat(s, i + 7)], [pat(10, i + 8), pat(s, i + 9)]]);
});

/** What strace printed of some buffers: each cut at LIMIT, the rest a missing count. */
function printed(bufs: Buffer[]): Piece[] {
  return bufs.flatMap((b) => (b.length > LIMIT ? [b.subarray(0, LIMIT), b.length - LIMIT] : [b]));
}

/** Adjacent byte pieces joined and adjacent counts added, as Buffers, to compare. */
function norm(pieces: Piece[]): (Buffer | number)[] {
  const out: (Buffer | number)[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (typeof p === 'number') {
      if (typeof last === 'number') out[out.length - 1] = last + p;
      else out.push(p);
    } else if (p.length) {
      if (last !== undefined && typeof last !== 'number') out[out.length - 1] = Buffer.concat([last, p]);
      else out.push(Buffer.from(p));
    }
  }
  return out;
}

/** Short text for a failing comparison. */
const show = (ps: (Buffer | number)[]) => ps.map((p) => (typeof p === 'number' ? `<${p} missing>` : `${p.length}B:${p.subarray(0, 4).toString('hex')}…`)).join(' ');

function assertPieces(got: Piece[], want: Piece[], what: string): void {
  const g = norm(got);
  const w = norm(want);
  assert.deepEqual(show(g), show(w), what);
  assert.ok(
    g.every((p, i) => (typeof p === 'number' ? p === w[i] : p.equals(w[i] as Buffer))),
    `${what}: the bytes differ`,
  );
}

/** The fixture's lines through the parser the way the tap gives them (bytes of one line). */
function parse(split?: (line: Buffer) => Buffer[]): StraceRecord[] {
  const p = new StraceLineParser();
  const out: StraceRecord[] = [];
  for (const l of lines) {
    const b = Buffer.from(l, 'latin1');
    const rec = split ? p.parseParts(split(b)) : p.parseBytes(b);
    if (rec) out.push(rec);
  }
  return out;
}

const calls = (recs: StraceRecord[], name: string) => recs.filter((r): r is Extract<StraceRecord, { type: 'call' }> => r.type === 'call' && r.name === name);

test('writev: one buffer over 2 KiB, several buffers, and buffers longer than strace printed, each call byte-exact with its missing count', () => {
  const w = calls(parse(), 'writev');
  assert.equal(w.length, CALLS.pipe.length);
  w.forEach((rec, k) => {
    const bufs = CALLS.pipe[k]![0]!;
    assert.equal(
      rec.ret,
      bufs.reduce((n, b) => n + b.length, 0),
    );
    assertPieces(callData(rec.name, rec.args, rec.ret, rec.blobs), printed(bufs), `writev #${k}`);
  });
  // The 2400-byte buffer between two small ones: 2200 bytes, 200 missing, then the last 5.
  assert.deepEqual(
    norm(callData(w[3]!.name, w[3]!.args, w[3]!.ret, w[3]!.blobs)).map((p) => (typeof p === 'number' ? -p : p.length)),
    [10 + 2200, -200, 5],
  );
});

test('sendmsg and sendmmsg: the msg_iov of each message, in order, with missing counts', () => {
  const recs = parse();
  const s = calls(recs, 'sendmsg');
  assert.equal(s.length, CALLS.sock.length);
  s.forEach((rec, k) => assertPieces(callData(rec.name, rec.args, rec.ret, rec.blobs), printed(CALLS.sock[k]![0]!), `sendmsg #${k}`));
  const m = calls(recs, 'sendmmsg');
  assert.equal(m.length, CALLS.mmsg.length);
  m.forEach((rec, k) => {
    assert.equal(rec.ret, 2); // messages
    assertPieces(callData(rec.name, rec.args, rec.ret, rec.blobs), CALLS.mmsg[k]!.flatMap(printed), `sendmmsg #${k}`);
  });
});

test('readv, recvmsg and recvmmsg: what each read returned, from the one large buffer it read into', () => {
  const recs = parse();
  const stream = (name: 'pipe' | 'sock' | 'mmsg') => Buffer.concat(CALLS[name].flat(2));
  for (const [name, of] of [
    ['readv', 'pipe'],
    ['recvmsg', 'sock'],
    ['recvmmsg', 'mmsg'],
  ] as const) {
    const all = stream(of);
    let at = 0;
    const reads = calls(recs, name).filter((r) => r.ret > 0);
    assert.ok(reads.length > 0, name);
    for (const rec of reads) {
      const pieces = callData(rec.name, rec.args, rec.ret, rec.blobs);
      const n = pieces.reduce<number>((t, p) => t + (typeof p === 'number' ? p : p.length), 0);
      // (recvmmsg's ret counts messages; the bytes are the sum of their msg_len.)
      if (name !== 'recvmmsg') assert.equal(n, rec.ret, name);
      const got = all.subarray(at, at + n);
      assertPieces(pieces, got.length > LIMIT ? [got.subarray(0, LIMIT), got.length - LIMIT] : [got], `${name} at ${at}`);
      at += n;
    }
    assert.equal(at, all.length, `${name}: every byte read`);
  }
});

test('the same lines split into chunks anywhere (inside an escape, at a quote) parse the same', () => {
  const whole = parse();
  const data = (recs: StraceRecord[]) => recs.map((r) => (r.type === 'call' ? [r.name, r.ret, show(norm(callData(r.name, r.args, r.ret, r.blobs)))] : [r.type]));
  for (const cut of [
    (b: Buffer) => [b.subarray(0, 1), b.subarray(1)],
    (b: Buffer) => {
      const q = b.indexOf(34);
      return q < 0 ? [b] : [b.subarray(0, q), b.subarray(q, q + 3), b.subarray(q + 3)];
    },
    (b: Buffer) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < b.length; i += 997) parts.push(b.subarray(i, Math.min(b.length, i + 997)));
      return parts;
    },
  ]) {
    assert.deepEqual(data(parse(cut)), data(whole));
  }
});

test('assembled: each stream byte-exact, in order, once; what neither side printed is a gap of the right size at the right place', () => {
  const got = new Map<number, Piece[]>();
  const events: EventBody[] = [];
  let next = 1;
  const sink: TapSink = {
    newConn: () => next++,
    chunk: (conn, dir, data) => {
      assert.equal(dir, 'c2s');
      got.set(conn, [...(got.get(conn) ?? []), Buffer.from(data)]);
    },
    event: (ev) => {
      events.push(ev);
      if (ev.kind === 'gap' && ev.conn !== undefined) got.set(ev.conn, [...(got.get(ev.conn) ?? []), ev.bytes ?? -1]);
    },
  };
  const asm = new TraceAssembler(sink, { tgidOf: (t) => t, pathKind: () => 'other', commOf: () => undefined });
  for (const rec of parse()) asm.record(rec);
  asm.finish();
  const opens = events.filter((e) => e.kind === 'open');
  assert.deepEqual(
    opens.map((o) => String(o.from).replace(/\d+/g, 'N')),
    ['pipe:[N]', 'UNIX-STREAM:[N->N]', 'UNIX-STREAM:[N->N]'],
  );
  // The writer's calls printed at least as much as the reader's: the stream is what they printed.
  const want = (name: 'pipe' | 'sock' | 'mmsg') => CALLS[name].flatMap((call) => call.flatMap(printed));
  assertPieces(got.get(opens[0]!.conn!)!, want('pipe'), 'pipe');
  assertPieces(got.get(opens[1]!.conn!)!, want('sock'), 'socketpair, sendmsg');
  assertPieces(got.get(opens[2]!.conn!)!, want('mmsg'), 'socketpair, sendmmsg');
  const gaps = events.filter((e) => e.kind === 'gap');
  assert.deepEqual(
    gaps.map((g) => [g.conn, g.bytes, g.message]),
    opens.flatMap((o) => [
      [o.conn, 200, '200 bytes not captured (longer than strace printed)'],
      [o.conn, 200, '200 bytes not captured (longer than strace printed)'],
    ]),
  );
});

test('hex decoding: every byte value, upper- and lower-case digits, escapes split across chunks anywhere, any alignment', () => {
  const bytes = Buffer.from([...Array(256).keys(), ...Array(256).keys()].reverse().concat([7, 0, 255]));
  const lower = [...bytes].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('');
  for (const text of [lower, lower.toUpperCase().replaceAll('\\X', '\\x')]) {
    assert.ok(Buffer.from(unhex(text)).equals(bytes));
    for (let pad = 0; pad < 4; pad++) {
      const at = Buffer.from(' '.repeat(pad) + text, 'latin1').subarray(pad);
      assert.ok(Buffer.from(unhexBytes(at)).equals(bytes), `aligned +${pad}`);
      for (const cut of [1, 2, 3, 5, 4 * 100 + 2]) {
        const parts = [at.subarray(0, cut), at.subarray(cut, cut + 7), at.subarray(cut + 7)];
        assert.ok(Buffer.from(unhexBytes(parts)).equals(bytes), `+${pad}, cut at ${cut}`);
      }
    }
  }
  assert.equal(unhexBytes([]).length, 0);
});

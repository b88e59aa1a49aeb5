// gRPC over HTTP/2 (decoder `grpc`): messages reassembled across DATA frames, compression,
// trailers and Trailers-Only, pairing, non-gRPC streams, limits, split invariance, fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { grpcDecoder, percentDecode } from '../../../extension/engine/decoders/http2/grpc';
import { PREFACE } from '../../../extension/engine/decoders/http2/frame-types';
import { assertSplitInvariant, fuzz, hex, run, type Script } from '../../helpers/splits-fuzz';
import { REQ_HEADERS, TRAILERS, VEC_C2S, VEC_S2C, cat, h2frame, literalBlock } from '../../helpers/http2-fixtures';

const d = (f: { decoded: unknown }) => f.decoded as Record<string, any>;

function grpcMsg(body: Uint8Array, compressed = false): Uint8Array {
  const b = new Uint8Array(5 + body.length);
  b[0] = compressed ? 1 : 0;
  new DataView(b.buffer).setUint32(1, body.length);
  b.set(body, 5);
  return b;
}

const reqBlock = (path: string, extra: [string, string][] = []) =>
  literalBlock([[':method', 'POST'], [':scheme', 'http'], [':path', path], [':authority', 'localhost'], ['content-type', 'application/grpc'], ['te', 'trailers'], ...extra]);
const SERVER_START = h2frame(4, 0, 0, '');

test('vectors: messages, headers and trailers of two unary calls', () => {
  const f = run(grpcDecoder, [
    ['c2s', VEC_C2S],
    ['s2c', VEC_S2C],
  ]);
  assert.deepEqual(
    f.filter((x) => x.error),
    [],
  );
  const msgs = f.filter((x) => d(x).kind === 'message');
  assert.equal(msgs.length, 4);
  assert.deepEqual(
    msgs.map((m) => [m.dir, d(m).stream, d(m).path, d(m).dir, d(m).compressed, Buffer.from(m.data.subarray(m.payload!.start, m.payload!.end)).toString('hex')]),
    [
      ['c2s', 1, '/pkg.Svc/Do', 'request', false, '089601'],
      ['c2s', 3, '/pkg.Svc/Do', 'request', false, '089601'],
      ['s2c', 1, '/pkg.Svc/Do', 'response', false, '1001'],
      ['s2c', 3, '/pkg.Svc/Do', 'response', false, '1001'],
    ],
  );
  assert.equal(msgs[0].summary, '/pkg.Svc/Do request #1 3 bytes 1: 150');
  assert.equal(d(msgs[0]).message.fields[0].uint, 150); // schema-less protobuf (decodeProtobuf)
  const trailers = f.filter((x) => d(x).kind === 'trailers');
  assert.equal(trailers.length, 2);
  assert.deepEqual(
    trailers.map((t) => [d(t).stream, d(t).status, d(t).statusName, d(t).message, t.pair?.role]),
    [
      [1, 0, 'OK', 'OK', 'response'],
      [3, 0, 'OK', 'OK', 'response'],
    ],
  );
  assert.deepEqual(d(trailers[0]).headers, TRAILERS);
  assert.equal(trailers[0].summary, '/pkg.Svc/Do trailers s1 status OK: OK');
  const reqs = f.filter((x) => d(x).role === 'request');
  assert.deepEqual(
    reqs.map((r) => r.pair),
    [
      { key: 's1', role: 'request' },
      { key: 's3', role: 'request' },
    ],
  );
  assert.deepEqual(d(reqs[0]).headers, REQ_HEADERS);
  const resp = f.filter((x) => d(x).role === 'response' && d(x).kind === 'headers');
  assert.equal(resp.length, 2);
  assert.ok(resp.every((r) => r.pair === undefined));
});

test('vectors: split invariance (both directions)', () => {
  assertSplitInvariant(grpcDecoder, [
    ['c2s', VEC_C2S],
    ['s2c', VEC_S2C],
  ]);
});

test('messages reassembled across DATA frames; several messages in one DATA frame; decodeMessage hook', () => {
  const m1 = grpcMsg(Buffer.from('a'.repeat(300)));
  const m2 = grpcMsg(hex('0801'));
  const m3 = grpcMsg(hex('0802'));
  const stream = cat(m1, m2, m3);
  const c2s = cat(
    PREFACE,
    h2frame(4, 0, 0, ''),
    h2frame(1, 4, 1, reqBlock('/demo.Chat/Talk')),
    h2frame(0, 0, 1, stream.subarray(0, 3)),
    h2frame(0, 0, 1, stream.subarray(3, 200)),
    h2frame(0, 0, 1, stream.subarray(200, 310)), // completes m1 and part of m2
    h2frame(0, 1, 1, stream.subarray(310)),
  );
  const seen: unknown[] = [];
  const opts = { decodeMessage: (b: Uint8Array, ctx: unknown) => (seen.push(ctx), { decoded: { len: b.length }, summary: `len ${b.length}` }) };
  const f = assertSplitInvariant(grpcDecoder, [['c2s', c2s]], opts);
  const msgs = f.filter((x) => d(x).kind === 'message');
  assert.deepEqual(
    msgs.map((m) => d(m).index),
    [1, 2, 3],
  );
  assert.deepEqual(
    msgs.map((m) => d(m).message),
    [{ len: 300 }, { len: 2 }, { len: 2 }],
  );
  assert.deepEqual(Buffer.from(msgs[0].data).toString('hex'), Buffer.from(m1).toString('hex'));
  assert.deepEqual(seen[0], { path: '/demo.Chat/Talk', dir: 'request' });
  assert.equal(msgs[1].summary, '/demo.Chat/Talk request #2 2 bytes len 2');
});

test('gzip-compressed messages are inflated; a decompression bomb is capped by maxFrame', () => {
  const body = Buffer.from('hello compressed world '.repeat(20));
  const c2s = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/demo.Svc/Zip', [['grpc-encoding', 'gzip']])), h2frame(0, 1, 1, grpcMsg(gzipSync(body), true)));
  const [, , m] = run(grpcDecoder, [['c2s', c2s]]);
  assert.equal(m.error, undefined);
  assert.equal(d(m).compressed, true);
  assert.equal(d(m).encoding, 'gzip');
  assert.equal(Buffer.from(d(m).raw, 'base64').toString(), body.toString());
  assert.match(m.summary, /request #1 460 bytes \(compressed\)/);

  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024)); // ~8 KiB that inflates to 8 MiB
  const c2sBomb = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/demo.Svc/Zip', [['grpc-encoding', 'gzip']])), h2frame(0, 1, 1, grpcMsg(bomb, true)));
  const [, , b] = run(grpcDecoder, [['c2s', c2sBomb]], undefined, { maxFrame: 1024 * 1024 });
  assert.match(b.error!, /gzip message inflates past maxFrame \(1048576 bytes\)/);
  assert.equal(d(b).raw, undefined);
  // Compressed flag without an encoding header, and garbage gzip.
  const c2sBad = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/x.Y/Z')), h2frame(0, 0, 1, grpcMsg(hex('0102'), true)));
  assert.match(run(grpcDecoder, [['c2s', c2sBad]])[2].error!, /compressed but grpc-encoding is identity/);
  const c2sJunk = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/x.Y/Z', [['grpc-encoding', 'gzip']])), h2frame(0, 0, 1, grpcMsg(hex('0102'), true)));
  assert.match(run(grpcDecoder, [['c2s', c2sJunk]])[2].error!, /^gzip: /);
});

test('Trailers-Only error response with a percent-encoded grpc-message', () => {
  const c2s = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/demo.Svc/Get')), h2frame(0, 1, 1, grpcMsg(hex('0801'))));
  const s2c = cat(
    SERVER_START,
    h2frame(
      1,
      5,
      1,
      literalBlock([
        [':status', '200'],
        ['content-type', 'application/grpc'],
        ['grpc-status', '5'],
        ['grpc-message', 'no such key: caf%C3%A9 100%25'],
      ]),
    ),
  );
  const f = run(grpcDecoder, [
    ['c2s', c2s],
    ['s2c', s2c],
  ]);
  const t = f.find((x) => d(x).kind === 'trailers')!;
  assert.equal(d(t).trailersOnly, true);
  assert.equal(d(t).status, 5);
  assert.equal(d(t).statusName, 'NOT_FOUND');
  assert.equal(d(t).message, 'no such key: café 100%');
  assert.equal(t.summary, '/demo.Svc/Get trailers-only s1 status NOT_FOUND: no such key: café 100%');
  assert.deepEqual(t.pair, { key: 's1', role: 'response' });
  assert.equal(percentDecode('a%2'), 'a%2');
  assert.equal(percentDecode('%zz'), '%zz');
});

test('client half-close, truncated messages, oversized messages', () => {
  const c2s = cat(
    PREFACE,
    h2frame(1, 4, 1, reqBlock('/demo.Up/Load')),
    h2frame(0, 0, 1, grpcMsg(hex('0801'))),
    h2frame(0, 1, 1, ''),
    h2frame(1, 4, 3, reqBlock('/demo.Up/Load')),
    h2frame(0, 1, 3, grpcMsg(hex('08010203')).subarray(0, 7)),
    h2frame(1, 4, 5, reqBlock('/demo.Up/Load')),
    h2frame(0, 0, 5, grpcMsg(new Uint8Array(200)).subarray(0, 100)),
    h2frame(0, 0, 5, cat(grpcMsg(new Uint8Array(200)).subarray(100), grpcMsg(hex('0803')))),
  );
  const f = run(grpcDecoder, [['c2s', c2s]], undefined, { maxFrame: 150 });
  const tail = f.filter((x) => d(x).kind !== 'headers' && d(x).kind !== 'preface');
  assert.equal(tail[0].summary, '/demo.Up/Load request #1 2 bytes 1: 1');
  assert.equal(tail[1].summary, '/demo.Up/Load end of client stream s1');
  assert.match(tail[2].error!, /truncated gRPC message: 7 of 9 bytes when the stream ended/);
  assert.match(tail[3].error!, /gRPC message of 200 bytes exceeds maxFrame \(150\); skipped/);
  assert.equal(tail[4].summary, '/demo.Up/Load request #1 2 bytes 1: 3');
});

test('plain HTTP/2 streams on the grpc decoder render as http2 frames', () => {
  const c2s = cat(
    PREFACE,
    h2frame(
      1,
      5,
      1,
      literalBlock([
        [':method', 'GET'],
        [':path', '/index.html'],
      ]),
    ),
  );
  const s2c = cat(
    SERVER_START,
    h2frame(
      1,
      4,
      1,
      literalBlock([
        [':status', '200'],
        ['content-type', 'text/html'],
      ]),
    ),
    h2frame(0, 1, 1, Uint8Array.from(Buffer.from('<p>hi</p>'))),
  );
  const f = run(grpcDecoder, [
    ['c2s', c2s],
    ['s2c', s2c],
  ]);
  const data = f.find((x) => d(x).kind === 'data')!;
  assert.deepEqual(d(data), { kind: 'data', stream: 1, endStream: true, length: 9, text: '<p>hi</p>' });
  const resp = f.find((x) => d(x).role === 'response')!;
  assert.deepEqual(resp.pair, { key: 's1', role: 'response' });
  assert.equal(resp.summary, 'HEADERS s1 :status 200');
});

test('fuzz: random and mutated gRPC traffic never throws', () => {
  const zipped = cat(PREFACE, h2frame(1, 4, 1, reqBlock('/demo.Svc/Zip', [['grpc-encoding', 'gzip']])), h2frame(0, 1, 1, grpcMsg(gzipSync(Buffer.from('abc'.repeat(50))), true)));
  const seeds: Script[] = [
    [
      ['c2s', VEC_C2S],
      ['s2c', VEC_S2C],
    ],
    [['c2s', zipped]],
  ];
  fuzz(grpcDecoder, seeds, 1500, 23);
});

test('auto picks grpc for both directions, also when the server speaks first', async () => {
  const { resolveDecoder } = await import('../../../extension/engine/decoders/core/registry');
  const dec = resolveDecoder('auto').create();
  const f = [...dec.push('s2c', VEC_S2C.subarray(0, 9)), ...dec.push('c2s', VEC_C2S), ...dec.push('s2c', VEC_S2C.subarray(9)), ...dec.end('c2s'), ...dec.end('s2c')];
  assert.ok(f.every((x) => x.proto === 'grpc'));
  assert.equal(f.filter((x) => d(x).kind === 'message').length, 4);
  assert.equal(f.filter((x) => d(x).kind === 'trailers').length, 2);
});

// HTTP/2 framing (decoder `http2`): the Node http2 / grpc-js capture from PROTOCOLS.md's
// vectors, control frames, CONTINUATION, padding, unknown types, mid-stream starts, limits,
// split invariance and fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http2Decoder, sniffHttp2 } from '../../../extension/engine/decoders/http2/index';
import { PREFACE } from '../../../extension/engine/decoders/http2/frame-types';
import { placeholderName } from '../../../extension/engine/decoders/http2/hpack';
import { assertSplitInvariant, fuzz, hex, run, type Script } from '../../helpers/splits-fuzz';
import { decoderSuite } from '../../helpers/decoder-suite';

import { REQ_HEADERS, RESP_HEADERS, TRAILERS, VEC_C2S, VEC_S2C, cat, h2frame, literalBlock } from '../../helpers/http2-fixtures';

const d = (f: { decoded: unknown }) => f.decoded as Record<string, any>;

test('sniff: client preface yes, prefix more, server SETTINGS yes on s2c only', () => {
  assert.equal(sniffHttp2(PREFACE, 'c2s'), 'yes');
  assert.equal(sniffHttp2(PREFACE.subarray(0, 5), 'c2s'), 'more');
  assert.equal(sniffHttp2(hex('474554202f'), 'c2s'), 'no');
  assert.equal(sniffHttp2(hex('000000040000000000'), 's2c'), 'yes');
  assert.equal(sniffHttp2(hex('000000040000000000'), 'c2s'), 'no');
  assert.equal(sniffHttp2(hex('000006'), 's2c'), 'more');
  assert.equal(sniffHttp2(hex('000005040000000000'), 's2c'), 'no');
  assert.equal(sniffHttp2(hex('ff00'), 's2c'), 'no');
});

test('vectors: grpc-js capture decodes frame by frame', () => {
  const f = run(http2Decoder, [
    ['c2s', VEC_C2S],
    ['s2c', VEC_S2C],
  ]);
  const c2s = f.filter((x) => x.dir === 'c2s');
  const s2c = f.filter((x) => x.dir === 's2c');
  assert.equal(
    f.filter((x) => x.error).length,
    0,
    f
      .filter((x) => x.error)
      .map((x) => x.error)
      .join('; '),
  );
  assert.deepEqual(
    c2s.map((x) => d(x).kind),
    ['preface', 'settings', 'headers', 'data', 'settings', 'headers', 'data', 'goaway', 'goaway'],
  );
  assert.deepEqual(d(c2s[2]).headers, REQ_HEADERS);
  assert.deepEqual(d(c2s[5]).headers, REQ_HEADERS); // dynamic-table references c0 be bf
  assert.equal(d(c2s[5]).stream, 3);
  assert.equal(c2s[2].summary, 'HEADERS s1 POST /pkg.Svc/Do');
  assert.deepEqual(c2s[2].pair, { key: 's1', role: 'request' });
  assert.deepEqual(d(c2s[3]), { kind: 'data', stream: 1, endStream: true, length: 8 });
  assert.deepEqual(Buffer.from(c2s[3].data.subarray(c2s[3].payload!.start, c2s[3].payload!.end)).toString('hex'), '0000000003089601');
  assert.equal(c2s[1].summary, 'SETTINGS (defaults)');
  assert.equal(c2s[4].summary, 'SETTINGS ACK');
  assert.deepEqual(d(c2s[7]), { kind: 'goaway', lastStream: 0, error: 'NO_ERROR', code: 0, debug: '' });
  assert.deepEqual(
    s2c.map((x) => d(x).kind),
    ['settings', 'settings', 'headers', 'data', 'headers', 'headers', 'data', 'headers', 'goaway', 'goaway'],
  );
  assert.deepEqual(d(s2c[2]).headers, RESP_HEADERS);
  assert.deepEqual(s2c[2].pair, { key: 's1', role: 'response' });
  assert.deepEqual(d(s2c[4]).headers, TRAILERS);
  assert.equal(d(s2c[4]).role, 'trailers');
  assert.equal(d(s2c[4]).endStream, true);
  assert.deepEqual(d(s2c[5]).headers, RESP_HEADERS); // 88 c1 c0
  assert.deepEqual(d(s2c[7]).headers, TRAILERS); // bf be
  assert.equal(s2c[8].summary, 'GOAWAY last=3 NO_ERROR');
});

test('vectors: whole, byte-by-byte and random splits agree', () => {
  assertSplitInvariant(http2Decoder, [
    ['c2s', VEC_C2S],
    ['s2c', VEC_S2C],
  ]);
});

test('control frames have readable summaries', () => {
  const s2c = cat(
    h2frame(4, 0, 0, '000300000064 000400010000 0005 00004000'.replace(/ /g, '')),
    h2frame(6, 0, 0, '0102030405060708'),
    h2frame(6, 1, 0, '0102030405060708'),
    h2frame(8, 0, 0, '00010000'),
    h2frame(8, 0, 5, '00000400'),
    h2frame(3, 0, 5, '00000008'),
    h2frame(2, 0, 7, '8000000310'),
    h2frame(7, 0, 0, cat(hex('00000009 0000000b'.replace(/ /g, '')), Buffer.from('slow down'))),
    h2frame(0xbb, 0x3, 9, 'deadbeef'),
  );
  const f = run(http2Decoder, [['s2c', s2c]]);
  assert.deepEqual(
    f.map((x) => x.summary),
    [
      'SETTINGS MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16384',
      'PING 0102030405060708',
      'PING ACK 0102030405060708',
      'WINDOW_UPDATE s0 +65536',
      'WINDOW_UPDATE s5 +1024',
      'RST_STREAM s5 CANCEL',
      'PRIORITY s7 on s3 weight 17',
      'GOAWAY last=9 ENHANCE_YOUR_CALM "slow down"',
      'UNKNOWN_0xbb s9 len=4 (unknown type, skipped)',
    ],
  );
  assert.deepEqual(d(f[0]).settings, { MAX_CONCURRENT_STREAMS: 100, INITIAL_WINDOW_SIZE: 65536, MAX_FRAME_SIZE: 16384 });
  assert.deepEqual(d(f[6]), { kind: 'priority', stream: 7, dependsOn: 3, exclusive: true, weight: 17 });
  assert.ok(f.every((x) => !x.error));
  // Malformed control payloads are error frames that keep their bytes.
  const bad = run(http2Decoder, [['s2c', cat(h2frame(4, 0, 0, ''), h2frame(4, 0, 0, '0001'), h2frame(6, 0, 0, '01'))]]);
  assert.match(bad[1].error!, /multiple of 6/);
  assert.match(bad[2].error!, /PING payload of 1 bytes/);
  assert.equal(bad[2].data.length, 10);
});

test('a header block across CONTINUATION frames, with padding and priority', () => {
  const block = literalBlock([
    [':method', 'GET'],
    [':path', '/a/long/path'],
    ['user-agent', 'x'.repeat(50)],
  ]);
  const p1 = block.subarray(0, 7);
  const p2 = block.subarray(7, 30);
  const p3 = block.subarray(30);
  // HEADERS with PADDED|PRIORITY: pad length 3, 5 priority bytes, fragment, 3 zero bytes.
  const headersPayload = cat(hex('03 00000000 0f'.replace(/ /g, '')), p1, hex('000000'));
  const c2s = cat(
    PREFACE,
    h2frame(1, 0x08 | 0x20, 1, headersPayload),
    h2frame(9, 0, 1, p2),
    h2frame(9, 0x04, 1, p3),
    h2frame(0, 0x08 | 0x01, 1, cat(hex('02'), Buffer.from('hi'), hex('0000'))),
  );
  const f = assertSplitInvariant(http2Decoder, [['c2s', c2s]]);
  assert.equal(f.length, 3);
  assert.deepEqual(d(f[1]).headers, [
    [':method', 'GET'],
    [':path', '/a/long/path'],
    ['user-agent', 'x'.repeat(50)],
  ]);
  assert.equal(f[1].data.length, 9 * 3 + headersPayload.length + p2.length + p3.length); // all three frames
  assert.deepEqual(d(f[2]), { kind: 'data', stream: 1, endStream: true, length: 2, padding: 2, text: 'hi' });
  // A CONTINUATION without its HEADERS and a block interrupted by another frame are errors.
  const g = run(http2Decoder, [['c2s', cat(PREFACE, h2frame(9, 4, 1, p2), h2frame(1, 0, 3, p1), h2frame(6, 0, 0, '0000000000000000'), h2frame(1, 5, 5, hex('82')))]]);
  assert.match(g[1].error!, /CONTINUATION s1 without its HEADERS/);
  assert.match(g[2].error!, /interrupted by PING/);
  assert.equal(g[3].summary, 'PING 0000000000000000');
  assert.equal(g[4].summary, 'HEADERS s5 GET ? END_STREAM');
});

test('mid-stream capture: skips to a frame boundary, unseen dynamic entries are placeholders', () => {
  // Start 5 bytes into the grpc-js capture after the preface and the first SETTINGS/HEADERS.
  const firstHeadersEnd = 24 + 9 + 9 + 50;
  const c2s = VEC_C2S.subarray(firstHeadersEnd - 20); // inside HEADERS s1's block
  const f = run(http2Decoder, [['c2s', c2s]]);
  assert.match(f[0].error!, /skipped 20 bytes/);
  const h3 = f.find((x) => d(x).kind === 'headers')!;
  assert.equal(d(h3).stream, 3);
  const names = (d(h3).headers as string[][]).map((h) => h[0]);
  // 83 04.. c0 86 bf be: :authority, content-type and te were inserted by the block we missed.
  assert.deepEqual(names, [':method', ':path', placeholderName(64), ':scheme', placeholderName(63), placeholderName(62)]);
  assert.ok(d(h3).notes.some((n: string) => /not seen \(inserted before the capture began\)/.test(n)));
  assert.equal(f.filter((x) => d(x).kind === 'goaway').length, 2);
});

test('frames larger than maxFrame are skipped without buffering them', () => {
  const big = h2frame(0, 0, 1, new Uint8Array(5000));
  const f = run(http2Decoder, [['c2s', cat(PREFACE, big, h2frame(6, 0, 0, '0000000000000001'))]], undefined, { maxFrame: 1000 });
  assert.match(f[1].error!, /DATA frame of 5000 bytes exceeds maxFrame \(1000\); not decoded/);
  assert.equal(f[1].data.length, 9);
  // The body is handed on in maxFrame pieces (never buffered whole, nothing lost).
  assert.deepEqual(
    f.slice(2, 7).map((x) => [d(x).kind, x.data.length]),
    Array(5).fill(['skipped', 1000]),
  );
  assert.equal(f[7].summary, 'PING 0000000000000001');
});

test('truncated input at end is an error frame with the bytes', () => {
  const f = run(http2Decoder, [['c2s', VEC_C2S.subarray(0, 24 + 9 + 9 + 20)]]);
  const last = f[f.length - 1];
  assert.match(last.error!, /truncated frame: 29 bytes/);
  assert.equal(last.data.length, 29);
  const p = run(http2Decoder, [['c2s', PREFACE.subarray(0, 10)]]);
  assert.match(p[0].error!, /truncated HTTP\/2 client preface/);
});

test('fuzz: random and mutated inputs never throw', () => {
  const seeds: Script[] = [
    [
      ['c2s', VEC_C2S],
      ['s2c', VEC_S2C],
    ],
    [['s2c', VEC_S2C]],
  ];
  fuzz(http2Decoder, seeds, 1500, 11);
});

decoderSuite({
  decoder: http2Decoder,
  vectors: [
    {
      name: 'grpc-js capture',
      input: [
        ['c2s', VEC_C2S],
        ['s2c', VEC_S2C],
      ],
    },
    { name: 'server side only', input: [['s2c', VEC_S2C]] },
  ],
});

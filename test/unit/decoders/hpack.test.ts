// HPACK: RFC 7541 Appendix C examples (with and without Huffman, dynamic table after each),
// integer edge cases, the Huffman table itself, mid-stream placeholders, and junk input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, placeholderName } from '../../../extension/engine/decoders/http2/hpack';
import { encodeInt, readInt, readString } from '../../../extension/engine/decoders/http2/hpack-primitives';
import { huffmanDecode, huffmanEncode } from '../../../extension/engine/decoders/http2/huffman';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from '../../../extension/engine/decoders/http2/huffman-table';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

test('Huffman table: 257 codes forming a complete prefix code', () => {
  assert.equal(HUFFMAN_CODES.length, 257);
  let kraft = 0n; // sum of 2^(30 - len) must be exactly 2^30
  for (let i = 0; i < 257; i++) {
    assert.ok(HUFFMAN_LENGTHS[i] >= 5 && HUFFMAN_LENGTHS[i] <= 30, `length of ${i}`);
    assert.ok(HUFFMAN_CODES[i] < 2 ** HUFFMAN_LENGTHS[i], `code of ${i} fits its length`);
    kraft += 1n << BigInt(30 - HUFFMAN_LENGTHS[i]);
  }
  assert.equal(kraft, 1n << 30n);
  // Spot checks against RFC 7541 Appendix B rows.
  assert.deepEqual([HUFFMAN_CODES[47], HUFFMAN_LENGTHS[47]], [0x18, 6]); // '/'
  assert.deepEqual([HUFFMAN_CODES[256], HUFFMAN_LENGTHS[256]], [0x3fffffff, 30]); // EOS
  assert.deepEqual([HUFFMAN_CODES[220], HUFFMAN_LENGTHS[220]], [0xffffffd, 28]);
});

test('Huffman: RFC 7541 C.4 / C.6 strings', () => {
  const cases: [string, string][] = [
    ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
    ['a8eb 1064 9cbf', 'no-cache'],
    ['25a8 49e9 5ba9 7d7f', 'custom-key'],
    ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
    ['6402', '302'],
    ['aec3 771a 4b', 'private'],
    ['d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3', 'https://www.example.com'],
    ['640e ff', '307'],
    ['9bd9 ab', 'gzip'],
    [
      '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    ],
  ];
  for (const [h, s] of cases) {
    const r = huffmanDecode(hex(h));
    assert.equal(r.error, undefined, s);
    assert.equal(Buffer.from(r.bytes!).toString('latin1'), s);
    assert.deepEqual(huffmanEncode(text(s)), hex(h), `encode ${s}`);
  }
});

test('Huffman: every byte value round-trips; bad padding and EOS are errors', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(huffmanDecode(huffmanEncode(all)).bytes, all);
  assert.deepEqual(huffmanDecode(new Uint8Array(0)).bytes, new Uint8Array(0));
  // '0' is 00000 (5 bits); padding 000 is not a prefix of EOS.
  assert.match(huffmanDecode(hex('00')).error!, /padding/);
  // 8+ bits of 1s as padding.
  assert.match(huffmanDecode(hex('07ff')).error!, /padding|EOS/); // '0' then 11111111 ...
  assert.match(huffmanDecode(hex('ffffffff')).error!, /EOS/);
});

test('integers: RFC 7541 C.1 and edge cases', () => {
  assert.deepEqual(encodeInt(10, 5), [0x0a]);
  assert.deepEqual(encodeInt(1337, 5), [0x1f, 0x9a, 0x0a]);
  assert.deepEqual(encodeInt(42, 8), [0x2a]);
  assert.deepEqual(readInt(hex('1f9a0a'), 0, 5), { value: 1337, next: 3 });
  assert.deepEqual(readInt(hex('e0 1f9a0a'), 1, 5), { value: 1337, next: 4 }); // flag bits ignored
  assert.deepEqual(readInt(hex('1e'), 0, 5), { value: 30, next: 1 }); // 2^N-2 fits the prefix
  assert.deepEqual(readInt(hex('1f00'), 0, 5), { value: 31, next: 2 }); // exactly 2^N-1
  assert.deepEqual(readInt(hex('ff80 8080 00'), 0, 8), { value: 255, next: 5 }); // redundant zeros
  for (const n of [1, 4, 5, 6, 7, 8]) {
    for (const v of [0, 1, 2 ** n - 2, 2 ** n - 1, 2 ** n, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 32]) {
      const enc = Uint8Array.from(encodeInt(v, n));
      assert.deepEqual(readInt(enc, 0, n), { value: v, next: enc.length }, `v=${v} n=${n}`);
    }
  }
  assert.equal(readInt(hex('1f'), 0, 5), 'truncated');
  assert.equal(readInt(hex('1f ff ff'), 0, 5), 'truncated');
  assert.equal(readInt(hex('1f ffffffffffffffffff7f'), 0, 5), 'overflow');
  assert.equal(readInt(new Uint8Array(0), 0, 5), 'truncated');
  assert.match(readString(hex('05 6162'), 0) as string, /runs past/);
});

type Expect = { headers: [string, string][]; table: [string, string, number][]; size: number };

function runSequence(dec: HpackDecoder, blocks: [string, Expect][]): void {
  for (const [h, exp] of blocks) {
    const r = dec.decode(hex(h));
    assert.equal(r.error, undefined);
    assert.equal(r.unverified, false);
    assert.deepEqual(r.headers, exp.headers);
    assert.deepEqual(dec.table(), exp.table);
    assert.equal(dec.tableSize, exp.size);
  }
}

test('RFC 7541 C.2 header field representations', () => {
  const d1 = new HpackDecoder();
  runSequence(d1, [
    ['400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', { headers: [['custom-key', 'custom-header']], table: [['custom-key', 'custom-header', 55]], size: 55 }],
  ]);
  runSequence(new HpackDecoder(), [['040c 2f73 616d 706c 652f 7061 7468', { headers: [[':path', '/sample/path']], table: [], size: 0 }]]);
  const d3 = new HpackDecoder();
  const r3 = d3.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
  assert.deepEqual(r3.headers, [['password', 'secret']]);
  assert.deepEqual(r3.neverIndexed, ['password']);
  assert.equal(d3.tableSize, 0);
  runSequence(new HpackDecoder(), [['82', { headers: [[':method', 'GET']], table: [], size: 0 }]]);
});

const REQ1: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQ2: [string, string][] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const REQ_TABLES: Expect['table'][] = [
  [[':authority', 'www.example.com', 57]],
  [
    ['cache-control', 'no-cache', 53],
    [':authority', 'www.example.com', 57],
  ],
  [
    ['custom-key', 'custom-value', 54],
    ['cache-control', 'no-cache', 53],
    [':authority', 'www.example.com', 57],
  ],
];

test('RFC 7541 C.3 requests without Huffman', () => {
  runSequence(new HpackDecoder(), [
    ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', { headers: REQ1, table: REQ_TABLES[0], size: 57 }],
    ['8286 84be 5808 6e6f 2d63 6163 6865', { headers: REQ2, table: REQ_TABLES[1], size: 110 }],
    ['8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', { headers: REQ3, table: REQ_TABLES[2], size: 164 }],
  ]);
});

test('RFC 7541 C.4 requests with Huffman', () => {
  runSequence(new HpackDecoder(), [
    ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', { headers: REQ1, table: REQ_TABLES[0], size: 57 }],
    ['8286 84be 5886 a8eb 1064 9cbf', { headers: REQ2, table: REQ_TABLES[1], size: 110 }],
    ['8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', { headers: REQ3, table: REQ_TABLES[2], size: 164 }],
  ]);
});

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOC = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESP: Expect[] = [
  {
    headers: [
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', DATE1],
      ['location', LOC],
    ],
    table: [
      ['location', LOC, 63],
      ['date', DATE1, 65],
      ['cache-control', 'private', 52],
      [':status', '302', 42],
    ],
    size: 222,
  },
  {
    headers: [
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', DATE1],
      ['location', LOC],
    ],
    table: [
      [':status', '307', 42],
      ['location', LOC, 63],
      ['date', DATE1, 65],
      ['cache-control', 'private', 52],
    ],
    size: 222,
  },
  {
    headers: [
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', DATE2],
      ['location', LOC],
      ['content-encoding', 'gzip'],
      ['set-cookie', COOKIE],
    ],
    table: [
      ['set-cookie', COOKIE, 98],
      ['content-encoding', 'gzip', 52],
      ['date', DATE2, 65],
    ],
    size: 215,
  },
];

test('RFC 7541 C.5 responses without Huffman (256-byte table, evictions)', () => {
  runSequence(new HpackDecoder({ maxTableSize: 256 }), [
    [
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
       2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      RESP[0],
    ],
    ['4803 3330 37c1 c0bf', RESP[1]],
    [
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
       54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
       5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
      RESP[2],
    ],
  ]);
});

test('RFC 7541 C.6 responses with Huffman (256-byte table, evictions)', () => {
  runSequence(new HpackDecoder({ maxTableSize: 256 }), [
    [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
       2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      RESP[0],
    ],
    ['4883 640e ffc1 c0bf', RESP[1]],
    [
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
       77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
       9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
      RESP[2],
    ],
  ]);
});

test('table size updates evict; an oversized entry empties the table', () => {
  const d = new HpackDecoder();
  d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')); // 57 octets
  const r = d.decode(hex('20 82')); // size update to 0, then :method GET
  assert.deepEqual(r.headers, [[':method', 'GET']]);
  assert.equal(d.tableSize, 0);
  assert.deepEqual(d.table(), []);
  const r2 = d.decode(hex('3f e1 1f')); // size update to 4096 (31 + 4065: e1 1f)
  assert.equal(r2.error, undefined);
  assert.equal(d.maxTableSize, 4096);
  const small = new HpackDecoder({ maxTableSize: 40 });
  small.decode(hex('4001 61 0162')); // a: b = 34 octets: fits
  assert.equal(small.tableSize, 34);
  small.decode(hex('4001 61 0a 30313233343536373839')); // 43 octets > 40: table emptied
  assert.equal(small.tableSize, 0);
});

test('mid-stream: unseen dynamic entries become placeholders, known ones stay exact', () => {
  const d = new HpackDecoder({ fromStart: false });
  const r = d.decode(hex('82 be 7e 03 616263')); // GET, dyn 62 (unseen), literal w/ indexing name = dyn 62
  assert.equal(r.error, undefined);
  assert.deepEqual(r.headers, [
    [':method', 'GET'],
    [placeholderName(62), ''],
    [placeholderName(62), 'abc'],
  ]);
  assert.equal(r.notes.length, 2);
  // The entry just inserted is now index 62 and is known.
  const r2 = d.decode(hex('be'));
  assert.deepEqual(r2.headers, [[placeholderName(62), 'abc']]);
  assert.equal(r2.unverified, false);
  // From the start, a reference past the table is an error, and later lookups are unverified.
  const s = new HpackDecoder();
  const e = s.decode(hex('82 c5 84'));
  assert.match(e.error!, /beyond the dynamic table/);
  assert.deepEqual(e.headers, [[':method', 'GET']]);
  const after = s.decode(hex('c0'));
  assert.equal(after.unverified, true);
  assert.deepEqual(after.headers, [[placeholderName(64), '']]);
  assert.deepEqual(s.decode(hex('84')).headers, [[':path', '/']]); // static lookups still fine
});

test('junk header blocks never throw', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const d = new HpackDecoder();
  for (let i = 0; i < 5000; i++) {
    const len = Math.floor(rnd() * 40);
    const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
    const r = d.decode(b);
    assert.ok(Array.isArray(r.headers));
  }
  assert.ok(d.tableSize <= d.maxTableSize);
});

// ZMTP (decoder `zmtp`): libzmq 4.3 captures from vectors/zmtp_vectors.txt, 3.0 subscriptions,
// PLAIN/CURVE, 2.0 and 1.0 detection, invalid input, size caps, split invariance, fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffZmtp, zmtpDecoder } from '../../../extension/engine/decoders/zmtp/index';
import { assertSplitInvariant, fuzz, hex, run, type Script } from '../../helpers/splits-fuzz';
import { decoderSuite } from '../../helpers/decoder-suite';

const d = (f: { decoded: unknown }) => f.decoded as Record<string, any>;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const cat = (...p: Uint8Array[]) => Uint8Array.from(Buffer.concat(p));

const GREET = (mech: string, asServer = 0, pad = '0000000000000001') =>
  hex('ff' + pad + '7f0301' + Buffer.from(mech.padEnd(20, '\0')).toString('hex') + (asServer ? '01' : '00') + '00'.repeat(31));

// vectors/zmtp_vectors.txt (libzmq 4.3 via pyzmq)
const DEALER_C2S = hex(
  'ff00000000000000057f03014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000042d0552454144590b536f636b65742d54797065000000064445414c4552084964656e7469747900000004636c6931010568656c6c6f0005776f726c6404070450494e47000004070450494e470000',
);
const ROUTER_S2C = hex(
  'ff00000000000000017f03014e554c4c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004290552454144590b536f636b65742d5479706500000006524f55544552084964656e746974790000000000057265706c79040504504f4e47040504504f4e47',
);
const SUB_C2S = hex(
  'ff00000000000000017f03014e554c4c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004190552454144590b536f636b65742d54797065000000035355420' +
    '40d09535542534352494245746f70040a0643414e43454c746f70',
);
const PUB_S2C = hex(
  'ff00000000000000017f03014e554c4c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004190552454144590b536f636b65742d54797065000000035055420106746f7069633100077061796c6f6164',
);

function ready(type: string, identity = ''): Uint8Array {
  const props = Buffer.concat([
    Buffer.from([11]),
    Buffer.from('Socket-Type'),
    u32b(type.length),
    Buffer.from(type),
    Buffer.from([8]),
    Buffer.from('Identity'),
    u32b(identity.length),
    Buffer.from(identity),
  ]);
  return cmd('READY', props);
}
function u32b(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function cmd(name: string, data: Uint8Array): Uint8Array {
  const body = Buffer.concat([Buffer.from([name.length]), Buffer.from(name), data]);
  return cat(Uint8Array.from([0x04, body.length]), body);
}
function part(body: string | Uint8Array, more: boolean): Uint8Array {
  const b = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  return cat(Uint8Array.from([more ? 1 : 0, b.length]), b);
}

test('sniff: FF + 8 bytes + 7F', () => {
  assert.equal(sniffZmtp(DEALER_C2S.subarray(0, 10)), 'yes');
  assert.equal(sniffZmtp(DEALER_C2S.subarray(0, 4)), 'more');
  assert.equal(sniffZmtp(hex('7b22')), 'no');
  assert.equal(sniffZmtp(hex('ff0000000000000000 00'.replace(' ', ''))), 'no');
});

test('vectors: DEALER -> ROUTER', () => {
  const f = run(zmtpDecoder, [
    ['c2s', DEALER_C2S],
    ['s2c', ROUTER_S2C],
  ]);
  assert.deepEqual(
    f.filter((x) => x.error),
    [],
  );
  const c = f.filter((x) => x.dir === 'c2s');
  const s = f.filter((x) => x.dir === 's2c');
  assert.deepEqual(d(c[0]), { kind: 'greeting', version: '3.1', major: 3, minor: 1, mechanism: 'NULL', asServer: false });
  assert.equal(c[0].summary, 'greeting ZMTP 3.1 NULL');
  assert.equal(c[0].data.length, 64);
  assert.deepEqual(d(c[1]), { kind: 'command', name: 'READY', properties: { 'Socket-Type': 'DEALER', Identity: 'cli1' } });
  assert.equal(c[1].summary, 'READY Socket-Type=DEALER Identity=cli1');
  assert.deepEqual(d(c[2]), { kind: 'message', parts: [b64('hello'), b64('world')], text: ['hello', 'world'] });
  assert.equal(c[2].summary, 'DEALER message [2 parts] "hello" | "world"');
  assert.deepEqual(c[2].ranges, [
    { path: '/parts/0', start: 2, end: 7 },
    { path: '/parts/1', start: 9, end: 14 },
  ]);
  assert.deepEqual(d(c[3]), { kind: 'command', name: 'PING', ttl: 0, context: '' });
  assert.equal(c.length, 5);
  assert.deepEqual(d(s[1]).properties, { 'Socket-Type': 'ROUTER', Identity: '' });
  assert.deepEqual(d(s[2]).parts, [b64('reply')]);
  assert.deepEqual(
    s.slice(3).map((x) => x.summary),
    ['PONG', 'PONG'],
  );
});

test('vectors: SUB -> PUB (3.1 SUBSCRIBE/CANCEL commands, topic message)', () => {
  const f = assertSplitInvariant(zmtpDecoder, [
    ['c2s', SUB_C2S],
    ['s2c', PUB_S2C],
  ]);
  const c = f.filter((x) => x.dir === 'c2s');
  assert.deepEqual(d(c[2]), { kind: 'command', name: 'SUBSCRIBE', topic: 'top', topicBase64: b64('top') });
  assert.equal(c[2].summary, 'SUBSCRIBE "top"');
  assert.equal(c[3].summary, 'CANCEL "top"');
  const m = f.find((x) => d(x).kind === 'message')!;
  assert.equal(m.dir, 's2c');
  assert.deepEqual(d(m).text, ['topic1', 'payload']);
});

test('vectors: split invariance DEALER/ROUTER, greeting sent in pieces', () => {
  assertSplitInvariant(zmtpDecoder, [
    ['c2s', DEALER_C2S],
    ['s2c', ROUTER_S2C],
  ]);
  // libzmq sends 10 bytes, then 1, then the rest: same frames as whole.
  const script: Script = [
    ['c2s', DEALER_C2S.subarray(0, 10)],
    ['s2c', ROUTER_S2C.subarray(0, 10)],
    ['c2s', DEALER_C2S.subarray(10, 11)],
    ['s2c', ROUTER_S2C.subarray(10)],
    ['c2s', DEALER_C2S.subarray(11)],
  ];
  const f = run(zmtpDecoder, script);
  assert.equal(f.filter((x) => d(x).kind === 'greeting').length, 2);
  assert.equal(f.filter((x) => x.error).length, 0);
});

test('3.0-style subscriptions from a SUB socket; REQ/REP delimiter and pairing', () => {
  const c2s = cat(GREET('NULL'), ready('SUB'), part(Uint8Array.from([1, ...Buffer.from('news')]), false), part(Uint8Array.from([0]), false), part(Uint8Array.from([1]), false));
  const f = run(zmtpDecoder, [['c2s', c2s]]);
  assert.deepEqual(d(f[2]), { kind: 'subscribe', topic: 'news', topicBase64: b64('news') });
  assert.equal(f[2].summary, 'SUBSCRIBE "news" (3.0 message)');
  assert.deepEqual(d(f[3]), { kind: 'cancel', topic: '', topicBase64: '' });
  assert.equal(f[4].summary, 'SUBSCRIBE (all) (3.0 message)');

  const req = cat(GREET('NULL'), ready('REQ'), part('', true), part('ping?', false), part('', true), part('again', false));
  const rep = cat(GREET('NULL', 1), ready('REP'), part('', true), part('pong!', false));
  const g = run(zmtpDecoder, [
    ['c2s', req],
    ['s2c', rep],
  ]);
  const msgs = g.filter((x) => d(x).kind === 'message');
  assert.deepEqual(d(msgs[0]), { kind: 'message', parts: ['', b64('ping?')], text: ['', 'ping?'], delimiter: 0 });
  assert.equal(msgs[0].summary, 'REQ message [2 parts] "ping?"');
  assert.deepEqual(
    msgs.map((m) => m.pair),
    [
      { key: 'req1', role: 'request' },
      { key: 'req2', role: 'request' },
      { key: 'req1', role: 'response' },
    ],
  );
  assert.equal(g.find((x) => x.dir === 's2c')!.summary, 'greeting ZMTP 3.1 NULL as-server');

  // ROUTER side sees the routing id before the delimiter.
  const router = cat(GREET('NULL'), ready('ROUTER'), part(hex('00800041a7'), true), part('', true), part('job', false));
  const r = run(zmtpDecoder, [['s2c', router]]);
  assert.equal(r[2].summary, 'ROUTER message [3 parts] [0x00800041a7] "job"');
  assert.equal(d(r[2]).delimiter, 1);
});

test('PLAIN HELLO credentials are masked in decoded and summary, data stays as sent; CURVE is marked encrypted', () => {
  const hello = cmd('HELLO', Uint8Array.from([5, ...Buffer.from('admin'), 6, ...Buffer.from('s3cret')]));
  const f = run(zmtpDecoder, [['c2s', cat(GREET('PLAIN'), hello, cmd('INITIATE', ready('DEALER').subarray(8)))]]);
  const h = f[1];
  assert.deepEqual(d(h), { kind: 'command', name: 'HELLO', username: '•••• (5 bytes)', password: '•••• (6 bytes)', masked: ['username', 'password'] });
  assert.ok(!h.summary.includes('s3cret'));
  assert.ok(!JSON.stringify(h.decoded).includes('s3cret'));
  assert.equal(h.data.length, hello.length); // data stays the bytes as sent
  assert.equal(f[0].summary, 'greeting ZMTP 3.1 PLAIN');
  const c = run(zmtpDecoder, [
    ['c2s', cat(GREET('CURVE'), cmd('HELLO', new Uint8Array(194)), cmd('MESSAGE', new Uint8Array(40)), cmd('ERROR', Uint8Array.from([3, ...Buffer.from('bad')])))],
  ]);
  assert.deepEqual(d(c[1]), { kind: 'command', name: 'HELLO', encrypted: true, length: 194 });
  assert.equal(c[2].summary, 'CURVE MESSAGE (encrypted, 40 bytes)');
  assert.equal(c[3].summary, 'ERROR "bad"');
});

test('invalid flags: error frame keeps the bytes, the rest is raw', () => {
  const f = run(zmtpDecoder, [['c2s', cat(GREET('NULL'), part('a', true), hex('0703 414243'), part('x', false))]]);
  assert.match(f[1].error!, /message interrupted by invalid frame/);
  assert.match(f[2].error!, /invalid ZMTP frame flags 0x07/);
  assert.equal(f[2].data.length, 5 + 3);
  const g = run(zmtpDecoder, [['c2s', cat(GREET('NULL'), hex('2001'))]]);
  assert.match(g[1].error!, /flags 0x20/);
});

test('huge LONG sizes are capped by maxFrame and skipped without allocation', () => {
  const huge = hex('02 4000000000000000 41'.replace(/ /g, '')); // 2^62 bytes announced
  const f = run(zmtpDecoder, [['c2s', cat(GREET('NULL'), huge)]]);
  assert.match(f[1].error!, /message part of 4611686018427387904 bytes exceeds maxFrame/);
  assert.match(f[2].error!, /truncated frame: 1 bytes/); // the body never came: nothing buffered beyond it
  // Skipping keeps the stream in sync when the body does arrive.
  const big = cat(hex('03 0000000000000100'.replace(/ /g, '')), new Uint8Array(256), part('tail', false), part('next', false));
  const g = run(zmtpDecoder, [['c2s', cat(GREET('NULL'), part('head', true), big)]], undefined, { maxFrame: 100 });
  assert.match(g[1].error!, /message dropped/);
  assert.match(g[2].error!, /message part of 256 bytes exceeds maxFrame \(100\)/);
  assert.deepEqual(
    g.slice(3, 6).map((x) => [d(x).kind, x.data.length]),
    [
      ['skipped', 100],
      ['skipped', 100],
      ['skipped', 56],
    ],
  );
  assert.equal(g[6].summary, 'part of a dropped message (4 bytes, not decoded)'); // 'tail' ended the dropped message
  assert.deepEqual(d(g[7]).text, ['next']);
});

test('ZMTP 2.0 is decoded (identity, flags), 1.0 is detected and shown raw', () => {
  const v2 = cat(hex('ff00000000000000017f 01 05'.replace(/ /g, '')), part('', false), part('a', true), part('b', false));
  const f = run(zmtpDecoder, [['c2s', v2]]);
  assert.equal(f[0].summary, 'greeting ZMTP 2.0 DEALER');
  assert.equal(d(f[1]).kind, 'identity');
  assert.deepEqual(d(f[2]).text, ['a', 'b']);
  const v1 = run(zmtpDecoder, [['c2s', hex('0600 6869')]]);
  assert.equal(d(v1[0]).version, '1.0');
  assert.equal(d(v1[1]).kind, 'raw');
  assert.equal(v1[1].data.length, 4);
});

test('incomplete message or greeting at end of stream', () => {
  const f = run(zmtpDecoder, [['c2s', cat(GREET('NULL'), part('a', true), hex('0005 6162'))]]);
  assert.match(f[1].error!, /incomplete message: 1 part/);
  assert.match(f[2].error!, /truncated frame: 4 bytes/);
  const g = run(zmtpDecoder, [['c2s', GREET('NULL').subarray(0, 30)]]);
  assert.match(g[0].error!, /truncated greeting: 30 bytes/);
});

test('fuzz: random and mutated ZMTP never throws', () => {
  fuzz(
    zmtpDecoder,
    [
      [
        ['c2s', DEALER_C2S],
        ['s2c', ROUTER_S2C],
      ],
      [
        ['c2s', SUB_C2S],
        ['s2c', PUB_S2C],
      ],
    ],
    2000,
    5,
  );
});

decoderSuite({
  decoder: zmtpDecoder,
  vectors: [
    {
      name: 'DEALER/ROUTER',
      input: [
        ['c2s', DEALER_C2S],
        ['s2c', ROUTER_S2C],
      ],
    },
    {
      name: 'SUB/PUB',
      input: [
        ['c2s', SUB_C2S],
        ['s2c', PUB_S2C],
      ],
    },
    { name: 'PLAIN', input: [['c2s', cat(GREET('PLAIN'), cmd('HELLO', Uint8Array.from([1, 97, 2, 98, 99])), part('x', true), part('y', false))]] },
  ],
});

test('auto picks zmtp from the signature', async () => {
  const { resolveDecoder } = await import('../../../extension/engine/decoders/core/registry');
  const dec = resolveDecoder('auto').create();
  const f = [...dec.push('s2c', PUB_S2C.subarray(0, 5)), ...dec.push('s2c', PUB_S2C.subarray(5)), ...dec.end('s2c')];
  assert.deepEqual(
    f.map((x) => x.proto),
    ['zmtp', 'zmtp', 'zmtp'],
  );
  assert.deepEqual(d(f[2]).text, ['topic1', 'payload']);
});

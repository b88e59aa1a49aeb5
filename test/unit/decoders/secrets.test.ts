// Secrets on the wire are masked in decoded values and summaries unless showSecrets is set
// (extension/engine/protocols/secrets.ts); the frame bytes stay as sent. Real captures:
// - ZMQ_PLAIN_*: pyzmq 4.3 REQ (plain_username admin, plain_password s3cret-pass) and REP
//   (plain_server, ZAP accepting it) over loopback TCP, one request;
// - GRPC_META_*: grpc-js unary demo.Calc/Echo with metadata authorization, cookie,
//   x-auth-token-bin, x-trace-bin, x-request-id; the server answers with set-cookie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zmtpDecoder } from '../../../extension/engine/decoders/zmtp/index';
import { grpcDecoder } from '../../../extension/engine/decoders/http2/grpc';
import { http2Decoder } from '../../../extension/engine/decoders/http2/index';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { isSecretHeader, masked } from '../../../extension/engine/decoders/core/secrets';
import { hex, run } from '../../helpers/splits-fuzz';
import type { Frame } from '../../../extension/engine/types';

const d = (f: { decoded: unknown }) => f.decoded as Record<string, any>;

const ZMQ_PLAIN_C2S = hex(
  'ff00000000000000017f0301504c41494e000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004180548454c4c4f0561646d696e0b73' +
    '33637265742d70617373042908494e4954494154450b536f636b65742d5479706500000003524551084964656e74697479000000000100000470696e67',
);
const ZMQ_PLAIN_S2C = hex(
  'ff00000000000000017f0301504c41494e000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004080757454c434f4d45041905524541' +
    '44590b536f636b65742d547970650000000352455001000009706f6e673a70696e67',
);
const GRPC_META_C2S = hex(
  '505249202a20485454502f322e300d0a0d0a534d0d0a0d0a00000604000000000000040000ffff0000000401000000000000c1010400000001418b089d5c0b8170dc69d0085f83048b6242d275ef0e82' +
    '3180939f861f088cba51d85b1449faac38c811331f118d41a4809418b525621cfd4c559d408cf2b0ed4ceb24fd4b52d19aaf8787664bf761e18b4088f2b26c190ab466ab0443516b3d4089f2b585ed69' +
    '50958d2784b0bd960f408e9acac8b0c842d6958b510f21aa9b903485a9264fafa90b2d03497ea6f66aff50863485a9264faf7a8e9acac8b54790ab7443015c2d2eef5f8b1d75d0620d263d4c4d656440' +
    '027465864d833505b11f00000900010000000100000000040a02686900000807000000000000000000000000000000080700000000000000000000000000',
);
const GRPC_META_S2C = hex(
  '000000040000000000000000040100000000000077010400000001885f901d75d0620d263d4c4d6564ff75d8749f408e9acac8b0c842d6958b510f21aa9b903485a9264fafa90b2d03497ea6f66aff40' +
    '8a9acac8b16a21e435537f863485a9264faf0f289541a48116775905420c7a96685f6a634a6bd5551ebf6196dd6d5f4a01c52f948a080271403571a76e09d53168df00000d0000000000010000000008' +
    '0a0268691000220000001a01050000000140889acac8b21234da8f013040899acac8b5254207317f024f4b00000807000000000000000001000000000000080700000000000000000100000000',
);

const SECRETS = ['admin', 's3cret-pass', 'tok-abc123', 'client-cookie-7', 'srv-session-42', 'AQIDBAUG'];

/** Every secret of the captures that shows in a decoded value or summary. */
function leaked(frames: Frame[]): string[] {
  const shown = frames.map((f) => JSON.stringify(f.decoded) + '\n' + f.summary).join('\n');
  return SECRETS.filter((s) => (s === 'admin' ? /"admin"|user=admin|user="admin"/.test(shown) : shown.includes(s)));
}

test('ZMTP PLAIN HELLO (pyzmq capture): username and password masked with their sizes; the bytes stay as sent', () => {
  const f = run(zmtpDecoder, [
    ['c2s', ZMQ_PLAIN_C2S],
    ['s2c', ZMQ_PLAIN_S2C],
  ]);
  const hello = f.find((x) => d(x).name === 'HELLO')!;
  assert.deepEqual(d(hello), { kind: 'command', name: 'HELLO', username: masked(5), password: masked(11), masked: ['username', 'password'] });
  assert.equal(hello.summary, 'PLAIN HELLO user=•••• (5 bytes) password=•••• (11 bytes)');
  assert.ok(Buffer.from(hello.data).includes('s3cret-pass'), 'the frame bytes are the capture');
  assert.deepEqual(leaked(f), []);
  assert.ok(f.some((x) => x.summary.includes('WELCOME')));
  assert.equal(f.filter((x) => x.error).length, 0);
});

test('ZMTP PLAIN HELLO with showSecrets: username and password as sent', () => {
  const f = run(zmtpDecoder, [['c2s', ZMQ_PLAIN_C2S]], undefined, { showSecrets: true });
  const hello = f.find((x) => d(x).name === 'HELLO')!;
  assert.deepEqual(d(hello), { kind: 'command', name: 'HELLO', username: 'admin', password: 's3cret-pass' });
  assert.equal(hello.summary, 'PLAIN HELLO user="admin" password="s3cret-pass"');
});

test('gRPC metadata (grpc-js capture): authorization, cookie, set-cookie and x-auth-token-bin masked; other metadata shown', () => {
  for (const info of [grpcDecoder, http2Decoder, resolveDecoder('auto')]) {
    const f = run(info, [
      ['c2s', GRPC_META_C2S],
      ['s2c', GRPC_META_S2C],
    ]);
    assert.deepEqual(leaked(f), [], info.name);
    const req = f.find((x) => d(x).kind === 'headers' && d(x).role === 'request')!;
    const h = Object.fromEntries(d(req).headers as [string, string][]);
    assert.equal(h.authorization, masked(Buffer.byteLength('Bearer tok-abc123')), info.name);
    assert.equal(h.cookie, masked(Buffer.byteLength('sid=client-cookie-7')));
    assert.equal(h['x-auth-token-bin'], masked(8)); // base64 of 6 bytes, as sent
    assert.equal(h['x-trace-bin'], 'CQk=');
    assert.equal(h['x-request-id'], 'req-1');
    assert.equal(h[':path'], '/demo.Calc/Echo');
    assert.deepEqual(d(req).masked, ['authorization', 'cookie', 'x-auth-token-bin']);
    const resp = f.find((x) => d(x).kind === 'headers' && (d(x).headers as [string, string][]).some(([k]) => k === 'set-cookie'))!;
    assert.equal(Object.fromEntries(d(resp).headers)['set-cookie'], masked(Buffer.byteLength('sid=srv-session-42; HttpOnly')));
    assert.ok(Buffer.from(GRPC_META_C2S).includes(Buffer.from(req.data)), 'the header frame holds the bytes as sent');
    assert.equal(f.filter((x) => x.error).length, 0, info.name);
  }
});

test('gRPC metadata with showSecrets: values as sent', () => {
  const f = run(
    grpcDecoder,
    [
      ['c2s', GRPC_META_C2S],
      ['s2c', GRPC_META_S2C],
    ],
    undefined,
    { showSecrets: true },
  );
  const req = f.find((x) => d(x).kind === 'headers' && d(x).role === 'request')!;
  const h = Object.fromEntries(d(req).headers as [string, string][]);
  assert.equal(h.authorization, 'Bearer tok-abc123');
  assert.equal(h['x-auth-token-bin'], 'AQIDBAUG');
  assert.equal(d(req).masked, undefined);
});

test('which header names are secrets', () => {
  for (const n of [
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'set-cookie',
    'x-auth-token',
    'x-api-key',
    'api_key',
    'x-session-id-bin',
    'my-secret-bin',
    'x-credentials',
    'password',
  ])
    assert.ok(isSecretHeader(n), n);
  for (const n of [':authority', 'authority', 'content-type', 'grpc-trace-bin', 'grpc-status-details-bin', 'x-request-id', 'user-agent', 'x-tokenizer', 'keyboard'])
    assert.ok(!isSecretHeader(n), n);
});

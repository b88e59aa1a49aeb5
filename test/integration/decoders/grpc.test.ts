// gRPC decoder against real grpc-js peers (@grpc/grpc-js + @grpc/proto-loader): unary,
// server-streaming, client-streaming and bidi calls, one call with gzip compression, one ending
// in an error status; over TCP (127.0.0.1, through a tcp proxy tap) and a Unix socket (the
// server's socket taken over in place by a unix tap), so the peers talk through the real taps.
// The messages and statuses the client saw must equal the decoded ones (typed with the .proto).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { grpcDecoder } from '../../../extension/engine/decoders/http2/grpc';
import type { Frame } from '../../../extension/engine/types';
import { JsonProcess } from '../../helpers/json-process';
import { decodeRecorded } from '../../helpers/recording-relay';
import { recordThroughTap, tapPort, type TapRecorder } from '../../helpers/tap-recorder';

const DIR = resolve(__dirname, '../../fixtures/node/grpc');
const PROTO = join(DIR, 'demo.proto');
const d = (f: Frame) => f.decoded as Record<string, any>;

interface Call {
  call: string;
  path: string;
  requests: unknown[];
  responses: unknown[];
  status: number;
  details: string;
  gzip?: boolean;
}

interface DecodedCall {
  conn: number;
  stream: number;
  path?: string;
  requests: Frame[];
  responses: Frame[];
  request?: Frame;
  trailers?: Frame;
}

async function capture(transport: 'tcp' | 'unix') {
  const tmp = mkdtempSync(join(tmpdir(), 'ipctap-grpc-'));
  const serverPath = join(tmp, 'server.sock');
  const server = new JsonProcess(process.execPath, [join(DIR, 'server.mjs'), transport === 'tcp' ? '127.0.0.1:0' : `unix:${serverPath}`]);
  let client: JsonProcess | undefined;
  let rec: TapRecorder | undefined;
  try {
    const { listening } = await server.line<{ listening: number | string }>((o) => 'listening' in o);
    // Unix: take over the socket the server bound (renamed aside, the tap's in its place), so the
    // client connects to the server's own path. TCP: a proxy tap in front of the server's port.
    rec = await recordThroughTap(typeof listening === 'number' ? `tcp:0=127.0.0.1:${listening}` : `unix:${listening}`);
    client = new JsonProcess(process.execPath, [join(DIR, 'client.mjs'), typeof listening === 'number' ? `127.0.0.1:${tapPort(rec.tap)}` : `unix:${listening}`]);
    await client.line((o) => o.done === true);
    assert.equal(await client.exited, 0, client.stderr.join(''));
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    if (transport === 'unix') assert.ok(existsSync(serverPath), 'the taken-over socket is back in place');
    return { calls: client.lines.filter((o) => (o as Call).call) as Call[], conns: decodeRecorded(grpcDecoder, chunks, { protoFiles: [PROTO] }) };
  } finally {
    if (rec) await rec.stop();
    await client?.kill();
    await server.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function streams(conns: Map<number, Frame[]>): DecodedCall[] {
  const out = new Map<string, DecodedCall>();
  for (const [conn, frames] of conns) {
    for (const f of frames) {
      const dec = d(f);
      if (typeof dec.stream !== 'number' || dec.stream === 0 || !['message', 'headers', 'trailers'].includes(dec.kind)) continue;
      const key = `${conn}/${dec.stream}`;
      let s = out.get(key);
      if (!s) out.set(key, (s = { conn, stream: dec.stream, requests: [], responses: [] }));
      if (dec.kind === 'message') (dec.dir === 'request' ? s.requests : s.responses).push(f);
      else if (dec.role === 'request') {
        s.request = f;
        s.path = dec.path;
      } else if (dec.kind === 'trailers') s.trailers = f;
    }
  }
  return [...out.values()];
}

for (const transport of ['tcp', 'unix'] as const) {
  test(`grpc ${transport}: every call's messages and status match what grpc-js saw`, async () => {
    const { calls, conns } = await capture(transport);
    assert.equal(calls.length, 6);
    const all = [...conns.values()].flat();
    assert.deepEqual(
      all.filter((f) => f.error).map((f) => f.error),
      [],
    );
    assert.equal(conns.size, 2); // the gzip call has its own channel
    // nghttp2 (Node's http2 under grpc-js) uses Huffman strings and the dynamic table: all decoded.
    assert.ok(all.filter((f) => d(f).kind === 'headers' || d(f).kind === 'trailers').every((f) => !d(f).unverified && !d(f).notes));
    const decoded = streams(conns);
    for (const call of calls) {
      const matches = decoded.filter((s) => s.path === call.path);
      const s = matches.find((m) =>
        isDeepEqual(
          m.requests.map((f) => d(f).message),
          call.requests,
        ),
      );
      assert.ok(
        s,
        `${call.call}: no decoded stream with requests ${JSON.stringify(call.requests)}; decoded: ${JSON.stringify(matches.map((m) => m.requests.map((f) => d(f).message)))}`,
      );
      assert.deepEqual(
        s.responses.map((f) => d(f).message),
        call.responses,
        `${call.call} responses`,
      );
      assert.ok(s.trailers, `${call.call}: no trailers`);
      assert.equal(d(s.trailers).status, call.status, `${call.call} status`);
      if (call.status !== 0) assert.equal(d(s.trailers).message, call.details);
      assert.equal(d(s.trailers).statusName, call.status === 0 ? 'OK' : 'NOT_FOUND');
      // Request headers pair with the call's end.
      assert.deepEqual(s.request?.pair, { key: `s${s.stream}`, role: 'request' });
      assert.deepEqual(s.trailers.pair, { key: `s${s.stream}`, role: 'response' });
      for (const f of [...s.requests, ...s.responses]) {
        assert.equal(d(f).compressed, call.gzip === true && d(f).dir === 'request', `${call.call} compressed flag`);
        assert.equal(d(f).path, call.path);
      }
      if (call.gzip) {
        const req = s.requests[0];
        assert.equal(d(req).encoding, 'gzip');
        assert.ok(req.data.length < Buffer.from(d(req).raw, 'base64').length, 'gzip message is smaller on the wire');
      }
    }
    const fail = decoded.find((s) => s.path === '/demo.Calc/Fail')!;
    assert.match(fail.trailers!.summary, /^\/demo\.Calc\/Fail trailers(-only)? s\d+ status NOT_FOUND: no such note: café 100% \(missing\)$/);
  });
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

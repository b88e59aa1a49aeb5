// A real Go net/rpc server and client (gob over TCP, gob after the HTTP CONNECT handshake, and
// net/rpc/jsonrpc) talk through the engine's real TCP proxy tap on 127.0.0.1, which records every
// chunk; the decoded requests and responses must match what the client says it sent and got,
// paired by seq, with replies out of order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DecoderInfo } from '../../../extension/engine/decoders/core/decoder';
import { jsonrpc1Decoder } from '../../../extension/engine/decoders/jsonrpc/jsonrpc1';
import { netrpcDecoder } from '../../../extension/engine/decoders/netrpc';
import type { Frame } from '../../../extension/engine/types';
import { parseJsonExact } from '../../../extension/engine/util/json';
import { goBinary } from '../../helpers/go';
import { recordThroughTap, tapPort, type TappedChunk, type TapRecorder } from '../../helpers/tap-recorder';
import { compareGoJson } from '../../helpers/gob-compare';

interface CallRecord {
  seq: number;
  method: string;
  args: unknown;
  reply: unknown;
  error: string;
}

async function session(mode: 'tcp' | 'http' | 'jsonrpc'): Promise<{ chunks: TappedChunk[]; calls: CallRecord[] }> {
  const server = spawn(goBinary('rpcserver'), [mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-netrpc-'));
  let rec: TapRecorder | undefined;
  try {
    const addr = await new Promise<string>((resolve, reject) => {
      server.on('error', reject);
      server.on('exit', (c) => reject(new Error(`rpcserver exited (${c})`)));
      createInterface({ input: server.stdout! }).once('line', resolve);
    });
    rec = await recordThroughTap(`tcp:0=127.0.0.1:${Number(addr.split(':')[1])}`);
    const out = join(dir, 'calls.jsonl');
    const port = tapPort(rec.tap);
    await new Promise<void>((resolve, reject) =>
      execFile(goBinary('rpcclient'), [mode, `127.0.0.1:${port}`, out], { timeout: 20000 }, (err, _o, stderr) =>
        err ? reject(new Error(`rpcclient: ${err.message} ${stderr}`)) : resolve(),
      ),
    );
    await rec.idle();
    const chunks = rec.chunks;
    await rec.stop();
    rec = undefined;
    const calls = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseJsonExact(l) as CallRecord);
    return { chunks, calls };
  } finally {
    if (rec) await rec.stop();
    // The server exits when its stdin closes; killed if it has not within 5 s.
    server.stdin!.end();
    if (server.exitCode === null && server.signalCode === null)
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          server.kill('SIGKILL');
          r();
        }, 5000);
        server.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    rmSync(dir, { recursive: true, force: true });
  }
}

function decode(info: DecoderInfo, chunks: TappedChunk[]): Frame[] {
  assert.ok(chunks.length > 0);
  assert.ok(
    chunks.every((c) => c.conn === 1),
    'one connection',
  );
  const dec = info.create();
  const out: Frame[] = [];
  for (const c of chunks) out.push(...dec.push(c.dir, c.data));
  out.push(...dec.end('c2s'), ...dec.end('s2c'));
  return out;
}

type Call = { kind: string; serviceMethod: string; seq: unknown; args?: unknown; reply?: unknown; error?: unknown };

function check(frames: Frame[], calls: CallRecord[]): void {
  assert.deepEqual(
    frames.filter((f) => f.error).map((f) => `${f.summary}: ${f.error}`),
    [],
  );
  assert.equal(calls.length, 12);
  const reqs = frames.filter((f) => (f.decoded as Call | null)?.kind === 'request');
  const resps = frames.filter((f) => (f.decoded as Call | null)?.kind === 'response');
  assert.equal(reqs.length, calls.length);
  assert.equal(resps.length, calls.length);
  for (const call of calls) {
    const req = reqs.find((f) => (f.decoded as Call).seq === call.seq);
    const resp = resps.find((f) => (f.decoded as Call).seq === call.seq);
    assert.ok(req && resp, `frames for seq ${call.seq}`);
    const rq = req.decoded as Call;
    const rs = resp.decoded as Call;
    assert.equal(rq.serviceMethod, call.method);
    assert.deepEqual(compareGoJson(rq.args, call.args).diffs, [], `args of #${call.seq} ${call.method}`);
    assert.equal(req.dir, 'c2s');
    assert.equal(resp.dir, 's2c');
    assert.deepEqual(req.pair, { key: `seq:${call.seq}`, role: 'request' });
    assert.deepEqual(resp.pair, { key: `seq:${call.seq}`, role: 'response' });
    assert.equal(rs.serviceMethod, call.method);
    // the client's error text is the server's, except for errors the client makes itself
    assert.equal(rs.error, call.error, `error of #${call.seq}`);
    if (call.error) {
      assert.equal(rs.reply, null);
      assert.match(resp.summary, new RegExp(`#${call.seq} error: `));
    } else assert.deepEqual(compareGoJson(rs.reply, call.reply).diffs, [], `reply of #${call.seq} ${call.method}`);
  }
  // the failing calls are the ones the client saw fail
  assert.deepEqual(
    calls.filter((c) => c.error).map((c) => [c.method, c.error]),
    [
      ['Arith.Divide', 'divide by zero'],
      ['Arith.Nope', "rpc: can't find method Arith.Nope"],
      ['Nope.X', "rpc: can't find service Nope.X"],
    ],
  );
  // replies to the concurrent slow calls came back out of order, and were still paired
  const order = resps.map((f) => (f.decoded as Call).seq);
  assert.deepEqual(order.slice(-4), [11, 10, 9, 8]);
  // integers past 2^53 stay exact
  assert.equal((reqs[1]!.decoded as Call).seq, 1);
  assert.equal((resps[1]!.decoded as Call).reply, 1152921504606846976n);
}

test('net/rpc over TCP (gob codec): requests and replies decoded and paired by seq', async () => {
  const { chunks, calls } = await session('tcp');
  const frames = decode(netrpcDecoder, chunks);
  check(frames, calls);
  assert.equal(netrpcDecoder.sniff!(Buffer.concat(chunks.filter((c) => c.dir === 'c2s').map((c) => c.data)), 'c2s'), 'yes');
  // every captured byte is in exactly one frame
  for (const dir of ['c2s', 's2c'] as const) {
    const sent = Buffer.concat(chunks.filter((c) => c.dir === dir).map((c) => c.data));
    assert.equal(Buffer.concat(frames.filter((f) => f.dir === dir).map((f) => f.data)).compare(sent), 0);
  }
  const describe = frames.find((f) => (f.decoded as Call).kind === 'response' && (f.decoded as Call).serviceMethod === 'Arith.Describe')!;
  assert.equal((describe.decoded as { reply: { At: string } }).reply.At, '2024-05-06T07:08:09.000000123+01:00');
});

test('net/rpc over HTTP (CONNECT /_goRPC_): the handshake frames, then the same calls', async () => {
  const { chunks, calls } = await session('http');
  const frames = decode(netrpcDecoder, chunks);
  const first = frames.find((f) => f.dir === 'c2s')!;
  const answer = frames.find((f) => f.dir === 's2c')!;
  assert.deepEqual(first.decoded, { kind: 'connect', method: 'CONNECT', path: '/_goRPC_', proto: 'HTTP/1.0' });
  assert.deepEqual(answer.decoded, { kind: 'connected', proto: 'HTTP/1.0', status: 200, text: '200 Connected to Go RPC' });
  check(frames, calls);
});

test('net/rpc/jsonrpc: the same calls through the jsonrpc1 decoder', async () => {
  const { chunks, calls } = await session('jsonrpc');
  assert.equal(jsonrpc1Decoder.sniff!(chunks.find((c) => c.dir === 'c2s')!.data, 'c2s'), 'yes');
  check(decode(jsonrpc1Decoder, chunks), calls);
});

// `ipctap send` of a typed protobuf message outside gRPC: a real peer speaking length-prefixed
// protobuf over a Unix socket (test/fixtures/node/lenproto, protobufjs) is captured through a
// proxy tap and read as len32be+protobuf with --proto and --proto-type; a request is edited by
// its field names (an exact 64-bit integer among them) and sent to the server, whose answer is
// the one for the edited fields. Unedited, the value encodes to the very bytes captured.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { cliEnv, LiveCli, readRows, runCli } from '../../helpers/cli';

const DIR = join(__dirname, '../../fixtures/node/lenproto');
const PEER = join(DIR, 'peer.cjs');
const PROTO = join(DIR, 'calc.proto');
const TYPED = ['-d', 'len32be+protobuf', '--proto', PROTO, '--proto-type', 'calc.Envelope'];
const env = cliEnv();
const capture = join(env.dir, 'calc.ipctap');
const sock = join(env.dir, 'calc.sock');
let server: ChildProcess;
let rows: Record<string, unknown>[] = [];

before(async () => {
  server = spawn(process.execPath, [PEER, 'server', sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res));
  const proxy = join(env.dir, 'proxy.sock');
  const live = new LiveCli(['proxy', '--json', '-w', capture, '-d', 'len32be+protobuf', '--tap', `unix:${proxy}=${sock}`], env.env);
  try {
    await live.waitFor((r) => r.kind === 'tap-ready');
    const c = spawnSync(process.execPath, [PEER, 'client', proxy], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /"result":"42","text":"mul\(6,7\)"/);
  } finally {
    await live.stop();
  }
  rows = await readRows(capture, TYPED, env.env);
});
after(() => {
  server?.kill();
  env.cleanup();
});

interface SendResult {
  bytes: string;
  responses: { result: string; original: { decoded: Record<string, unknown> } | null; now: { decoded: Record<string, unknown> } | null }[];
}

const mul = () => rows.find((r) => r.type === 'frame' && r.dir === 'c2s' && (r.decoded as { op?: string } | null)?.op === 'mul')!;

test('a typed request edited by field names (an exact 64-bit integer): the server answers the edited fields', async () => {
  const call = mul();
  assert.deepEqual(call.decoded, { op: 'mul', a: 6, b: 7, result: 0, text: '', tags: [] }, 'the capture reads typed');
  // (2^53 + 1: not a double)
  const value = '{"op":"mul","a":9007199254740993,"b":3,"result":0,"text":"","tags":["typed"]}';
  const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `unix:${sock}`, ...TYPED, '--value', value, '--json'], { env: env.env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const res = JSON.parse(r.stdout) as SendResult;
  const changed = res.responses.filter((x) => x.result !== 'same');
  assert.equal(changed.length, 1, r.stdout);
  assert.equal(changed[0]!.original!.decoded.text, 'mul(6,7)');
  // (27021597764222979 is past 2^53: the JSON holds it exactly)
  assert.match(r.stdout, /"result":27021597764222979,"text":"mul\(9007199254740993,3\)","tags":\["typed","seen"\]/);
});

test('the typed value unedited encodes to the captured bytes, and the answers are the same (exit 0)', async () => {
  const call = mul();
  const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `unix:${sock}`, ...TYPED, '--value', JSON.stringify(call.decoded), '--json'], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as SendResult).bytes, call.data);
});

test('typed editing errors: a field the type does not have; a typed value without the type', async () => {
  const call = mul();
  const unknown = await runCli(['send', capture, '--frame', String(call.id), '--to', `unix:${sock}`, ...TYPED, '--value', '{"op":"mul","x":1}'], { env: env.env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Envelope has no field "x" \(fields: op, a, b, result, text, tags\)/);
  const untyped = await runCli(['send', capture, '--frame', String(call.id), '--to', `unix:${sock}`, '-d', 'len32be+protobuf', '--value', '{"op":"mul"}'], { env: env.env });
  assert.equal(untyped.code, 2);
  assert.match(untyped.stderr, /by field names with the type that decodes it \(--proto FILE --proto-type pkg\.Msg\)/);
});

// `ipctap send` of gRPC calls to the real grpc-js server (test/fixtures/node/grpc): a request
// message larger than HTTP/2's initial flow-control window (the server's WINDOW_UPDATEs let it
// through; its answer, as large, comes back through ours), and streaming calls — the edited
// message sent with the call's other captured request messages, in order, and every answer until
// the trailers compared with the captured ones.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { cliEnv, LiveCli, readRows, runCli } from '../../helpers/cli';

const DIR = join(__dirname, '../../fixtures/node/grpc');
const PROTO = join(DIR, 'demo.proto');
const env = cliEnv();
const capture = join(env.dir, 'grpc.ipctap');
let server: ChildProcess;
let port = 0;
let rows: Record<string, unknown>[] = [];

before(async () => {
  server = spawn(process.execPath, [join(DIR, 'server.mjs'), '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = JSON.parse(await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res))).listening as number;
  const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:0=127.0.0.1:${port}`], env.env);
  try {
    const ready = await live.waitFor((r) => r.kind === 'tap-ready');
    const c = spawnSync(process.execPath, [join(DIR, 'client.mjs'), `127.0.0.1:${String(ready.address).split(':').pop()}`], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
  } finally {
    await live.stop();
  }
  rows = await readRows(capture, ['--proto', PROTO], env.env);
});
after(() => {
  server?.kill();
  env.cleanup();
});

interface Decoded {
  kind: string;
  path?: string;
  dir?: string;
  index?: number;
  compressed?: boolean;
  message?: Record<string, unknown>;
  statusName?: string;
}
interface SendResult {
  sent: number;
  responses: { result: string; original: { decoded: Decoded } | null; now: { decoded: Decoded } | null }[];
}

const requestOf = (method: string, index = 1) =>
  rows.find((r) => {
    const d = r.decoded as Decoded | null;
    return r.type === 'frame' && d?.kind === 'message' && d.path === `/demo.Calc/${method}` && d.dir === 'request' && d.index === index && !d.compressed;
  })!;

async function send(frame: Record<string, unknown>, message: Record<string, unknown>): Promise<{ code: number | null; res: SendResult; stdout: string; stderr: string }> {
  // (through a file: a large message does not fit the command line)
  const file = join(env.dir, 'value.json');
  writeFileSync(file, JSON.stringify({ ...(frame.decoded as Decoded), message }));
  const r = await runCli(['send', capture, '--frame', String(frame.id), '--to', `tcp:127.0.0.1:${port}`, '--proto', PROTO, '--value-file', file, '--json'], { env: env.env });
  assert.ok(r.stdout.trim(), r.stderr);
  return { code: r.code, res: JSON.parse(r.stdout) as SendResult, stdout: r.stdout, stderr: r.stderr };
}

const answers = (res: SendResult) => res.responses.filter((x) => x.now?.decoded.kind === 'message').map((x) => x.now!.decoded.message!);
const status = (res: SendResult) => res.responses.find((x) => x.now?.decoded.kind === 'trailers')?.now?.decoded.statusName;

test('a unary request of 200 KiB (beyond the 64 KiB initial window): sent within the server’s windows, the 200 KiB echo received', async () => {
  const call = requestOf('Echo');
  const blob = Buffer.alloc(200 * 1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
  const { code, res, stderr } = await send(call, { text: 'big', id: '1', tags: [], blob: blob.toString('base64') });
  assert.equal(code, 3, stderr);
  assert.equal(res.sent, 1);
  const [echo] = answers(res);
  assert.equal(echo!.text, 'echo: big');
  assert.equal(Buffer.from(String(echo!.blob), 'base64').equals(blob), true, 'the server echoed every byte of the blob');
  assert.equal(status(res), 'OK');
});

test('client streaming (Sum): the second of four numbers edited, the others sent as captured; the new total', async () => {
  const second = requestOf('Sum', 2);
  assert.deepEqual((second.decoded as Decoded).message, { value: 20 });
  const { code, res } = await send(second, { value: 50000 });
  assert.equal(code, 3);
  assert.equal(res.sent, 4);
  assert.deepEqual(answers(res), [{ sum: 54301, count: 4 }]);
  assert.deepEqual(res.responses.find((x) => x.now?.decoded.kind === 'message')!.original!.decoded.message, { sum: 4321, count: 4 });
  assert.equal(status(res), 'OK');
});

test('server streaming (Count): n edited, every streamed answer collected until the trailers', async () => {
  const call = requestOf('Count');
  const { code, res } = await send(call, { n: 7, prefix: 'x' });
  assert.equal(code, 3);
  assert.deepEqual(
    answers(res).map((m) => m.text),
    ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'],
  );
  assert.equal(status(res), 'OK');
  const unedited = await send(call, (call.decoded as Decoded).message!);
  assert.equal(unedited.code, 0, `the unedited request answers as captured: ${unedited.stdout}`);
});

test('bidi streaming (Chat): the last of three notes edited, a 100 KiB text; the acks in order', async () => {
  const third = requestOf('Chat', 3);
  const text = 'é'.repeat(50 * 1024);
  const { code, res, stderr } = await send(third, { text, id: '3', tags: [], blob: '' });
  assert.equal(code, 3, stderr);
  assert.equal(res.sent, 3);
  assert.deepEqual(
    answers(res).map((m) => m.text),
    ['ack one', 'ack two', `ack ${text}`],
  );
  assert.deepEqual(
    res.responses.map((x) => x.result),
    ['same', 'same', 'differs', 'same'],
    'the first two acks and the trailers as captured',
  );
});

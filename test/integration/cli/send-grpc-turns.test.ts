// `ipctap send` of a bidi gRPC call captured as a conversation in turns, to real grpc-js peers
// (test/fixtures/node/grpc/turns-*.mjs): the turns server answers each message 100 ms after it
// arrives with how many the call has received by then, so a call whose messages all come at once
// reads "turn K after 4" and one sent in turns "turn K after K". The request messages go paced on
// the server's answers as captured; a server that stops answering leaves the rest unsent, said in
// a note, within --timeout.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { after, before, test } from 'node:test';
import { cliEnv, LiveCli, readRows, runCli } from '../../helpers/cli';

const DIR = join(__dirname, '../../fixtures/node/grpc');
const PROTO = join(DIR, 'demo.proto');
const env = cliEnv();
const servers: ChildProcess[] = [];
/** Captures of a 4-turn call: in turns, and with every message sent at once. */
const captures = { turns: join(env.dir, 'turns.ipctap'), atOnce: join(env.dir, 'at-once.ipctap') };
let port = 0;

async function startServer(...args: string[]): Promise<{ port: number; lines: Interface }> {
  const s = spawn(process.execPath, [join(DIR, 'turns-server.mjs'), '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(s);
  const lines = createInterface({ input: s.stdout! });
  const first = await new Promise<string>((res) => lines.once('line', res));
  return { port: JSON.parse(first).listening as number, lines };
}

async function captureCall(file: string, ...clientArgs: string[]): Promise<string[]> {
  const live = new LiveCli(['proxy', '--json', '-w', file, '--tap', `tcp:0=127.0.0.1:${port}`], env.env);
  let out = '';
  try {
    const ready = await live.waitFor((r) => r.kind === 'tap-ready');
    const c = spawn(process.execPath, [join(DIR, 'turns-client.mjs'), `127.0.0.1:${String(ready.address).split(':').pop()}`, '4', ...clientArgs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    c.stdout!.on('data', (d) => (out += d));
    assert.equal(await new Promise((res) => c.on('close', res)), 0);
  } finally {
    await live.stop();
  }
  return (JSON.parse(out) as { answers: string[] }).answers;
}

before(async () => {
  port = (await startServer()).port;
  assert.deepEqual(
    await captureCall(captures.turns),
    [1, 2, 3, 4].map((k) => `turn ${k} after ${k} messages: m${k}`),
  );
  assert.deepEqual(
    await captureCall(captures.atOnce, '--at-once'),
    [1, 2, 3, 4].map((k) => `turn ${k} after 4 messages: m${k}`),
  );
});
after(() => {
  for (const s of servers) s.kill();
  env.cleanup();
});

interface Decoded {
  kind: string;
  dir?: string;
  index?: number;
  message?: Record<string, unknown>;
  statusName?: string;
}
interface SendResult {
  sent: number;
  responses: { result: string; now: { decoded: Decoded } | null }[];
}

async function firstRequest(capture: string): Promise<Record<string, unknown>> {
  const rows = await readRows(capture, ['--proto', PROTO], env.env);
  return rows.find((r) => {
    const d = r.decoded as Decoded | null;
    return r.type === 'frame' && d?.kind === 'message' && d.dir === 'request' && d.index === 1;
  })!;
}

async function send(capture: string, to: number, text: string, ...args: string[]) {
  const frame = await firstRequest(capture);
  const file = join(env.dir, 'value.json');
  writeFileSync(file, JSON.stringify({ ...(frame.decoded as Decoded), message: { text, id: '1', tags: [], blob: '' } }));
  const started = Date.now();
  const r = await runCli(['send', capture, '--frame', String(frame.id), '--to', `tcp:127.0.0.1:${to}`, '--proto', PROTO, '--value-file', file, '--json', ...args], {
    env: env.env,
  });
  assert.ok(r.stdout.trim(), r.stderr);
  const res = JSON.parse(r.stdout) as SendResult;
  const answers = res.responses.filter((x) => x.now?.decoded.kind === 'message').map((x) => String(x.now!.decoded.message!.text));
  return { code: r.code, stderr: r.stderr, res, answers, ms: Date.now() - started };
}

test('a bidi call captured in turns is sent in turns: each request after the answers it followed', async () => {
  const fresh = await startServer();
  const { code, res, answers, stderr } = await send(captures.turns, fresh.port, 'edited');
  assert.equal(code, 3, stderr);
  assert.equal(res.sent, 4);
  assert.deepEqual(answers, ['turn 1 after 1 messages: edited', 'turn 2 after 2 messages: m2', 'turn 3 after 3 messages: m3', 'turn 4 after 4 messages: m4']);
  assert.deepEqual(
    res.responses.map((x) => x.result),
    ['differs', 'same', 'same', 'same', 'same'],
    'the answers after the edited one and the trailers as captured',
  );
  assert.doesNotMatch(stderr, /not sent|waited/);
});

test('a call whose client sent everything before any answer is sent at once, as captured', async () => {
  const { code, res, answers, stderr } = await send(captures.atOnce, port, 'm1');
  assert.equal(code, 0, `the unedited call answers as captured: ${JSON.stringify(answers)} ${stderr}`);
  assert.equal(res.sent, 4);
  assert.deepEqual(
    answers,
    [1, 2, 3, 4].map((k) => `turn ${k} after 4 messages: m${k}`),
  );
});

test('a server that stops answering: the rest is not sent, a note says which and why, the call is cancelled within --timeout', async () => {
  const silent = await startServer('--answers', '2');
  const cancelled = new Promise((res) => silent.lines.on('line', (l) => JSON.parse(l).cancelled && res(true)));
  const { code, res, answers, stderr, ms } = await send(captures.turns, silent.port, 'edited', '--timeout', '1500');
  assert.equal(code, 3, stderr);
  assert.equal(res.sent, 3);
  assert.deepEqual(answers, ['turn 1 after 1 messages: edited', 'turn 2 after 2 messages: m2']);
  const waited = /ipctap: waited (\d+) ms for the server's answer 3 before sending request 4 \(time limit 1500 ms\); 3 of 4 request messages sent\n/.exec(stderr);
  assert.ok(waited && Number(waited[1]) <= 1500, stderr);
  assert.doesNotMatch(stderr, /timed out after/, 'one note, not two');
  // (the call's 1500 ms, and the command's own start and end, slower on a loaded machine)
  assert.ok(ms < 1500 + 5000, `the command took ${ms} ms`);
  assert.equal(await Promise.race([cancelled, new Promise((res) => setTimeout(() => res(false), 2000))]), true, 'the server saw the call cancelled (RST_STREAM)');
});

test('the edited message is the one left unsent: the text output says so instead of "sent"', async () => {
  const silent = await startServer('--answers', '1');
  const rows = await readRows(captures.turns, ['--proto', PROTO], env.env);
  const third = rows.find((r) => (r.decoded as Decoded | null)?.kind === 'message' && (r.decoded as Decoded).dir === 'request' && (r.decoded as Decoded).index === 3)!;
  const file = join(env.dir, 'third.json');
  writeFileSync(file, JSON.stringify({ ...(third.decoded as Decoded), message: { text: 'edited', id: '3', tags: [], blob: '' } }));
  const r = await runCli(
    ['send', captures.turns, '--frame', String(third.id), '--to', `tcp:127.0.0.1:${silent.port}`, '--proto', PROTO, '--value-file', file, '--timeout', '1000'],
    { env: env.env },
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, new RegExp(`^#${String(third.id)} edited not sent: the new call on a fresh HTTP/2 connection stopped after 2 of its 4 request messages\n`));
  assert.match(r.stderr, /waited \d+ ms for the server's answer 2 before sending request 3 \(time limit 1000 ms\); 2 of 4 request messages sent\n/);
  assert.match(r.stderr, /the edited message, request 3, was not sent/);
});

// `ipctap send` (and the engine's EditSend, as VS Code's Edit and Send… asks it) of a bidi gRPC
// call captured as a conversation in turns, to real grpc-js peers
// (test/fixtures/node/grpc/turns-*.mjs): the turns server answers each message 100 ms after it
// arrives with how many the call has received by then, so a call whose messages all come at once
// reads "turn K after 4" and one sent in turns "turn K after K". The request messages go paced on
// the server's answers as captured; a server that stops answering leaves the rest unsent, said in
// a note, within --timeout; one that ends the call, resets it or dies mid-conversation leaves the
// rest unsent at once, the note saying which.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { after, before, test } from 'node:test';
import { editSendOutcome } from '../../../extension/host/edit-send-outcome';
import * as P from '../../../extension/shared/requests';
import { cliEnv, LiveCli, readRows, runCli } from '../../helpers/cli';
import { ownEngine } from '../../helpers/engine-server';

const DIR = join(__dirname, '../../fixtures/node/grpc');
const PROTO = join(DIR, 'demo.proto');
const env = cliEnv();
const servers: ChildProcess[] = [];
/** Captures of a 4-turn call: in turns, and with every message sent at once. */
const captures = { turns: join(env.dir, 'turns.ipctap'), atOnce: join(env.dir, 'at-once.ipctap') };
let port = 0;

async function startServer(...args: string[]): Promise<{ port: number; lines: Interface; exited: Promise<number | null> }> {
  const s = spawn(process.execPath, [join(DIR, 'turns-server.mjs'), '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(s);
  const exited = new Promise<number | null>((res) => s.on('exit', (code) => res(code)));
  const lines = createInterface({ input: s.stdout! });
  const first = await new Promise<string>((res) => lines.once('line', res));
  return { port: JSON.parse(first).listening as number, lines, exited };
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
  total: number;
  editedSent: boolean;
  responses: { result: string; now: { decoded: Decoded } | null }[];
}

/** The call's request message `index` (from 1) in the capture. */
async function request(capture: string, index: number): Promise<Record<string, unknown>> {
  const rows = await readRows(capture, ['--proto', PROTO], env.env);
  return rows.find((r) => {
    const d = r.decoded as Decoded | null;
    return r.type === 'frame' && d?.kind === 'message' && d.dir === 'request' && d.index === index;
  })!;
}

/** Request message `index` of the capture with its text edited, as a --value-file. */
async function edited(capture: string, index: number, text: string): Promise<{ id: number; file: string }> {
  const frame = await request(capture, index);
  const file = join(env.dir, `value-${index}.json`);
  writeFileSync(file, JSON.stringify({ ...(frame.decoded as Decoded), message: { text, id: String(index), tags: [], blob: '' } }));
  return { id: frame.id as number, file };
}

/** `ipctap send --json` of the call with request message `index`'s text edited. */
async function sendEdited(capture: string, index: number, to: number, text: string, ...args: string[]) {
  const { id, file } = await edited(capture, index, text);
  const started = Date.now();
  const r = await runCli(['send', capture, '--frame', String(id), '--to', `tcp:127.0.0.1:${to}`, '--proto', PROTO, '--value-file', file, '--json', ...args], {
    env: env.env,
  });
  assert.ok(r.stdout.trim(), r.stderr);
  const res = JSON.parse(r.stdout) as SendResult;
  const answers = res.responses.filter((x) => x.now?.decoded.kind === 'message').map((x) => String(x.now!.decoded.message!.text));
  return { code: r.code, stderr: r.stderr, res, answers, ms: Date.now() - started };
}

/** The RST_STREAMs ipctap sent on the connection captured in `file`, by their error code names. */
async function resetsSent(file: string): Promise<string[]> {
  return (await readRows(file, ['--proto', PROTO], env.env))
    .filter((r) => r.type === 'frame' && r.dir === 'c2s' && (r.decoded as Decoded | null)?.kind === 'rst-stream')
    .map((r) => String((r.decoded as { error?: unknown }).error));
}

const send = (capture: string, to: number, text: string, ...args: string[]) => sendEdited(capture, 1, to, text, ...args);

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
  const wire = join(env.dir, 'silent.ipctap');
  const { code, res, answers, stderr, ms } = await send(captures.turns, silent.port, 'edited', '--timeout', '1500', '-w', wire);
  assert.equal(code, 3, stderr);
  assert.equal(res.sent, 3);
  assert.deepEqual(answers, ['turn 1 after 1 messages: edited', 'turn 2 after 2 messages: m2']);
  const waited = /ipctap: waited (\d+) ms for the server's answer 3 before sending request 4 \(time limit 1500 ms\); 3 of 4 request messages sent\n/.exec(stderr);
  assert.ok(waited && Number(waited[1]) <= 1500, stderr);
  assert.doesNotMatch(stderr, /timed out after/, 'one note, not two');
  // (the call's 1500 ms, and the command's own start and end, slower on a loaded machine)
  assert.ok(ms < 1500 + 5000, `the command took ${ms} ms`);
  assert.deepEqual(await resetsSent(wire), ['CANCEL'], 'the call cancelled on the wire');
  assert.equal(await Promise.race([cancelled, new Promise((res) => setTimeout(() => res(false), 2000))]), true, 'the server saw the call cancelled');
});

test('the edited message is the one left unsent: the text output says so instead of "sent"', async () => {
  const silent = await startServer('--answers', '1');
  const third = await edited(captures.turns, 3, 'edited');
  const r = await runCli(
    ['send', captures.turns, '--frame', String(third.id), '--to', `tcp:127.0.0.1:${silent.port}`, '--proto', PROTO, '--value-file', third.file, '--timeout', '1000'],
    { env: env.env },
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, new RegExp(`^#${third.id} edited not sent: the new call on a fresh HTTP/2 connection stopped after 2 of its 4 request messages\n`));
  assert.match(r.stderr, /waited \d+ ms for the server's answer 2 before sending request 3 \(time limit 1000 ms\); 2 of 4 request messages sent\n/);
  assert.match(r.stderr, /the edited message, request 3, was not sent/);
});

// A server that ends the call, resets it or dies when its answer 3 is due: request 4 (which waits
// for it) is not sent, the note says what the server did, and the command ends then — not at
// --timeout (a minute here, twice runCli's own limit). Nothing is left: no session registered,
// the server that exited gone.
for (const c of [
  { then: 'end', did: 'ends the call (status OK)', why: 'the server ended the call \\(status OK: OK\\)', resets: ['NO_ERROR'] },
  { then: 'error', did: 'ends the call with an error status', why: 'the server ended the call \\(status RESOURCE_EXHAUSTED: no more turns\\)', resets: ['NO_ERROR'] },
  { then: 'reset', did: 'resets the stream', why: 'the server reset the stream \\(RST_STREAM INTERNAL_ERROR\\)', resets: [] },
  { then: 'exit', did: 'exits', why: 'the server closed the connection', resets: [] },
]) {
  test(`a server that ${c.did} mid-conversation: the rest unsent at once, the note says so`, async () => {
    const server = await startServer('--answers', '2', '--then', c.then);
    const wire = join(env.dir, `${c.then}.ipctap`);
    const { code, res, answers, stderr } = await send(captures.turns, server.port, 'edited', '--timeout', '60000', '-w', wire);
    assert.equal(code, 3, stderr);
    assert.deepEqual([res.sent, res.total, res.editedSent], [3, 4, true]);
    assert.deepEqual(answers, ['turn 1 after 1 messages: edited', 'turn 2 after 2 messages: m2']);
    assert.match(stderr, new RegExp(`^ipctap: ${c.why} before its answer 3, so request 4 was not sent; 3 of 4 request messages sent\n$`));
    // (an ended stream is closed with NO_ERROR, never cancelled; a reset or closed one not at all)
    assert.deepEqual(await resetsSent(wire), c.resets, 'the RST_STREAMs ipctap sent');
    assert.deepEqual(readdirSync(join(env.dir, 'run', 'sessions')), [], 'no session left registered');
    if (c.then === 'exit') assert.equal(await server.exited, 0);
  });
}

test('a server that ends the call before the edited message: --json says editedSent false, exit 3', async () => {
  const server = await startServer('--answers', '2', '--then', 'error');
  const { code, res, stderr } = await sendEdited(captures.turns, 4, server.port, 'edited', '--timeout', '60000');
  assert.equal(code, 3, stderr);
  assert.deepEqual([res.sent, res.total, res.editedSent], [3, 4, false]);
  assert.match(stderr, /the server ended the call \(status RESOURCE_EXHAUSTED: no more turns\) before its answer 3, so request 4 was not sent; 3 of 4 request messages sent\n/);
  assert.match(stderr, /the edited message, request 4, was not sent/);
});

test('a server shutting down gracefully (GOAWAY NO_ERROR) mid-conversation finishes the call: every message sent', async () => {
  const server = await startServer('--answers', '2', '--then', 'shutdown');
  const wire = join(env.dir, 'shutdown.ipctap');
  const { code, res, answers, stderr } = await send(captures.turns, server.port, 'edited', '--timeout', '60000', '-w', wire);
  assert.equal(code, 3, stderr);
  assert.deepEqual([res.sent, res.editedSent], [4, true]);
  assert.deepEqual(answers, ['turn 1 after 1 messages: edited', 'turn 2 after 2 messages: m2', 'turn 3 after 3 messages: m3', 'turn 4 after 4 messages: m4']);
  assert.equal(stderr, '', 'no note');
  assert.deepEqual(await resetsSent(wire), []);
});

test('engine EditSend: editedSent says whether the edited message went, the notes why the call stopped', async (t) => {
  const { engine } = await ownEngine(t);
  const opened = await engine.request(P.CaptureOpen, { path: captures.turns, protoFiles: [PROTO] });
  const third = await request(captures.turns, 3);
  const id = third.id as number;
  const prep = await engine.request(P.EditPrepare, { sessionId: opened.id, id });
  const value = JSON.stringify({ ...(JSON.parse(prep.text) as Decoded), message: { text: 'edited', id: '3', tags: [], blob: '' } });
  const editSend = async (...args: string[]) => {
    const server = await startServer('--answers', ...args);
    return engine.request(P.EditSend, { sessionId: opened.id, id, value, target: `tcp:127.0.0.1:${server.port}`, timeoutMs: 60_000 });
  };

  // The server ends the call with its answer 2 due: requests 3 and 4 not sent, the edited one among them.
  const ended = await editSend('1', '--then', 'error');
  assert.deepEqual([ended.sent, ended.total, ended.editedSent], [2, 4, false]);
  assert.deepEqual(ended.notes, [
    'the server ended the call (status RESOURCE_EXHAUSTED: no more turns) before its answer 2, so request 3 was not sent; 2 of 4 request messages sent',
    'the edited message, request 3, was not sent',
  ]);
  const said = editSendOutcome(id, ended);
  assert.ok(said.warning);
  assert.match(
    said.text,
    new RegExp(`^The server stopped before the edited #${id}: 2 of 4 messages sent, the edited one not\\. the server ended the call \\(status RESOURCE_EXHAUSTED`),
  );

  // The server resets the stream with its answer 3 due: the edited request 3 went, request 4 not.
  const reset = await editSend('2', '--then', 'reset');
  assert.deepEqual([reset.sent, reset.total, reset.editedSent], [3, 4, true]);
  assert.deepEqual(reset.notes, ['the server reset the stream (RST_STREAM INTERNAL_ERROR) before its answer 3, so request 4 was not sent; 3 of 4 request messages sent']);
  assert.ok(editSendOutcome(id, reset).warning);
  assert.match(editSendOutcome(id, reset).text, new RegExp(`^Sent the edited #${id}, then the server stopped: 3 of 4 messages sent;`));

  // A server that answers every turn: all sent.
  const all = await editSend('4');
  assert.deepEqual([all.sent, all.total, all.editedSent, all.notes], [4, 4, true, undefined]);
  assert.equal(editSendOutcome(id, all).warning, false);
});

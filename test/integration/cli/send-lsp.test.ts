// `ipctap send … --to exec -- CMD`: a session with the real JSON language server
// (vscode-json-language-server, driven by test/fixtures/node/lsp-client.cjs under `ipctap run`) is
// captured; a request of it is edited and sent to a fresh server started for the send, after the
// session's setup (initialize, initialized, didOpen and the requests before it) — and the
// server's answer to the edited request is the one the edit asks for.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { cliEnv, readRows, runCli } from '../../helpers/cli';

const CLIENT = resolve(__dirname, '../../fixtures/node/lsp-client.cjs');
const SERVER = resolve(__dirname, '../../../node_modules/.bin/vscode-json-language-server');

const env = cliEnv();
after(() => env.cleanup());
const capture = join(env.dir, 'lsp.ipctap');
let rows: Record<string, unknown>[] = [];

before(async () => {
  await promisify(execFile)(process.execPath, [CLIENT, capture], { env: env.env, timeout: 60_000, maxBuffer: 64 << 20 });
  rows = await readRows(capture, [], env.env);
});

const request = (method: string) => rows.find((r) => r.type === 'frame' && r.dir === 'stdin' && (r.decoded as { method?: string } | null)?.method === method)!;

interface SendResult {
  type: string;
  sent: number;
  responses: { result: string; original: { decoded: { result?: unknown } } | null; now: { decoded: { result?: unknown } } | null }[];
}

test('a completion request with another position, sent to a fresh language server after the captured setup: the new answer', async () => {
  const call = request('textDocument/completion');
  const value = call.decoded as { params: { position: { line: number; character: number } } };
  assert.deepEqual(value.params.position, { line: 2, character: 14 }, 'the captured request (a value position: nothing to complete)');
  // At the start of a key, the server offers the keys a JSON document may have.
  const edited = JSON.stringify({ ...value, params: { ...value.params, position: { line: 2, character: 3 } } });
  const written = join(env.dir, 'sent.ipctap');
  const r = await runCli(['send', capture, '--frame', String(call.id), '--to', 'exec', '--value', edited, '--json', '-w', written, '--', SERVER, '--stdio'], { env: env.env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const res = JSON.parse(r.stdout) as SendResult;
  assert.equal(res.type, 'send-result');
  assert.equal(res.sent, 5, 'initialize, initialized, didOpen, documentSymbol, then the edited completion');
  const differs = res.responses.filter((x) => x.result !== 'same');
  assert.equal(differs.length, 1, r.stdout);
  assert.deepEqual(differs[0]!.original!.decoded.result, { items: [], isIncomplete: false });
  const items = (differs[0]!.now!.decoded.result as { items: { label: string }[] }).items;
  assert.ok(
    items.some((i) => i.label === '$schema'),
    `completion at a key offers $schema: ${JSON.stringify(items)}`,
  );
  // The documentSymbol answer on the way was the captured one: the setup reached the new server.
  assert.equal(res.responses.filter((x) => x.result === 'same').length, 2, 'initialize and documentSymbol answered as captured');
  assert.match(r.stderr, /initialize\) sent with processId \d+ \(this process\)/);

  // The exchange written with -w: the server process started, and stopped once its stdin closed.
  const w = (await runCli(['read', written], { env: env.env })).stdout;
  assert.match(w, /spawn pid (\d+): .*vscode-json-language-server --stdio/);
  assert.match(w, /→ in .*textDocument\/completion #2 /);
  assert.match(w, /← out .*textDocument\/completion #2 → \{"items":\[\{.*\$schema/);
  const pid = /spawn pid (\d+)/.exec(w)![1];
  assert.match(w, new RegExp(`exit pid ${pid}: `));
});

test('the same request unedited: every answer as captured (exit 0); the text output', async () => {
  const call = request('textDocument/documentSymbol');
  const r = await runCli(['send', capture, '--frame', String(call.id), '--to', 'exec', '--value', JSON.stringify(call.decoded), '--', SERVER, '--stdio'], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sent connection \d+'s first 4 client frames, #\d+ edited/);
  assert.match(r.stdout, /every answer the same as the original/);
});

test('--to exec: a missing command, a program that is not there, a command with another --to', async () => {
  const call = request('textDocument/documentSymbol');
  const args = ['send', capture, '--frame', String(call.id), '--value', JSON.stringify(call.decoded)];
  const none = await runCli([...args, '--to', 'exec'], { env: env.env });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /--to exec: give the server's command after --/);
  const missing = await runCli([...args, '--to', 'exec', '--', join(env.dir, 'no-such-server'), '--stdio'], { env: env.env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--to exec: no such program: .*no-such-server/);
  const other = await runCli([...args, '--to', 'tcp:127.0.0.1:9', '--', SERVER], { env: env.env });
  assert.equal(other.code, 1);
  assert.match(other.stderr, /a command after -- is only for --to exec/);
});

test('replay --to exec:["SERVER","--stdio"]: the whole session to a fresh server, every answer the same', async () => {
  const conn = rows.find((r) => r.type === 'frame' && r.dir === 'stdin')!.conn;
  const r = await runCli(['replay', capture, '--conn', String(conn), '--to', `exec:${JSON.stringify([SERVER, '--stdio'])}`, '-q'], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sent 8 frames; 5 responses: 5 same, 0 differ, 0 missing/);
});

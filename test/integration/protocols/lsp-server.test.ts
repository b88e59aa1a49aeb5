// A real language server (vscode-json-language-server) driven over real pipes by a small client
// built on vscode-jsonrpc; the bytes that crossed the pipes, chunk by chunk in arrival order, are
// decoded with lsp, jsonrpc and auto and compared with what the client sent and received.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { resolveDecoder } from '../../../extension/engine/protocols/registry';
import type { Direction, Frame } from '../../../extension/engine/types';

const CLIENT = resolve(__dirname, '../../fixtures/node/lsp-client.cjs');

interface Session {
  sent: Record<string, unknown>[];
  received: Record<string, unknown>[];
  chunks: { dir: Direction; data: string }[];
  status: { code: number | null };
}

let session: Promise<Session> | undefined;
function lspSession(): Promise<Session> {
  session ??= promisify(execFile)(process.execPath, [CLIENT], { timeout: 60_000, maxBuffer: 64 << 20 }).then((r) => JSON.parse(r.stdout) as Session);
  return session;
}

function decode(name: string, s: Session): Frame[] {
  const dec = resolveDecoder(name).create();
  const frames: Frame[] = [];
  for (const c of s.chunks) frames.push(...dec.push(c.dir, Buffer.from(c.data, 'base64')));
  frames.push(...dec.end('c2s'), ...dec.end('s2c'));
  return frames;
}

test('real language server: the session ran (server exited 0 after shutdown/exit)', async () => {
  const s = await lspSession();
  assert.equal(s.status.code, 0);
  assert.ok(s.chunks.some((c) => c.dir === 'c2s') && s.chunks.some((c) => c.dir === 's2c'));
});

test('lsp decoder: every message in both directions, exactly as the client sent and received it', async () => {
  const s = await lspSession();
  const frames = decode('lsp', s);
  assert.deepEqual(frames.filter((f) => f.error), []);
  assert.deepEqual(frames.filter((f) => f.dir === 'c2s').map((f) => f.decoded), s.sent);
  assert.deepEqual(frames.filter((f) => f.dir === 's2c').map((f) => f.decoded), s.received);
  for (const dir of ['c2s', 's2c'] as const) {
    const bytes = s.chunks.filter((c) => c.dir === dir).reduce((n, c) => n + Buffer.from(c.data, 'base64').length, 0);
    assert.equal(frames.filter((f) => f.dir === dir).reduce((n, f) => n + f.data.length, 0), bytes, `${dir} bytes conserved`);
  }
});

function checkJsonRpc(frames: Frame[], s: Session): void {
  assert.deepEqual(frames.filter((f) => f.error), []);
  const c2s = frames.filter((f) => f.dir === 'c2s');
  const s2c = frames.filter((f) => f.dir === 's2c');
  assert.deepEqual(c2s.map((f) => f.decoded), s.sent);
  assert.deepEqual(s2c.map((f) => f.decoded), s.received);
  // method names and ids in the summaries
  const methods = s.sent.map((m) => m.method as string);
  for (let i = 0; i < c2s.length; i++) assert.ok(c2s[i].summary.startsWith(methods[i]), `${c2s[i].summary} names ${methods[i]}`);
  // every request is paired with the response carrying its id and result
  const requests = c2s.filter((f) => f.pair?.role === 'request');
  assert.equal(requests.length, s.sent.filter((m) => 'id' in m).length);
  for (const req of requests) {
    const id = (req.decoded as { id: number }).id;
    const resp = s2c.filter((f) => f.pair?.role === 'response' && f.pair.key === req.pair!.key);
    assert.equal(resp.length, 1, `one response for request ${id}`);
    const got = s.received.find((m) => m.id === id && !('method' in m));
    assert.deepEqual(resp[0].decoded, got);
    assert.match(resp[0].summary, new RegExp(`^${(req.decoded as { method: string }).method} #${id} → `));
  }
  const symbols = s2c.find((f) => f.summary.startsWith('textDocument/documentSymbol'))!;
  const names = ((symbols.decoded as { result: { name: string }[] }).result ?? []).map((x) => x.name);
  assert.deepEqual(names, ['name', 'nested', 'big']);
  const unknown = s2c.find((f) => f.summary.startsWith('ipctap/unknownMethod'))!;
  assert.match(unknown.summary, /→ error -32601/);
  assert.ok(c2s.some((f) => f.summary === 'initialized (notification)'));
}

test('jsonrpc decoder: methods, ids, requests paired with their responses, error codes', async () => {
  const s = await lspSession();
  checkJsonRpc(decode('jsonrpc', s), s);
});

test('auto: picks jsonrpc for both directions of the language server session', async () => {
  const s = await lspSession();
  const frames = decode('auto', s);
  assert.deepEqual([...new Set(frames.map((f) => f.proto))], ['jsonrpc']);
  checkJsonRpc(frames, s);
});

// A real language server (vscode-json-language-server) driven by a small client built on
// vscode-jsonrpc, which launches the server under `ipctap run` (the built CLI) exactly as a user
// tapping a language server would: ipctap relays the client's writes to the server's stdin and
// passes the server's stdout through, and its real stdio tap captures both (directions stdin and
// stdout) into a .ipctap file. The capture's chunks, in the order the tap captured them, are
// decoded with lsp, jsonrpc and auto and compared with what the client sent and received.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openCapture } from '../../../extension/engine/capture/reader';
import type { EventFileRecord } from '../../../extension/engine/capture/format';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import type { Direction, Frame } from '../../../extension/engine/types';
import { cliEnv } from '../../helpers/cli';

const CLIENT = resolve(__dirname, '../../fixtures/node/lsp-client.cjs');

interface Session {
  sent: Record<string, unknown>[];
  received: Record<string, unknown>[];
  /** What crossed the client's own pipes to and from ipctap, chunk by chunk (c2s: written, s2c: read). */
  piped: { dir: 'c2s' | 's2c'; data: string }[];
  /** ipctap's exit status, as the client saw it. */
  status: { code: number | null };
  /** The capture's chunks of the server's stdin and stdout, in capture order. */
  chunks: { dir: Direction; data: Uint8Array }[];
  /** The capture's events (spawn, exit, ...). */
  events: EventFileRecord[];
}

async function runSession(): Promise<Session> {
  const env = cliEnv();
  try {
    const cap = join(env.dir, 'lsp.ipctap');
    const r = await promisify(execFile)(process.execPath, [CLIENT, cap], { env: env.env, timeout: 60_000, maxBuffer: 64 << 20 });
    const out = JSON.parse(r.stdout) as { sent: Session['sent']; received: Session['received']; chunks: Session['piped']; status: Session['status'] };
    const chunks: Session['chunks'] = [];
    const events: EventFileRecord[] = [];
    const reader = await openCapture(cap);
    try {
      for await (const { record } of reader.records()) {
        if (record.t === 'c' && (record.dir === 'stdin' || record.dir === 'stdout')) chunks.push({ dir: record.dir, data: record.data });
        else if (record.t === 'e') events.push(record);
      }
      assert.deepEqual(reader.warnings, []);
    } finally {
      await reader.close();
    }
    return { sent: out.sent, received: out.received, piped: out.chunks, status: out.status, chunks, events };
  } finally {
    env.cleanup();
  }
}

let session: Promise<Session> | undefined;
function lspSession(): Promise<Session> {
  session ??= runSession();
  return session;
}

function decode(name: string, s: Session): Frame[] {
  const dec = resolveDecoder(name).create();
  const frames: Frame[] = [];
  for (const c of s.chunks) frames.push(...dec.push(c.dir, c.data));
  frames.push(...dec.end('stdin'), ...dec.end('stdout'));
  return frames;
}

test('real language server: the session ran (server exited 0 after shutdown/exit)', async () => {
  const s = await lspSession();
  assert.equal(s.status.code, 0, 'ipctap exit code');
  const spawned = s.events.filter((e) => e.kind === 'spawn');
  assert.equal(spawned.length, 1);
  assert.match(spawned[0].command!.join(' '), /vscode-json-language-server --stdio$/);
  const exits = s.events.filter((e) => e.kind === 'exit');
  assert.deepEqual(
    exits.map((e) => [e.pid, e.code, e.signal]),
    [[spawned[0].pid, 0, null]],
    'the server exited 0 (from the capture)',
  );
  assert.ok(s.chunks.some((c) => c.dir === 'stdin') && s.chunks.some((c) => c.dir === 'stdout'));
});

test('the capture holds exactly the bytes that crossed the client’s pipes, each way', async () => {
  const s = await lspSession();
  for (const [piped, tapped] of [
    ['c2s', 'stdin'],
    ['s2c', 'stdout'],
  ] as const) {
    const sent = Buffer.concat(s.piped.filter((c) => c.dir === piped).map((c) => Buffer.from(c.data, 'base64')));
    const captured = Buffer.concat(s.chunks.filter((c) => c.dir === tapped).map((c) => c.data));
    assert.ok(sent.length > 0);
    assert.equal(captured.compare(sent), 0, `${tapped}: ${captured.length} bytes captured, ${sent.length} crossed the client's pipes`);
  }
});

test('lsp decoder: every message in both directions, exactly as the client sent and received it', async () => {
  const s = await lspSession();
  const frames = decode('lsp', s);
  assert.deepEqual(
    frames.filter((f) => f.error),
    [],
  );
  assert.deepEqual(
    frames.filter((f) => f.dir === 'stdin').map((f) => f.decoded),
    s.sent,
  );
  assert.deepEqual(
    frames.filter((f) => f.dir === 'stdout').map((f) => f.decoded),
    s.received,
  );
  for (const dir of ['stdin', 'stdout'] as const) {
    const bytes = s.chunks.filter((c) => c.dir === dir).reduce((n, c) => n + c.data.length, 0);
    assert.equal(
      frames.filter((f) => f.dir === dir).reduce((n, f) => n + f.data.length, 0),
      bytes,
      `${dir} bytes conserved`,
    );
  }
});

function checkJsonRpc(frames: Frame[], s: Session): void {
  assert.deepEqual(
    frames.filter((f) => f.error),
    [],
  );
  const c2s = frames.filter((f) => f.dir === 'stdin');
  const s2c = frames.filter((f) => f.dir === 'stdout');
  assert.deepEqual(
    c2s.map((f) => f.decoded),
    s.sent,
  );
  assert.deepEqual(
    s2c.map((f) => f.decoded),
    s.received,
  );
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
  assert.ok(c2s.some((f) => f.summary.startsWith('initialized (notification)')));
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

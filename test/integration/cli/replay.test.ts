// ipctap replay: a captured Go net/rpc session re-sent to a fresh server gives identical
// responses (exit 0); against a server that answers differently, the differences are named
// (exit 3).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const env = cliEnv();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  env.cleanup();
});

/** Start the Go net/rpc server fixture; resolves with its 127.0.0.1:PORT. */
function rpcServer(mode: 'tcp' | 'http' | 'jsonrpc'): Promise<string> {
  const p = spawn(goBinary('rpcserver'), [mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(p);
  return new Promise((res, rej) => {
    createInterface({ input: p.stdout! }).once('line', (l) => res(l.trim()));
    p.once('exit', (c) => rej(new Error(`rpcserver exited ${c}`)));
  });
}

function run(cmd: string, args: string[]): Promise<number | null> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: 'inherit' });
    p.on('exit', (c) => res(c));
  });
}

async function captureClientSession(mode: 'tcp' | 'http', cap: string): Promise<{ conn: number; calls: unknown[] }> {
  const addr = await rpcServer(mode);
  const live = new LiveCli(['proxy', '--json', '-w', cap, '--tap', `tcp:0=${addr}`], env.env);
  try {
    const ready = await live.waitFor((x) => x.kind === 'tap-ready');
    const port = String(ready.address).split(':').pop();
    const out = join(env.dir, `client-${mode}.jsonl`);
    assert.equal(await run(goBinary('rpcclient'), [mode, `127.0.0.1:${port}`, out]), 0, 'the Go client succeeded through the tap');
    const open = await live.waitFor((x) => x.kind === 'open');
    await live.waitFor((x) => x.kind === 'close' && x.conn === open.conn);
    const calls = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The live decode saw the calls as net/rpc, paired with their replies.
    const requests = live.rows.filter((x) => x.type === 'frame' && (x.decoded as { kind?: string })?.kind === 'request');
    assert.equal(requests.length, calls.length);
    assert.ok(requests.every((r) => r.proto === 'netrpc'), 'auto picked netrpc');
    return { conn: Number(open.conn), calls };
  } finally {
    const end = await live.stop('SIGINT');
    assert.equal(end.code, 0, live.stderr);
  }
}

test('replay a captured net/rpc session against a fresh server: every response the same', async () => {
  const cap = join(env.dir, 'rpc.ipctap');
  const { conn, calls } = await captureClientSession('tcp', cap);
  // read --stats: one table instead of the frames; the connection's calls all paired.
  const st = await runCli(['read', '--stats', cap], { env: env.env });
  assert.equal(st.code, 0, st.stderr);
  const line = st.stdout.split('\n').find((l) => new RegExp(`^${conn}\\s`).test(l));
  assert.ok(line, st.stdout);
  assert.match(line, /\bnetrpc\b/);
  const cells = line.trim().split(/\s{2,}/);
  assert.equal(cells[5], '0', `no decode errors: ${line}`);
  assert.equal(cells[6], String(calls.length), `pairs: ${line}`);
  assert.match(st.stdout, /\d+ connections?, \d+ frames, \d+ bytes, 0 decode errors/);
  const fresh = await rpcServer('tcp');
  const out = join(env.dir, 'replayed.ipctap');
  const r = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '-w', out, '-q'], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sent \d+ frames; \d+ responses: \d+ same, 0 differ, 0 missing/);
  // The new exchange was captured: it reads back with the same calls decoded.
  const back = await runCli(['read', '--json', out], { env: env.env });
  const replies = back.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.type === 'frame' && x.decoded?.kind === 'response');
  assert.equal(replies.length, calls.length);
  const json = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '--json', '-q'], { env: env.env });
  const result = JSON.parse(json.stdout.trim().split('\n').pop()!);
  assert.equal(result.type, 'replay-result');
  assert.equal(result.ok, true);
  assert.equal(result.differs, 0);
});

test('replay against a server that answers differently: differences named, exit 3', async () => {
  const cap = join(env.dir, 'rpc-http.ipctap');
  const { conn } = await captureClientSession('http', cap);
  // A plain gob server (no HTTP CONNECT handshake) answers the CONNECT line differently.
  const other = await rpcServer('tcp');
  const r = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${other}`, '--timeout', '1000', '-q'], { env: env.env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /(differs at byte \d+|missing)/);
});

test('replay errors: unknown connection, nothing listening', async () => {
  const cap = join(env.dir, 'rpc.ipctap');
  const a = await runCli(['replay', cap, '--conn', '999', '--to', 'tcp:127.0.0.1:9'], { env: env.env });
  assert.equal(a.code, 2);
  assert.match(a.stderr, /connection 999 has no frames/);
  const b = await runCli(['replay', cap, '--conn', '1', '--to', `unix:${join(env.dir, 'nobody.sock')}`], { env: env.env });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /nothing is listening/);
});

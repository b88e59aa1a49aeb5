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

async function captureClientSession(mode: 'tcp' | 'http' | 'jsonrpc', cap: string): Promise<{ conn: number; calls: unknown[] }> {
  const addr = await rpcServer(mode);
  const live = new LiveCli(['proxy', '--json', '-w', cap, '--tap', `tcp:0=${addr}`], env.env);
  try {
    const ready = await live.waitFor((x) => x.kind === 'tap-ready');
    const port = String(ready.address).split(':').pop();
    const out = join(env.dir, `client-${mode}.jsonl`);
    assert.equal(await run(goBinary('rpcclient'), [mode, `127.0.0.1:${port}`, out]), 0, 'the Go client succeeded through the tap');
    const open = await live.waitFor((x) => x.kind === 'open');
    await live.waitFor((x) => x.kind === 'close' && x.conn === open.conn);
    const calls = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The live decode saw the calls as net/rpc, paired with their replies.
    const requests = live.rows.filter((x) => x.type === 'frame' && (x.decoded as { kind?: string })?.kind === 'request');
    assert.equal(requests.length, calls.length);
    const proto = mode === 'jsonrpc' ? 'jsonrpc1' : 'netrpc';
    assert.ok(
      requests.every((r) => r.proto === proto),
      `auto picked ${proto}`,
    );
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

test('replay --from: the calls from that frame on are sent and compared; a reply starts at its request', async () => {
  const cap = join(env.dir, 'jsonrpc.ipctap');
  const { conn, calls } = await captureClientSession('jsonrpc', cap);
  const rows = (await runCli(['read', '--json', cap], { env: env.env })).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const requests = rows.filter((x) => x.type === 'frame' && x.conn === conn && x.decoded?.kind === 'request');
  const replies = rows.filter((x) => x.type === 'frame' && x.conn === conn && x.decoded?.kind === 'response');
  assert.ok(requests.length >= 4, `enough calls to start in the middle (${calls.length})`);
  const k = 2;
  const fresh = await rpcServer('jsonrpc');
  const clientFrames = rows.filter((x) => x.type === 'frame' && x.conn === conn && x.dir === 'c2s');
  const expectSent = clientFrames.filter((f) => f.id >= requests[k].id).length;
  const r = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '--from', String(requests[k].id), '-q'], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`replaying connection ${conn} from frame #${requests[k].id}: ${clientFrames.length - expectSent} earlier client frames not sent`));
  assert.doesNotMatch(r.stderr, /sets up state/, 'JSON-RPC 1.0 over net/rpc carries no connection state');
  const m = /sent (\d+) frames; (\d+) responses: (\d+) same, 0 differ, 0 missing/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), expectSent);
  // Compared: the server's frames after the starting request (the replies to it and later calls).
  const compared = rows.filter((x) => x.type === 'frame' && x.conn === conn && x.dir === 's2c' && x.id > requests[k].id);
  assert.equal(Number(m[2]), compared.length);
  assert.equal(Number(m[3]), compared.length);
  // Picking the reply to request k replays from request k as well.
  const reply = replies.find((f) => f.pair?.request === requests[k].id);
  assert.ok(reply, 'request k has a paired reply');
  const r2 = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '--from', String(reply.id), '-q'], { env: env.env });
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  assert.match(r2.stderr, new RegExp(`from frame #${requests[k].id}:`));
  // A frame of another connection, or not a number: clear errors.
  const bad = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '--from', '999999'], { env: env.env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /frame #999999 is not a frame of connection/);
  const nan = await runCli(['replay', cap, '--conn', String(conn), '--to', `tcp:${fresh}`, '--from', 'x'], { env: env.env });
  assert.equal(nan.code, 1);
});

test('replay --from in a gob net/rpc connection warns that the skipped start carried state', async () => {
  const cap = join(env.dir, 'rpc-from.ipctap');
  await captureClientSession('tcp', cap);
  const rows = (await runCli(['read', '--json', cap], { env: env.env })).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const requests = rows.filter((x) => x.type === 'frame' && x.decoded?.kind === 'request');
  const fresh = await rpcServer('tcp');
  const r = await runCli(['replay', cap, '--conn', String(requests[2].conn), '--to', `tcp:${fresh}`, '--from', String(requests[2].id), '--timeout', '1000', '-q'], {
    env: env.env,
  });
  assert.match(r.stderr, /netrpc sets up state at the start of a connection/);
});

test('replay errors: unknown connection, nothing listening', async () => {
  const cap = join(env.dir, 'rpc.ipctap');
  const a = await runCli(['replay', cap, '--conn', '999', '--to', 'tcp:127.0.0.1:9'], { env: env.env });
  assert.equal(a.code, 2);
  const conns = [
    ...new Set(
      (await runCli(['read', '--json', cap], { env: env.env })).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((x) => x.type === 'frame')
        .map((x) => x.conn as number),
    ),
  ].sort((x, y) => x - y);
  assert.ok(conns.length > 0);
  assert.match(a.stderr, new RegExp(`connection 999 has no frames in .*; connections with frames: ${conns.join(', ')} `), 'names the connections there are');
  const b = await runCli(['replay', cap, '--conn', '1', '--to', `unix:${join(env.dir, 'nobody.sock')}`], { env: env.env });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /nothing is listening/);
});

// `ipctap diff A B` on captures of real programs: two runs of the Go net/rpc client against the
// Go server are the same (exit 0); two runs of a JSON-RPC program that answers differently show
// the changed values by path, the message only one run sent, and exit 3.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, runCli } from '../../helpers/cli';
import { captureRpcCalls, startRpcServer, stopRpcServer } from '../../helpers/go-rpc';

const env = cliEnv();
after(() => env.cleanup());

async function rpcCapture(name: string): Promise<string> {
  const { server, addr } = await startRpcServer('plain');
  try {
    const capture = join(env.dir, `${name}.ipctap`);
    await captureRpcCalls(env.env, 'plain', addr, capture, join(env.dir, `${name}.json`));
    return capture;
  } finally {
    stopRpcServer(server);
  }
}

test('two runs of the Go net/rpc client and server: the same, exit 0', async () => {
  const a = await rpcCapture('a');
  const b = await rpcCapture('b');
  const r = await runCli(['diff', a, b], { env: env.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /the same: \d+ messages/);
  assert.match(r.stdout, /Arith\.Multiply\s+A\s+\S+ \(4 calls\)\s+B\s+\S+ \(4 calls\)/, 'p50 per method on each side');
});

test('answers that differ: the changed values by path, a message only in B, exit 3; --json', async () => {
  // A JSON-RPC "server" on stdout (lines): the second run answers differently and sends one more.
  const program = (variant: number) =>
    [
      `const out = (o) => console.log(JSON.stringify(o));`,
      `out({ jsonrpc: '2.0', id: 1, result: { sum: ${variant === 1 ? 3 : 4}, items: ['a', 'b'] } });`,
      `out({ jsonrpc: '2.0', id: 2, result: { ok: true } });`,
      variant === 2 ? `out({ jsonrpc: '2.0', method: 'progress', params: { done: 1 } });` : '',
    ].join('\n');
  const caps: string[] = [];
  for (const v of [1, 2]) {
    const cap = join(env.dir, `j${v}.ipctap`);
    const r = await runCli(['run', '-q', '-w', cap, '--decode', 'jsonrpc', '--', process.execPath, '-e', program(v)], { env: env.env });
    assert.equal(r.code, 0, r.stderr);
    caps.push(cap);
  }
  const r = await runCli(['diff', caps[0]!, caps[1]!], { env: env.env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /\/result\/sum: 3 → 4/);
  assert.match(r.stdout, /\+ #\d+ only in B: progress/);
  assert.match(r.stdout, /different: 1 same, 1 changed, 0 only in A, 1 only in B/);
  const j = await runCli(['diff', caps[0]!, caps[1]!, '--json'], { env: env.env });
  assert.equal(j.code, 3);
  const d = JSON.parse(j.stdout) as {
    type: string;
    same: boolean;
    counts: Record<string, number>;
    conns: { messages: { kind: string; changes?: { path: string; a: unknown; b: unknown }[] }[] }[];
  };
  assert.equal(d.type, 'diff');
  assert.equal(d.same, false);
  assert.deepEqual(d.counts, { same: 1, changed: 1, onlyA: 0, onlyB: 1 });
  const changed = d.conns.flatMap((c) => c.messages).find((m) => m.kind === 'changed')!;
  assert.deepEqual(changed.changes, [{ path: '/result/sum', a: 3, b: 4 }]);
  const bad = await runCli(['diff', caps[0]!], { env: env.env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /usage: ipctap diff A\.ipctap B\.ipctap/);
});

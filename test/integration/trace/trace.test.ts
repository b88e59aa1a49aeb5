// ipctap run --trace / attach --trace with real Go programs traced by the real strace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { goBinary } from '../../helpers/go';
import { b64, cliEnv, frames, LiveCli, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());

type RowObj = Record<string, unknown>;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytesOf = (rows: RowObj[], conn: unknown, dir: string) =>
  Buffer.concat(frames(rows, (f) => f.conn === conn && f.dir === dir).map(b64));

test('run --trace: a parent and child over os.Pipe (gob) and a socketpair (lines), both directions byte-exact', async () => {
  const bin = goBinary('tracepair');
  const r = await runCli(['run', '--trace', '--json', '--', bin], { env: env.env, timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const rows: RowObj[] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const stdout = Buffer.concat(frames(rows, (f) => String(f.tap).startsWith('stdio') && f.dir === 'stdout').map(b64)).toString();
  const want = Object.fromEntries([...stdout.matchAll(/^(child-pipe|child-sock|parent-sock) ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]));
  assert.equal(Object.keys(want).length, 3, stdout);
  const opens = rows.filter((x) => x.kind === 'open' && x.tap === 'trace');
  const pipe = opens.find((o) => String(o.from).startsWith('pipe:'));
  const sock = opens.find((o) => String(o.from).startsWith('UNIX-STREAM:'));
  assert.ok(pipe && sock, JSON.stringify(opens));
  // Nothing of the program's stdio is traced twice (the stdio tap has it).
  assert.equal(opens.length, 2, JSON.stringify(opens));
  // The gob stream: byte-exact although one message is larger than strace prints in one string
  // (the reader's reads fill in what the writer's call left out), decoded message by message.
  assert.equal(sha(bytesOf(rows, pipe.conn, 'c2s')), want['child-pipe']);
  const gob = frames(rows, (f) => f.conn === pipe.conn);
  assert.ok(gob.every((f) => f.proto === 'gob' && !f.error), JSON.stringify(gob.filter((f) => f.error).slice(0, 2)));
  assert.deepEqual(gob.filter((f) => /^Msg /.test(String(f.summary))).map((f) => (f.decoded as { value?: { N?: number } })?.value?.N ?? JSON.stringify(f.decoded).match(/"N":(\d+)/)?.[1]).map(Number), [...Array(20).keys()]);
  assert.ok(!rows.some((x) => x.kind === 'gap'), 'no bytes missing');
  // The socketpair: pings one way, pongs the other, as lines.
  const c2s = bytesOf(rows, sock.conn, 'c2s');
  const s2c = bytesOf(rows, sock.conn, 's2c');
  const pingDir = c2s.toString().startsWith('ping') ? [c2s, s2c] : [s2c, c2s];
  assert.equal(sha(pingDir[0]!), want['parent-sock']);
  assert.equal(sha(pingDir[1]!), want['child-sock']);
  assert.equal(pingDir[1]!.toString(), 'pong 0\npong 1\npong 2\npong 3\npong 4\n');
  assert.ok(frames(rows, (f) => f.conn === sock.conn).every((f) => f.proto === 'lines'));
  // The child's exit is recorded (the parent's by the launcher).
  const pids = new Set(rows.filter((x) => x.kind === 'exit').map((x) => x.pid));
  assert.ok(pids.size >= 2, JSON.stringify(rows.filter((x) => x.kind === 'exit')));
});

test('run --trace: signals another process sends are events with the sender pid; the exit is recorded', async () => {
  const bin = goBinary('signals');
  const live = new LiveCli(['run', '--trace', '--json', '--', bin], env.env);
  try {
    const ready = await live.waitFor((x) => x.type === 'frame' && /ready \d+/.test(b64(x).toString()));
    const pid = Number(/ready (\d+)/.exec(b64(ready).toString())![1]);
    for (const sig of ['USR1', 'HUP']) {
      const kill = spawn('kill', [`-${sig}`, String(pid)]);
      const killer = kill.pid;
      await new Promise((r) => kill.on('close', r));
      const ev = await live.waitFor((x) => x.kind === 'signal-received' && x.signal === `SIG${sig}`);
      assert.equal(ev.pid, pid);
      assert.equal(ev.senderPid, killer);
      await live.waitFor((x) => x.type === 'frame' && b64(x).toString().includes(`got SIG${sig}`));
    }
    process.kill(pid, 'SIGTERM');
    const exit = await live.waitFor((x) => x.kind === 'exit' && x.pid === pid);
    assert.equal(exit.code, 43);
    const done = await live.closed;
    assert.equal(done.code, 43);
  } finally {
    await live.stop();
  }
});

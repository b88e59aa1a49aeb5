// `ipctap read FILE --flow [--svg]` on captures of real programs: the Go net/rpc client and
// server through a TCP tap (lifelines from the peers' pids, calls as arrows with latencies, gob
// type definitions hidden), and the Go signal program under `ipctap run` (its output, the
// SIGUSR1 and SIGTERM sent, its exit).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const env = cliEnv();
after(() => env.cleanup());

test('net/rpc: one lifeline per process, calls and replies as arrows between them, errors marked, SVG written', async () => {
  const server = spawn(goBinary('rpcserver'), ['plain'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const addr = await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res));
    const capture = join(env.dir, 'rpc.ipctap');
    const port = 20000 + ((process.pid + 7) % 20000);
    const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:${port}=${addr}`], env.env);
    let clientPid = 0;
    try {
      await live.waitFor((r) => r.kind === 'tap-ready');
      const client = spawn(goBinary('rpcclient'), ['plain', `127.0.0.1:${port}`, join(env.dir, 'calls.json')], { stdio: 'ignore' });
      clientPid = client.pid!;
      await new Promise((r) => client.once('exit', r));
      // (The peers' pids are looked up while the connection is open.)
      await live.waitFor((r) => r.kind === 'close');
    } finally {
      await live.stop();
    }
    const r = await runCli(['read', capture, '--flow'], { env: env.env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const header = lines[0]!;
    assert.match(header, new RegExp(`pid ${server.pid}`), `the server's lifeline: ${header}`);
    assert.match(header, new RegExp(`pid ${clientPid}`), `the client's lifeline: ${header}`);
    const call = lines.find((l) => /Arith\.Multiply #0 \{"A":7,"B":8\}/.test(l))!;
    const reply = lines.find((l) => /Arith\.Multiply #0 56 \(/.test(l))!;
    // The client is left of the server (it appeared first): requests point right, replies left.
    assert.match(call, /\|-+>\|/, call);
    assert.match(reply, /\|<-+\|/, reply);
    assert.match(
      lines.find((l) => /Arith\.Divide #4 error: divide by zero/.test(l))!,
      /\[error\]/,
    );
    assert.ok(!lines.some((l) => /type \d+ = struct Request/.test(l)), 'gob type definitions are hidden');
    assert.match(r.stdout, /transport frames? hidden/);
    const all = await runCli(['read', capture, '--flow', '--all'], { env: env.env });
    assert.ok(
      all.stdout.split('\n').some((l) => /type \d+ = struct Request/.test(l)),
      '--all shows them',
    );
    const svg = join(env.dir, 'flow.svg');
    const s = await runCli(['read', capture, '--flow', '--svg', svg], { env: env.env });
    assert.equal(s.code, 0, s.stderr);
    const doc = readFileSync(svg, 'utf8');
    assert.match(doc, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(doc, /Arith\.Multiply #0 \{&quot;A&quot;:7,&quot;B&quot;:8\}/, 'labels escaped as XML');
    assert.equal(
      spawnSync('node', ['-e', 'new (require("node:util").TextDecoder)("utf-8",{fatal:true}).decode(require("fs").readFileSync(process.argv[1]))', svg]).status,
      0,
      'valid UTF-8',
    );
  } finally {
    server.stdin!.end();
    server.kill();
  }
});

test("signals: the program's output, the signals ipctap sent and its exit on its lifeline", async () => {
  const capture = join(env.dir, 'sig.ipctap');
  const live = new LiveCli(['run', '--json', '-w', capture, '--decode', 'lines', '--', goBinary('signals')], env.env);
  const pid = Number((await live.waitFor((x) => x.kind === 'spawn')).pid);
  await live.waitFor((x) => x.type === 'frame' && /^ready/.test(String(x.summary)));
  await runCli(['signal', String(pid), 'USR1'], { env: env.env });
  await live.waitFor((x) => x.type === 'frame' && x.summary === 'got SIGUSR1');
  await runCli(['signal', String(pid), 'SIGTERM'], { env: env.env });
  await live.closed;
  const r = await runCli(['read', capture, '--flow'], { env: env.env });
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, new RegExp(`signals[-\\w]* ${pid}`), 'the lifeline is named by its command and pid');
  assert.match(lines[0]!, /ipctap \(terminal\)/);
  const usr1 = lines.findIndex((l) => /\* .*SIGUSR1|SIGUSR1$/.test(l) && l.includes('~'));
  const got = lines.findIndex((l) => /got SIGUSR1/.test(l));
  const exit = lines.findIndex((l) => /exit 43/.test(l));
  assert.ok(usr1 > 0 && got > usr1 && exit > got, r.stdout);
  assert.match(lines.at(-1)! + lines.at(-2)!, /\(exit 43\)/, 'the lifeline ends with the exit');
});

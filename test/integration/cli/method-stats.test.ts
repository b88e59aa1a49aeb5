// `ipctap read FILE --stats --by method` on a capture of the real Go net/rpc client and server
// (through a TCP tap): calls, application errors and latencies per method, as text with a
// histogram and as JSON.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';

const env = cliEnv();
after(() => env.cleanup());

interface MethodJson {
  method: string;
  calls: number;
  errors: number;
  unanswered: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  histogram: number[];
}

test('per-method statistics of a net/rpc capture: calls, errors, latency percentiles and histogram', async () => {
  const server = spawn(goBinary('rpcserver'), ['plain'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const addr = await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res));
    const capture = join(env.dir, 'rpc.ipctap');
    const port = 20000 + (process.pid % 20000);
    const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:${port}=${addr}`], env.env);
    try {
      await live.waitFor((r) => r.kind === 'tap-ready');
      const client = spawnSync(goBinary('rpcclient'), ['plain', `127.0.0.1:${port}`, join(env.dir, 'calls.json')], { encoding: 'utf8' });
      assert.equal(client.status, 0, client.stderr);
    } finally {
      await live.stop();
    }
    const text = await runCli(['read', capture, '--stats', '--by', 'method'], { env: env.env });
    assert.equal(text.code, 0, text.stderr);
    const line = (m: string) => text.stdout.split('\n').find((l) => l.startsWith(m + ' '));
    assert.match(line('Arith.Divide') ?? '', /^Arith\.Divide\s+2\s+1\s/, text.stdout); // 17/5, and 7/0 "divide by zero"
    assert.match(text.stdout, /\|[▁▂▃▄▅▆▇█ ]+\|/, 'a histogram drawn per method');
    const json = await runCli(['read', capture, '--stats', '--by', 'method', '--json'], { env: env.env });
    const out = JSON.parse(json.stdout) as { type: string; methods: MethodJson[] };
    assert.equal(out.type, 'method-stats');
    const by = new Map(out.methods.map((m) => [m.method, m]));
    assert.equal(by.get('Arith.Multiply')?.calls, 4);
    assert.equal(by.get('Arith.Multiply')?.errors, 0);
    assert.equal(by.get('Arith.Divide')?.errors, 1);
    assert.equal(by.get('Arith.Nope')?.errors, 1, 'an unknown method is an error reply');
    const slow = by.get('Arith.Slow')!;
    assert.equal(slow.calls, 3);
    // The server sleeps 200, 400 and 600 ms.
    assert.ok(slow.p50Us >= 400_000 && slow.maxUs >= 600_000 && slow.maxUs < 5_000_000, JSON.stringify(slow));
    for (const m of out.methods) {
      assert.ok(m.p50Us <= m.p90Us && m.p90Us <= m.p99Us && m.p99Us <= m.maxUs, JSON.stringify(m));
      assert.equal(
        m.histogram.reduce((a, b) => a + b, 0),
        m.calls,
        `${m.method}: every call in the histogram`,
      );
    }
    const bad = await runCli(['read', capture, '--by', 'method'], { env: env.env });
    assert.equal(bad.code, 1, 'a usage error');
    assert.match(bad.stderr, /--by goes with --stats/);
  } finally {
    server.stdin!.end();
    server.kill();
  }
});

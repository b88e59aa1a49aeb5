// `ipctap read BIG --json | consumer` waits for the consumer: while the consumer pauses, ipctap
// stops (its peak memory stays bounded) and, once the consumer reads on, every row arrives.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, cliEnv, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());

function cpuTicks(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

function peakRssKiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

test('read --json into a paused pipe: memory stays bounded, then every row arrives', async () => {
  const cap = join(env.dir, 'big.ipctap');
  // ~120 MB of captured stdout: about 160 MB of JSON Lines.
  const made = await runCli(['run', '--lossless', '-w', cap, '--', 'head', '-c', String(120 * 1024 * 1024), '/dev/zero'], { env: env.env, timeoutMs: 120000 });
  assert.equal(made.code, 0, made.stderr);
  const reader = spawn(process.execPath, [CLI, 'read', '--json', cap], { env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
  reader.stdout.pause();
  let stderr = '';
  reader.stderr.on('data', (d) => (stderr += d));
  // Wait until ipctap does no more work while nobody reads (blocked on the full pipe, or, without
  // backpressure, done buffering everything): its CPU time stops advancing.
  let last = -1;
  let still = 0;
  while (still < 8) {
    await new Promise((r) => setTimeout(r, 100));
    const t = cpuTicks(reader.pid!);
    assert.ok(t !== undefined, 'ipctap still runs while its output is not read');
    still = t === last ? still + 1 : 0;
    last = t;
  }
  const peak = peakRssKiB(reader.pid!);
  assert.ok(peak < 120 * 1024, `peak RSS ${peak} KiB while the consumer paused`);
  let lines = 0;
  let bytes = 0;
  let tail = '';
  reader.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    const s = tail + d.toString('latin1');
    const parts = s.split('\n');
    tail = parts.pop()!;
    lines += parts.length;
  });
  reader.stdout.resume();
  const code = await new Promise<number | null>((r) => reader.on('close', r));
  assert.equal(code, 0, stderr);
  assert.equal(tail, '');
  assert.ok(bytes > 120 * 1024 * 1024, `${bytes} bytes of JSON`);
  assert.ok(lines > 1000, `${lines} rows`);
});

// A capture file on a full disk (a 16 MiB tmpfs): the capture stops with an 'error' event, a line
// on stderr saying where, a marker record that `read` shows, and exit status 2, while forwarding
// goes on; with --lossless nothing more is forwarded once the file failed. Needs root (mount).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, cliEnv, runCli } from '../../helpers/cli';

const N = 40 * 1024 * 1024;
const env = cliEnv();
let dir = '';
let mounted = false;
const canMount = process.geteuid?.() === 0;

before(() => {
  if (!canMount) return;
  dir = mkdtempSync(join(tmpdir(), 'ipctap-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounted = true;
});
after(() => {
  if (mounted) spawnSync('umount', [dir]);
  if (dir) rmdirSync(dir);
  env.cleanup();
});

/** `ipctap run ARGS -- head -c N /dev/zero`: the program's output counted, stderr kept. */
function runHead(args: string[]): Promise<{ code: number | null; forwarded: number; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, 'run', ...args, '--', 'head', '-c', String(N), '/dev/zero'], { env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let forwarded = 0;
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (forwarded += d.length));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code, forwarded, stderr }));
  });
}

test(
  'disk full: error on stderr with where the capture stopped, marker in the file, exit 2, forwarding goes on',
  { skip: !canMount && 'needs root to mount a tmpfs' },
  async () => {
    const cap = join(dir, 'full.ipctap');
    const r = await runHead(['-w', cap]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.forwarded, N, 'every byte reached the reader');
    const m = /capture stopped at (\d+) bytes \((\d+) records\)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.match(r.stderr, /ENOSPC/);
    assert.equal(lstatSync(cap).size > Number(m[1]), true, 'the marker follows the last whole record');
    const read = await runCli(['read', cap], { env: env.env });
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, new RegExp(`error: capture stopped at ${m[1]} bytes \\(${m[2]} records\\): ENOSPC`));
    const json = await runCli(['read', '--json', cap], { env: env.env });
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.at(-1)?.kind, 'error', 'the marker is the last record');
    rmSync(cap);
  },
);

test('disk full with --lossless: forwarding stops, exit 2', { skip: !canMount && 'needs root to mount a tmpfs' }, async () => {
  const cap = join(dir, 'lossless.ipctap');
  const r = await runHead(['--lossless', '-w', cap]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /capture stopped at \d+ bytes/);
  assert.match(r.stderr, /--lossless/);
  assert.ok(r.forwarded < N, `forwarded ${r.forwarded} of ${N} bytes although the capture failed`);
  rmSync(cap);
});

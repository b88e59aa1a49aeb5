// The bad input a reliability probe found misbehaving: each gets a clear message and exit 2 (or,
// for a FIFO given to `read`, says what it waits for), never an internal error or silence.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { CLI, cliEnv, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());
const cap = join(env.dir, 'one.ipctap');

before(async () => {
  const w = await CaptureWriter.open(cap, { start: 1_760_000_000_000, name: 'one', decode: 'raw' });
  const t = { ts: 1_760_000_000_000_001, mono: 1 };
  w.writeEvent({ kind: 'open', conn: 1, tap: 'unix:/tmp/x.sock', from: 'client', to: 'server', ...t });
  w.writeChunk({ conn: 1, dir: 'c2s', data: Buffer.from('hello'), ...t });
  w.writeEvent({ kind: 'close', conn: 1, tap: 'unix:/tmp/x.sock', reason: 'eof', ...t });
  await w.close();
});

function clean(r: { stderr: string }): void {
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |Cannot read properties/, r.stderr);
}

test('replay --to fifo: a regular file or /dev/null is refused, the file left untouched', async () => {
  const file = join(env.dir, 'regular');
  writeFileSync(file, 'keep me');
  for (const to of [file, '/dev/null']) {
    const r = await runCli(['replay', cap, '--conn', '1', '--to', `fifo:${to}`], { env: env.env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not a FIFO/);
    clean(r);
  }
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
});

test('replay --to unix:@name is an abstract socket, not a relative path', async () => {
  const r = await runCli(['replay', cap, '--conn', '1', '--to', `unix:@ipctap-none-${process.pid}`], { env: env.env, cwd: env.dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`nothing is listening at @ipctap-none-${process.pid}\\b`));
  assert.doesNotMatch(r.stderr, new RegExp(env.dir));
});

test('read of a FIFO says it waits for a writer', async () => {
  const fifo = join(env.dir, 'cap.fifo');
  spawnSync('mkfifo', [fifo]);
  const p = spawn(process.execPath, [CLI, 'read', fifo], { env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  await new Promise<void>((res) => p.stderr.on('data', (d) => (err += d) && /waiting for a writer/.test(err) && res()));
  p.kill('SIGKILL');
  assert.match(err, /is a FIFO: waiting for a writer/);
});

test('--decode PROTO@TAP for a tap the command does not have is an error', async () => {
  const r = await runCli(['run', '--decode', 'raw@tcp:1=127.0.0.1:2', '--', 'true'], { env: env.env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /this command has no tap tcp:/);
});

test('a garbage or truncated --proto is refused up front, in printable words', async () => {
  const garbage = join(env.dir, 'garbage.proto');
  writeFileSync(garbage, Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x80, 0x07, 0xfe]));
  const a = await runCli(['run', '--proto', garbage, '--', 'true'], { env: env.env });
  assert.equal(a.code, 2, a.stderr);
  assert.match(a.stderr, /cannot load \.proto file \S*garbage\.proto: not a \.proto file/);
  const b = await runCli(['read', cap, '--decode', 'grpc', '--proto', garbage], { env: env.env });
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /not a \.proto file/);
  assert.doesNotMatch(b.stderr, /[\x00-\x08\x0e-\x1f\x7f-\xff]/, 'no raw bytes of the file on the terminal');
  const trunc = join(env.dir, 'trunc.proto');
  writeFileSync(trunc, 'syntax = "proto3";\nmessage A {\n  int32 x = 1;\n');
  const c = await runCli(['read', cap, '--decode', 'grpc', '--proto', trunc], { env: env.env });
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /ends early/);
  clean(c);
});

test('run --cwd /nonexistent blames the directory, not the command', async () => {
  const r = await runCli(['run', '--cwd', '/nonexistent-ipctap', '--', 'true'], { env: env.env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /working directory \/nonexistent-ipctap does not exist/);
});

test('a final record declaring 4 GiB is damage, not a cut-off write', async () => {
  const bad = join(env.dir, 'four-gib.ipctap');
  copyFileSync(cap, bad);
  // {data: <bin32 of 0xffffffff bytes>} followed by a few bytes: the file ends inside it.
  appendFileSync(bad, Buffer.concat([Buffer.from([0x81, 0xa4]), Buffer.from('data'), Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff]), Buffer.from('abc')]));
  const r = await runCli(['read', bad], { env: env.env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /declares 4294967295 bytes, more than the format allows/);
});

test('npm run fuzz -- --help prints the usage and runs nothing; unknown arguments exit 2', () => {
  const fuzz = resolve(__dirname, '../../fuzz/run.ts');
  const h = spawnSync(process.execPath, ['--import', 'tsx', fuzz, '--help'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^usage: npm run fuzz/);
  const b = spawnSync(process.execPath, ['--import', 'tsx', fuzz, '--iterations'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--iterations needs a value/);
});

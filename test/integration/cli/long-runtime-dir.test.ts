// A runtime directory so deep that a socket in it would not fit a Unix socket path (107 bytes):
// the engine refuses to start there, the extension host's connect says why, and `ipctap run` goes
// on with a warning naming IPCTAP_RUNTIME_DIR — no socket is left behind under a cut-short name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { connectOrStartEngine } from '../../../extension/host/engine-socket';
import { runCli } from '../../helpers/cli';

const SERVER = resolve(__dirname, '../../../dist/server.js');
const base = mkdtempSync(join(tmpdir(), 'ipctap-long-'));
// ~140 bytes of directories: any socket file inside is longer than 107 bytes.
const deep = join(base, 'd'.repeat(60), 'e'.repeat(60));
mkdirSync(deep, { recursive: true, mode: 0o700 });
after(() => rmSync(base, { recursive: true, force: true }));

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

test('the engine refuses a socket path too long, saying which and what to set', () => {
  const sock = join(deep, 'engines', 'x.sock');
  const r = spawnSync(process.execPath, [SERVER, '--listen', sock], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0, 'the engine exits with an error');
  assert.match(r.stdout + r.stderr, /is \d+ bytes long, more than the 107 a Unix socket path can have: set IPCTAP_RUNTIME_DIR/);
  assert.deepEqual(filesUnder(base), [], 'no socket made under a cut-short name');
});

test('the extension host gets the same message before it starts an engine', async () => {
  const sock = join(deep, 'engines', 'vscode-0123456789abcdef.sock');
  await assert.rejects(connectOrStartEngine(SERVER, sock), /bytes long, more than the 107 a Unix socket path can have: set IPCTAP_RUNTIME_DIR/);
  assert.deepEqual(
    filesUnder(base).filter((f) => !f.endsWith('.log')),
    [],
    'nothing started, no socket',
  );
});

test('ipctap run warns that its control socket cannot be made, and runs its program', async () => {
  const env = { ...process.env, IPCTAP_STATE_DIR: join(base, 'state'), IPCTAP_RUNTIME_DIR: deep };
  const r = await runCli(['run', '--no-stdin', '--', 'sh', '-c', 'echo ran'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: no control socket .*bytes long, more than the 107 a Unix socket path can have: set IPCTAP_RUNTIME_DIR/);
  assert.match(r.stdout, /ran/);
  assert.equal(existsSync(join(deep, 'sessions')) ? readdirSync(join(deep, 'sessions')).length : 0, 0, 'no control socket left');
  assert.deepEqual(
    filesUnder(base).filter((f) => !f.startsWith('state')),
    [],
    'no socket left anywhere under a cut-short name',
  );
});

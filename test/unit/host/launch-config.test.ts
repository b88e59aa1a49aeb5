import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseJsonc, readConfigFile, toStartParams } from '../../../extension/host/launch-config';

test('the examples configuration parses and expands', () => {
  const text = readFileSync(join(__dirname, '../../../examples/.vscode/ipctap.json'), 'utf8');
  const file = readConfigFile(text);
  const rpc = file.configurations.find((c) => c.name === 'Go net/rpc server and client')!;
  const p = toStartParams(rpc, { workspaceFolder: '/w', env: {} });
  assert.equal(p.processes!.length, 2);
  assert.equal(p.processes![0]!.command, '/w/bin/rpcserver');
  assert.equal(p.processes![0]!.cwd, '/w');
  assert.deepEqual(p.processes![1]!.args, ['-connect', '${tap:rpc}', '-n', '5'], '${tap:...} is left for the engine');
  assert.deepEqual(p.taps, [{ name: 'rpc', spec: 'tcp:0=127.0.0.1:7301' }]);
  const single = toStartParams({ name: 'one', command: '${env:X}/prog', taps: ['unix:${workspaceFolder}/a.sock'] }, { workspaceFolder: '/w', env: { X: '/opt' } });
  assert.equal(single.processes![0]!.command, '/opt/prog');
  assert.equal(single.processes![0]!.name, undefined);
  assert.deepEqual(single.taps, [{ spec: 'unix:/w/a.sock' }]);
  assert.equal(single.lossless, undefined, 'dropping under floods unless asked');
  assert.equal(toStartParams({ name: 'l', taps: ['tcp:1=127.0.0.1:2'], lossless: true }, { workspaceFolder: '/w', env: {} }).lossless, true);
  assert.equal(single.trace, undefined, 'no tracing unless asked');
  const traced = toStartParams({ name: 't', command: './a', trace: true, traceFiles: true }, { workspaceFolder: '/w', env: {} });
  assert.deepEqual([traced.trace, traced.traceFiles], [true, true]);
  assert.equal(single.directIo, undefined, 'direct I/O unless turned off');
  assert.equal(toStartParams({ name: 'l', taps: ['tcp:1=127.0.0.1:2'], directIo: false }, { workspaceFolder: '/w', env: {} }).directIo, false);
});

test('JSON with comments and trailing commas; clear errors', () => {
  assert.deepEqual(parseJsonc('{ // c\n "a": "x//y", /* b */ "b": [1,2,], }'), { a: 'x//y', b: [1, 2] });
  assert.throws(
    () => readConfigFile('{"configurations": [{"name": "x"}]}'),
    (e: Error) => e instanceof ConfigError && /has no "command", "processes" or "taps"/.test(e.message),
  );
  assert.throws(() => readConfigFile('{'), /not valid JSON/);
  assert.throws(() => readConfigFile('{}'), /"configurations"/);
});

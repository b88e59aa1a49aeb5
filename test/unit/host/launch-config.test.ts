import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseJsonc, readConfigFile, toStartParams, withProtoSetting } from '../../../extension/host/launch-config';

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
  const traced = toStartParams({ name: 't', command: './a', trace: true, traceFiles: true, traceAllCpus: true }, { workspaceFolder: '/w', env: {} });
  assert.deepEqual([traced.trace, traced.traceFiles, traced.traceAllCpus], [true, true, true]);
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

test('"proto" and "protoType": workspace-relative .proto paths resolved, the setting ipctap.protoFiles added once each', () => {
  const ctx = { workspaceFolder: '/w', env: { P: '/opt/protos' } };
  const p = toStartParams({ name: 'g', command: './srv', proto: ['api/a.proto', '${workspaceFolder}/b.proto', '/abs/c.proto', '${env:P}/d.proto'], protoType: 'pkg.Msg' }, ctx);
  assert.deepEqual(p.protoFiles, ['/w/api/a.proto', '/w/b.proto', '/abs/c.proto', '/opt/protos/d.proto']);
  assert.equal(p.protoType, 'pkg.Msg');
  const none = toStartParams({ name: 'n', command: './srv' }, ctx);
  assert.equal('protoFiles' in none || 'protoType' in none, false, 'no .proto keys unless given');

  assert.deepEqual(withProtoSetting({ path: '/c.ipctap' }, ['shared/s.proto'], ctx), { path: '/c.ipctap', protoFiles: ['/w/shared/s.proto'] });
  assert.deepEqual(withProtoSetting(p, ['api/a.proto', 'x.proto'], ctx).protoFiles, ['/w/api/a.proto', '/w/x.proto', '/w/b.proto', '/abs/c.proto', '/opt/protos/d.proto']);
  const unchanged = { path: '/c.ipctap' };
  assert.equal(withProtoSetting(unchanged, [], ctx), unchanged);
  assert.equal(withProtoSetting(unchanged, 'not a list', ctx), unchanged);

  assert.throws(() => readConfigFile('{"configurations": [{"name": "x", "command": "a", "proto": "a.proto"}]}'), /"proto" of "x" must be a list of \.proto file paths/);
  assert.throws(() => readConfigFile('{"configurations": [{"name": "x", "command": "a", "protoType": 3}]}'), /"protoType" of "x" must be a message type name/);
});

// Bad input gets a clear message on stderr, the documented exit code, and no stack trace (plus
// the working counterpart of options whose misuse is tested here, e.g. --proto).
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { cliEnv, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());

function noStack(stderr: string) {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for user errors');
}

test('unknown command and unknown flag are usage errors (exit 1)', async () => {
  const a = await runCli(['frobnicate'], { env: env.env });
  assert.equal(a.code, 1);
  assert.match(a.stderr, /unknown command 'frobnicate'/);
  const b = await runCli(['read', '--bogus', 'x'], { env: env.env });
  assert.equal(b.code, 1);
  assert.match(b.stderr, /unknown option --bogus/);
  noStack(a.stderr + b.stderr);
});

test('run without a command, replay without --conn: usage errors', async () => {
  const a = await runCli(['run'], { env: env.env });
  assert.equal(a.code, 1);
  assert.match(a.stderr, /needs a command/);
  writeFileSync(join(env.dir, 'x.ipctap'), '');
  const b = await runCli(['replay', join(env.dir, 'x.ipctap'), '--to', 'tcp:127.0.0.1:1'], { env: env.env });
  assert.equal(b.code, 1);
  assert.match(b.stderr, /--conn N is required/);
});

test('malformed tap specs and non-loopback listeners are refused', async () => {
  const a = await runCli(['proxy', '--tap', 'carrier-pigeon:/x'], { env: env.env });
  assert.notEqual(a.code, 0);
  assert.match(a.stderr, /carrier-pigeon/);
  const b = await runCli(['proxy', '--tap', 'tcp:0.0.0.0:7000=127.0.0.1:1234'], { env: env.env });
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /loopback/);
  noStack(a.stderr + b.stderr);
});

test('missing capture file, a file that is not a capture', async () => {
  const a = await runCli(['read', join(env.dir, 'nope.ipctap')], { env: env.env });
  assert.equal(a.code, 2);
  assert.match(a.stderr, /no such file/);
  writeFileSync(join(env.dir, 'junk.ipctap'), 'this is not a capture file at all\n');
  const b = await runCli(['read', join(env.dir, 'junk.ipctap')], { env: env.env });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /junk\.ipctap/);
  noStack(a.stderr + b.stderr);
});

test('decoders and their options are checked before any traffic: unknown names, .proto problems', async () => {
  const proto = join(__dirname, '../../fixtures/node/grpc/demo.proto');
  const tap = ['--tap', 'tcp:0=127.0.0.1:9'];
  const cases: [string[], RegExp][] = [
    [['proxy', '--decode', 'nosuch', ...tap], /unknown decoder "nosuch"; available: .*gob/],
    [['proxy', '--decode', 'len32be+nosuch', ...tap], /unknown decoder "nosuch"/],
    [['proxy', '--decode', 'nosuch@tcp:0=127.0.0.1:9', ...tap], /unknown decoder "nosuch"/],
    [['proxy', '--decode', 'protobuf', '--proto', join(env.dir, 'missing.proto'), '--proto-type', 'demo.Note', ...tap], /cannot load \.proto file \S*missing\.proto: no such file/],
    [['proxy', '--decode', 'protobuf', '--proto-type', 'demo.Note', ...tap], /--proto-type needs --proto FILE/],
    [['proxy', '--decode', 'protobuf', '--proto', proto, ...tap], /--proto FILE needs --proto-type/],
    [['proxy', '--decode', 'protobuf', '--proto', proto, '--proto-type', 'demo.Nope', ...tap], /demo\.Nope.*demo\.Note/s],
  ];
  writeFileSync(join(env.dir, 'broken.proto'), 'syntax = "proto3"; message {');
  cases.push([['proxy', '--decode', 'grpc', '--proto', join(env.dir, 'broken.proto'), ...tap], /cannot load \.proto file \S*broken\.proto: illegal type name '\{'/]);
  for (const [args, re] of cases) {
    const r = await runCli(args, { env: env.env });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /tapping/, 'refused before tapping');
    noStack(r.stderr);
  }
});

test("--proto on a missing or unparsable file: exit 2, the file named with the parser's complaint", async () => {
  const missing = join(env.dir, 'absent.proto');
  const typo = join(env.dir, 'typo.proto');
  writeFileSync(typo, 'syntax = "proto3";\nmessage A {\n  int32 a = 1\n}\n');
  const importer = join(env.dir, 'importer.proto');
  writeFileSync(importer, 'syntax = "proto3";\nimport "typo.proto";\nmessage B { A a = 1; }\n');
  const cases: [string[], string][] = [
    [['run', '--proto', missing, '--', 'true'], `cannot load .proto file ${missing}: no such file`],
    [['run', '--proto', typo, '--', 'true'], `cannot load .proto file ${typo}: illegal token '}', ';' expected (line 4)`],
    [['run', '--proto', importer, '--', 'true'], `cannot load .proto file ${typo} (imported by ${importer}): illegal token '}', ';' expected (line 4)`],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { env: env.env });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
    noStack(r.stderr);
  }
});

test('read --proto/--proto-type: a schema names the fields; without one the same bytes are schema-less', async () => {
  const protobuf = (await import('protobufjs')).default;
  const proto = join(__dirname, '../../fixtures/node/grpc/demo.proto');
  const Note = protobuf.loadSync(proto).lookupType('demo.Note');
  const msg = Buffer.from(Note.encode(Note.fromObject({ text: 'hi <b>', id: '9007199254740993', tags: ['a', 'b'] })).finish());
  const cap = join(env.dir, 'pb.ipctap');
  const w = await CaptureWriter.open(cap, { start: 1 });
  w.writeEvent({ kind: 'open', conn: 1, tap: 'tcp:1=127.0.0.1:2', ts: 1, mono: 1 });
  w.writeChunk({ conn: 1, dir: 'c2s', ts: 2, mono: 2, data: msg });
  w.writeEvent({ kind: 'close', conn: 1, tap: 'tcp:1=127.0.0.1:2', ts: 3, mono: 3 });
  await w.close();
  const typed = await runCli(['read', '--json', '--decode', 'protobuf', '--proto', proto, '--proto-type', 'demo.Note', cap], { env: env.env });
  assert.equal(typed.code, 0, typed.stderr);
  const frame = typed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((x) => x.type === 'frame');
  assert.equal(frame.decoded.text, 'hi <b>');
  assert.deepEqual(frame.decoded.tags, ['a', 'b']);
  assert.match(typed.stdout, /"id":"?9007199254740993"?/, 'int64 exact');
  const plain = await runCli(['read', '--json', '--decode', 'protobuf', cap], { env: env.env });
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /"text"/, 'no field names without a schema');
});

test('a port in use is reported plainly', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await runCli(['proxy', '--tap', `tcp:${port}=127.0.0.1:9`], { env: env.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${port}.*in use`));
    noStack(r.stderr);
  } finally {
    blocker.close();
  }
});

test('signals: unknown names and missing pids', async () => {
  const a = await runCli(['signal', String(process.pid), 'SIGFOO'], { env: env.env });
  assert.notEqual(a.code, 0);
  assert.match(a.stderr, /SIGFOO/);
  const b = await runCli(['signal', '4194303', 'USR1'], { env: env.env });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /no process/);
  noStack(a.stderr + b.stderr);
  // The error points at --list, and --list answers.
  assert.match(a.stderr, /ipctap signal --list/);
  const l = await runCli(['signal', '--list'], { env: env.env });
  assert.equal(l.code, 0);
  assert.match(l.stdout, /^10\s+SIGUSR1\s/m);
  assert.match(l.stdout, /SIGRTMIN\+n/);
  const bad = await runCli(['signal', '--list', '42'], { env: env.env });
  assert.equal(bad.code, 1);
});

test('run: a program that does not exist', async () => {
  const r = await runCli(['run', '--', join(env.dir, 'no-such-program')], { env: env.env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no-such-program/);
  noStack(r.stderr);
});

test('help and version', async () => {
  const a = await runCli(['help', 'replay'], { env: env.env });
  assert.equal(a.code, 0);
  assert.match(a.stdout, /--pace original/);
  const b = await runCli(['--version'], { env: env.env });
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  assert.equal(b.stdout.trim(), `ipctap ${pkg.version}`);
  const h = await runCli(['help', 'help'], { env: env.env });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Run 'ipctap help <command>'/);
  assert.equal(h.stderr, '');
  // attach takes the options proxy takes: its help lists them
  const at = await runCli(['help', 'attach'], { env: env.env });
  for (const o of ['--write', '--decode', '--stats', '--json', '--trace-files', '--lossless']) assert.ok(at.stdout.includes(o), o);
});

// .proto files in VS Code, driven over LSP as the extension host drives the engine: a launch
// configuration with "proto" (parsed and expanded by extension/host/launch-config.ts, as Launch
// and Tap… does) starts the real grpc-js server and client of test/fixtures/node/grpc, the
// server's Unix socket taken over; the rows carry the messages by field names, Edit and Send… of a call encodes the edited
// message with the schema and gets the server's typed answer; a capture opened with the setting
// ipctap.protoFiles is typed too (and after Decode As…); a missing or unparsable .proto fails the
// request naming the file, before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { readConfigFile, toStartParams, withProtoSetting } from '../../../extension/host/launch-config';
import { ownEngine, until, type EngineServer } from '../../helpers/engine-server';

const GRPC = resolve(__dirname, '../../fixtures/node/grpc');

interface GrpcMessage {
  kind: string;
  path: string;
  dir: 'request' | 'response';
  message: Record<string, unknown> | null;
}

const decodedOf = (r: P.WireRow) => (r.type === 'frame' ? (JSON.parse(r.decodedJson) as GrpcMessage | null) : null);

async function grpcMessages(engine: EngineServer, sessionId: string): Promise<{ row: P.WireFrameRow; d: GrpcMessage }[]> {
  const all = await engine.request(P.RowsGet, { sessionId, start: 0, count: 5000 });
  return all.rows.flatMap((row) => {
    const d = decodedOf(row);
    return row.type === 'frame' && d?.kind === 'message' ? [{ row, d }] : [];
  });
}

const echo = <T extends { d: GrpcMessage }>(ms: T[], dir: 'request' | 'response') => ms.filter((m) => m.d.path === '/demo.Calc/Echo' && m.d.dir === dir);

test('engine server: a launch configuration\'s "proto" types gRPC rows, and Edit and Send… encodes with it', async (t) => {
  const started: { id?: string } = {};
  const { engine, dir } = await ownEngine(t, async (e) => {
    if (started.id) await e.request(P.SessionStop, { sessionId: started.id }).catch(() => undefined);
  });
  const sock = join(dir, 'grpc.sock');
  // .vscode/ipctap.json of a workspace whose folder is the fixture's: "proto" relative to it. The
  // server's socket is taken over once it is bound; the client, given ${tap:grpc}, starts then.
  const file = readConfigFile(
    JSON.stringify({
      version: 1,
      configurations: [
        {
          name: 'grpc demo',
          proto: ['demo.proto'],
          taps: [{ name: 'grpc', spec: `unix:${sock}` }],
          processes: [
            { name: 'server', command: process.execPath, args: ['${workspaceFolder}/server.mjs', `unix:${sock}`] },
            { name: 'client', command: process.execPath, args: ['${workspaceFolder}/client.mjs', 'unix:${tap:grpc}'] },
          ],
        },
      ],
    }),
  );
  const params = toStartParams(file.configurations[0]!, { workspaceFolder: GRPC, env: {} });
  assert.deepEqual(params.protoFiles, [join(GRPC, 'demo.proto')]);
  const s = await engine.request(P.SessionStart, params);
  started.id = s.id;
  assert.equal(s.state, 'live');
  await until('the client to exit', async () => (await engine.request(P.SessionGet, { sessionId: s.id })).processes.find((p) => p.name === 'client')?.state === 'exited', 30_000);
  const msgs = await until('the Echo call and its answer', async () => {
    const m = await grpcMessages(engine, s.id);
    return echo(m, 'request').length >= 2 && echo(m, 'response').length >= 2 ? m : undefined;
  });

  // Field names from the service definition, not field numbers.
  const call = echo(msgs, 'request')[0]!;
  assert.deepEqual(call.d.message, { text: 'hello ✓', id: 41, tags: ['a', 'b'], blob: Buffer.from([0, 1, 2, 250, 255]).toString('base64') });
  assert.deepEqual(echo(msgs, 'response')[0]!.d.message, { text: 'echo: hello ✓', id: 42, tags: ['a', 'b', 'echoed'], blob: Buffer.from([0, 1, 2, 250, 255]).toString('base64') });
  const sum = msgs.find((m) => m.d.path === '/demo.Calc/Sum' && m.d.dir === 'response');
  assert.deepEqual(sum?.d.message, { sum: 4321, count: 4 });

  // Edit and Send…: the value opens by field names; edited, it is encoded with demo.Note.
  const prep = await engine.request(P.EditPrepare, { sessionId: s.id, id: call.row.id });
  assert.equal(prep.encodable, true);
  assert.equal(prep.target, `unix:${sock}`);
  const value = JSON.parse(prep.text) as GrpcMessage;
  assert.deepEqual(value.message, call.d.message);
  const edited = JSON.stringify({ ...value, message: { ...value.message, text: 'edited ✎', id: 99, tags: ['z'] } });
  const sent = await engine.request(P.EditSend, { sessionId: s.id, id: call.row.id, value: edited, target: prep.target! });
  assert.equal(sent.missing, 0, JSON.stringify(sent));
  assert.match(sent.sides.b, /"text": "echo: edited ✎"/, sent.sides.b);
  assert.match(sent.sides.b, /"id": 100/, sent.sides.b);
  assert.match(sent.sides.b, /"tags": \[\s*"z",\s*"echoed"\s*\]/, sent.sides.b);
  assert.match(sent.sides.a, /"text": "echo: hello ✓"/, 'the captured answer beside it');
  // ... and the new exchange is in the session, typed like the rest.
  const answer = await until("the edited call's answer in the session", async () =>
    echo(await grpcMessages(engine, s.id), 'response').find((m) => m.d.message?.text === 'echo: edited ✎'),
  );
  assert.equal(answer.d.message?.id, 100);
});

test('engine server: a capture opened with ipctap.protoFiles is typed, also after Decode As…; without it, field numbers', async (t) => {
  const { engine, dir } = await ownEngine(t);
  const sock = join(dir, 'grpc.sock');
  const cap = join(dir, 'grpc.ipctap');
  // Captured without any .proto.
  const s = await engine.request(P.SessionStart, {
    name: 'untyped',
    capturePath: cap,
    taps: [{ name: 'grpc', spec: `unix:${sock}` }],
    processes: [
      { name: 'server', command: process.execPath, args: [join(GRPC, 'server.mjs'), `unix:${sock}`] },
      { name: 'client', command: process.execPath, args: [join(GRPC, 'client.mjs'), 'unix:${tap:grpc}'] },
    ],
  });
  await until('the Echo answer', async () => echo(await grpcMessages(engine, s.id), 'response').length >= 2, 30_000);
  await engine.request(P.SessionStop, { sessionId: s.id });
  const untyped = echo(await grpcMessages(engine, s.id), 'request')[0]!;
  assert.equal(untyped.d.message?.text, undefined, 'without a .proto: no field names');

  // Opened as the host opens it with the setting ipctap.protoFiles: ["demo.proto"] in that workspace.
  const opened = await engine.request(P.CaptureOpen, withProtoSetting({ path: cap }, ['demo.proto'], { workspaceFolder: GRPC, env: {} }));
  const typed = await until('typed rows', async () => echo(await grpcMessages(engine, opened.id), 'request')[0]);
  assert.equal(typed.d.message?.text, 'hello ✓');
  assert.equal(typed.d.message?.id, 41);

  // Compare with… the capture file: both sides by field names.
  const compared = await engine.request(P.CaptureDiff, { a: { sessionId: opened.id }, b: { path: cap } });
  assert.match(compared.sides.a, /"text": "hello ✓"/, compared.sides.a);
  assert.match(compared.sides.b, /"text": "echo: hello ✓"/, compared.sides.b);

  // Open Capture as Text of the file, as the host asks for it with the setting: by field names;
  // without the setting, field numbers.
  const uri = `ipctap-text:/grpc%20(text)?path=${encodeURIComponent(cap)}`;
  const text = await engine.request(P.CaptureText, withProtoSetting({ uri, path: cap }, ['demo.proto'], { workspaceFolder: GRPC, env: {} }));
  assert.match(text.text, /Echo request #1 26 bytes Note \{"text":"hello ✓","id":41/, 'the capture file as text, typed');
  const plain = await engine.request(P.CaptureText, { uri: `${uri}&plain`, path: cap });
  assert.match(plain.text, /Echo request #1 26 bytes /, 'the same call');
  assert.doesNotMatch(plain.text, /Note \{"text"/, 'without .proto files, no field names');

  // Decode As… (raw, then grpc again): decoded again with the same .proto files.
  await engine.request(P.SessionDecodeAs, { sessionId: opened.id, decoder: 'raw' });
  await until('raw rows', async () => (await grpcMessages(engine, opened.id)).length === 0 && (await engine.request(P.RowsCount, { sessionId: opened.id })).total > 0);
  await engine.request(P.SessionDecodeAs, { sessionId: opened.id, decoder: 'grpc' });
  const again = await until('typed rows again', async () => echo(await grpcMessages(engine, opened.id), 'response')[0]);
  assert.equal(again.d.message?.text, 'echo: hello ✓');
});

test('engine server: a missing or unparsable .proto fails session/start and capture/open, naming the file', async (t) => {
  const { engine, dir } = await ownEngine(t);
  writeFileSync(join(dir, 'typo.proto'), 'syntax = "proto3";\npackage x;\nmessage A {\n  int32 a = 1\n}\n');
  const ctx = { workspaceFolder: dir, env: {} };
  const launch = (proto: string[]) => toStartParams({ name: 'bad proto', proto, command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, ctx);
  const userError = (message: string) => (e: { code: number; message: string }) => {
    assert.equal(e.code, P.USER_ERROR_CODE);
    assert.equal(e.message, message);
    return true;
  };
  const missing = `cannot load .proto file ${join(dir, 'nope.proto')}: no such file`;
  const typo = `cannot load .proto file ${join(dir, 'typo.proto')}: illegal token '}', ';' expected (line 5)`;
  await assert.rejects(engine.request(P.SessionStart, launch(['nope.proto'])), userError(missing));
  await assert.rejects(engine.request(P.SessionStart, launch([join(GRPC, 'demo.proto'), 'typo.proto'])), userError(typo));
  await assert.rejects(
    engine.request(P.SessionStart, toStartParams({ name: 'bad type', proto: [join(GRPC, 'demo.proto')], protoType: 'demo.Nope', command: 'true' }, ctx)),
    /no message type "demo\.Nope" in the \.proto files \(\S*demo\.proto\); known types: .*demo\.Note/,
  );
  assert.deepEqual(await engine.request(P.SessionList, {}), [], 'nothing started');

  const cap = join(dir, 'empty.ipctap');
  const s = await engine.request(P.SessionStart, { name: 'empty', capturePath: cap });
  await engine.request(P.SessionStop, { sessionId: s.id });
  await engine.request(P.SessionClose, { sessionId: s.id });
  await assert.rejects(engine.request(P.CaptureOpen, withProtoSetting({ path: cap }, ['nope.proto'], ctx)), userError(missing));
  await assert.rejects(engine.request(P.CaptureOpen, withProtoSetting({ path: cap }, ['typo.proto'], ctx)), userError(typo));
  assert.deepEqual(await engine.request(P.SessionList, {}), [], 'no session for a capture that was refused');
});

test('engine server: Decode As… protobuf is typed by the launch configuration\'s "protoType"; with .proto files only, schema-less', async (t) => {
  const { engine, dir } = await ownEngine(t);
  const protobuf = (await import('protobufjs')).default;
  const Note = protobuf.loadSync(join(GRPC, 'demo.proto')).lookupType('demo.Note');
  const cap = join(dir, 'note.ipctap');
  const w = await CaptureWriter.open(cap, { start: 1 });
  w.writeEvent({ kind: 'open', conn: 1, tap: 'tcp:1=127.0.0.1:2', ts: 1, mono: 1 });
  w.writeChunk({ conn: 1, dir: 'c2s', ts: 2, mono: 2, data: Note.encode(Note.fromObject({ text: 'a note', id: 7, tags: ['x'] })).finish() });
  w.writeEvent({ kind: 'close', conn: 1, tap: 'tcp:1=127.0.0.1:2', ts: 3, mono: 3 });
  await w.close();
  const ctx = { workspaceFolder: GRPC, env: {} };
  const decodedAs = async (params: P.CaptureOpenParams) => {
    const s = await engine.request(P.CaptureOpen, params);
    await engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'protobuf' });
    const row = await until('a protobuf row', async () => (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 10, filter: 'proto:protobuf' })).rows[0]);
    return decodedOf(row) as unknown as Record<string, unknown>;
  };
  const typing = toStartParams({ name: 'typed', proto: ['demo.proto'], protoType: 'demo.Note', command: 'true' }, ctx);
  assert.deepEqual(await decodedAs({ path: cap, protoFiles: typing.protoFiles, protoType: typing.protoType }), { text: 'a note', id: 7, tags: ['x'], blob: '' });
  const untyped = await decodedAs(withProtoSetting({ path: cap }, ['demo.proto'], ctx));
  assert.ok(Array.isArray(untyped.fields), JSON.stringify(untyped));
});

test('engine server: Decode As… with a message type the .proto files define decodes protobuf by its field names; a type they do not define is refused', async (t) => {
  const started: { id?: string } = {};
  const { engine } = await ownEngine(t, async (e) => {
    if (started.id) await e.request(P.SessionStop, { sessionId: started.id }).catch(() => undefined);
  });
  const protobuf = (await import('protobufjs')).default;
  const Note = protobuf.loadSync(join(GRPC, 'demo.proto')).lookupType('demo.Note');
  const notes = Buffer.concat([
    Note.encodeDelimited(Note.fromObject({ text: 'first', id: 1, tags: ['a'] })).finish(),
    Note.encodeDelimited(Note.fromObject({ text: 'second', id: 2 })).finish(),
  ]);
  // A real process writes two length-delimited demo.Note messages to its stdout and stays: the
  // session is live. Started with the .proto files (as the setting ipctap.protoFiles gives them), no type.
  const script = `process.stdout.write(Buffer.from(${JSON.stringify(notes.toString('hex'))}, 'hex')); setTimeout(() => {}, 60000);`;
  const params = withProtoSetting(toStartParams({ name: 'notes', command: process.execPath, args: ['-e', script] }, { workspaceFolder: GRPC, env: {} }), ['demo.proto'], {
    workspaceFolder: GRPC,
    env: {},
  });
  const s = await engine.request(P.SessionStart, params);
  started.id = s.id;
  const detail = await engine.request(P.SessionGet, { sessionId: s.id });
  assert.deepEqual(detail.proto, { files: [join(GRPC, 'demo.proto')], types: ['demo.CountRequest', 'demo.Note', 'demo.Num', 'demo.Total'] }, 'the types Decode As… offers');
  await until('the stdout bytes', async () => (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 50, filter: 'dir:stdout' })).rows.length > 0);

  const messages = async (count: number) =>
    until(`${count} protobuf rows`, async () => {
      const rows = (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 50, filter: 'proto:protobuf' })).rows;
      return rows.length === count ? rows.map((r) => decodedOf(r) as unknown as Record<string, unknown>) : undefined;
    });
  // Live: decoded again with the chosen type, by field names.
  const live = await engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'lenvarint+protobuf', protoType: 'demo.Note' });
  assert.equal(live.redecoding, true);
  assert.deepEqual(await messages(2), [
    { text: 'first', id: 1, tags: ['a'], blob: '' },
    { text: 'second', id: 2, tags: [], blob: '' },
  ]);
  assert.equal((await engine.request(P.SessionGet, { sessionId: s.id })).proto?.type, 'demo.Note', 'the session decodes with it from now on');

  // A type the .proto files do not define: refused, naming it and the files; nothing changes.
  await assert.rejects(engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'lenvarint+protobuf', protoType: 'demo.Nope' }), (e: { code: number; message: string }) => {
    assert.equal(e.code, P.USER_ERROR_CODE);
    assert.equal(e.message, `no message type "demo.Nope" in the .proto files (${join(GRPC, 'demo.proto')}); known types: demo.CountRequest, demo.Note, demo.Num, demo.Total`);
    return true;
  });
  assert.equal((await engine.request(P.SessionGet, { sessionId: s.id })).proto?.type, 'demo.Note');

  // Stopped, its capture file is read again: "" is no type (field numbers), then typed again.
  await engine.request(P.SessionStop, { sessionId: s.id });
  await engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'lenvarint+protobuf', protoType: '' });
  const untyped = await messages(2);
  assert.ok(
    untyped.every((m) => Array.isArray(m.fields)),
    JSON.stringify(untyped),
  );
  assert.equal((await engine.request(P.SessionGet, { sessionId: s.id })).proto?.type, undefined);
  await engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'lenvarint+protobuf', protoType: 'demo.Note' });
  assert.equal((await messages(2))[1]!.text, 'second');

  // A session without .proto files has no types to offer, and a type is refused.
  const bare = await engine.request(P.SessionStart, { name: 'bare' });
  await engine.request(P.SessionStop, { sessionId: bare.id });
  assert.equal((await engine.request(P.SessionGet, { sessionId: bare.id })).proto, undefined);
  await assert.rejects(
    engine.request(P.SessionDecodeAs, { sessionId: bare.id, decoder: 'protobuf', protoType: 'demo.Note' }),
    /^Error: protoType needs "proto" \(or the setting ipctap\.protoFiles\): the \.proto files that define demo\.Note$/,
  );
});

// `ipctap send FILE --frame ID --to ENDPOINT`: a captured call edited and sent to the real Go
// net/rpc/jsonrpc server — as a decoded value (encoded back in the same protocol) and as raw
// bytes — and the changed answer reported; plus a MessagePack value with an exact 64-bit integer
// encoded back byte for byte; a ZeroMQ multipart message edited and sent to a real pyzmq server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { cliEnv, LiveCli, readRows, runCli } from '../../helpers/cli';
import { captureRpcCalls, startRpcServer, stopRpcServer } from '../../helpers/go-rpc';
import { encodeValue } from '../../../extension/engine/replay/encode';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import '../../../extension/engine/decoders/core/all';

const env = cliEnv();
after(() => env.cleanup());

/** The Go client's jsonrpc calls to the server at `addr`, captured into `capture`, as rows. */
async function captureJsonrpcCalls(addr: string, capture: string): Promise<Record<string, unknown>[]> {
  await captureRpcCalls(env.env, 'jsonrpc', addr, capture, join(env.dir, 'calls.json'));
  return readRows(capture, [], env.env);
}

test('edit a net/rpc/jsonrpc call and send it: the server answers the new arguments; exit 3; --hex; a server frame is refused', async () => {
  const { server, addr } = await startRpcServer('jsonrpc');
  try {
    const capture = join(env.dir, 'j.ipctap');
    const rows = await captureJsonrpcCalls(addr, capture);
    const call = rows.find((r) => r.type === 'frame' && /Arith\.Multiply #0 \{"A":7,"B":8\}/.test(String(r.summary)))!;
    const value = call.decoded as Record<string, unknown>;
    const edited = JSON.stringify({ ...value, args: { A: 6, B: 7 } });
    const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--value', edited], { env: env.env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /was\s+← Arith\.Multiply #0 56\n\s+now\s+← Arith\.Multiply #0 42/, r.stdout);
    const j = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--value', edited, '--json'], { env: env.env });
    const res = JSON.parse(j.stdout) as { type: string; responses: { result: string; now: { decoded: { reply: number } } }[] };
    assert.equal(res.type, 'send-result');
    assert.equal(res.responses[0]!.now.decoded.reply, 42);
    const same = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--value', JSON.stringify(value)], { env: env.env });
    assert.equal(same.code, 0, `the unedited value answers as before: ${same.stdout}`);
    const hex = Buffer.from('{"method":"Arith.Multiply","params":[{"A":2,"B":3}],"id":0}').toString('hex');
    const h = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--hex', hex], { env: env.env });
    assert.match(h.stdout, /now\s+← Arith\.Multiply #0 6/, h.stdout);
    const reply = rows.find((x) => x.type === 'frame' && x.dir === 's2c')!;
    const bad = await runCli(['send', capture, '--frame', String(reply.id), '--to', `tcp:${addr}`, '--value', '1'], { env: env.env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /was sent by the server/);
  } finally {
    stopRpcServer(server);
  }
});

test('a server that closes the connection before the edited call: "edited not sent", exit 3, editedSent false', async () => {
  const { server, addr } = await startRpcServer('jsonrpc');
  // The same service, closing each connection once it has answered one request.
  const closing = await startRpcServer('jsonrpc', 'close-after=1');
  try {
    const capture = join(env.dir, 'closing.ipctap');
    const rows = await captureJsonrpcCalls(addr, capture);
    // The client's third call on its connection: the server closes after answering the first.
    const call = rows.find((r) => r.type === 'frame' && /Arith\.Multiply #2 \{"A":-3,"B":5\}/.test(String(r.summary)))!;
    assert.ok(call, 'the third call was captured');
    const edited = JSON.stringify({ ...(call.decoded as Record<string, unknown>), args: { A: 6, B: 7 } });
    const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${closing.addr}`, '--value', edited], { env: env.env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    // (The second call is written before the server's close or after it: into a connection the
    // server no longer reads either way.)
    assert.match(r.stdout, new RegExp(`#${String(call.id)} edited not sent: the fresh connection stopped after [12] of its 3 client frames`), r.stdout);
    assert.match(r.stderr, /the server closed the connection before frame [23] of 3 was sent/, r.stderr);
    const j = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${closing.addr}`, '--value', edited, '--json'], { env: env.env });
    assert.equal(j.code, 3, j.stdout + j.stderr);
    const res = JSON.parse(j.stdout) as { sent: number; total: number; editedSent: boolean };
    assert.deepEqual({ total: res.total, editedSent: res.editedSent }, { total: 3, editedSent: false });
    assert.ok(res.sent < 3, `sent ${res.sent}`);
    // The same edit to the server that stays: sent, and answered.
    const ok = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--value', edited, '--json'], { env: env.env });
    assert.equal((JSON.parse(ok.stdout) as { editedSent: boolean }).editedSent, true, ok.stdout + ok.stderr);
  } finally {
    for (const s of [server, closing.server]) stopRpcServer(s);
  }
});

test('round trip: encode(decode(bytes)) is the bytes for MessagePack (exact 64-bit) and JSON-RPC over LSP framing', () => {
  const mp = Buffer.from([0x82, 0xa1, 0x6e, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xa1, 0x73, 0xa2, 0x68, 0x69]); // {n: 2^64-2, s: "hi"}
  const f = resolveDecoder('msgpack').create().push('c2s', mp)[0]!;
  assert.deepEqual(Buffer.from(encodeValue('msgpack', f.decoded, f.data)), mp);
  const body = '{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"line":3}}';
  const lsp = Buffer.from(`Content-Length: ${body.length}\r\n\r\n${body}`);
  const g = resolveDecoder('lsp').create().push('c2s', lsp)[0]!;
  assert.deepEqual(Buffer.from(encodeValue(g.proto ?? 'lsp', g.decoded, g.data)).toString(), lsp.toString());
});

test('edit a Go net/rpc (gob) call and send it to the real server: the reply is the product of the edited arguments', async () => {
  const { server, addr } = await startRpcServer('tcp');
  try {
    const capture = join(env.dir, 'g.ipctap');
    await captureRpcCalls(env.env, 'tcp', addr, capture, join(env.dir, 'gcalls.json'));
    const rows = await readRows(capture, [], env.env);
    const calls = rows.filter((r) => r.type === 'frame' && r.dir === 'c2s' && (r.decoded as { kind?: string } | null)?.kind === 'request');
    // the first call carries the type definitions of rpc.Request and Args; a later one relies on them
    const first = calls.find((r) => /Arith\.Multiply #0 /.test(String(r.summary)))!;
    const later = calls.find((r) => /Arith\.Multiply #2 /.test(String(r.summary)))!;
    assert.ok(first && later, rows.map((r) => r.summary).join('\n'));
    for (const [call, args, product] of [
      [first, { A: 6, B: 7 }, 42],
      [later, { A: -3, B: 1000000 }, -3000000],
    ] as const) {
      const edited = JSON.stringify({ ...(call.decoded as object), args });
      const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:${addr}`, '--value', edited, '--json'], { env: env.env });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const res = JSON.parse(r.stdout) as { responses: { result: string; now: { decoded: { reply: unknown; seq: number } } | null }[] };
      const changed = res.responses.filter((x) => x.result !== 'same');
      assert.equal(changed.length, 1, r.stdout);
      assert.equal(changed[0]!.now!.decoded.reply, product, r.stdout);
    }
    // unedited: byte for byte what the client sent, so every answer is as before
    const same = await runCli(['send', capture, '--frame', String(later.id), '--to', `tcp:${addr}`, '--value', JSON.stringify(later.decoded)], { env: env.env });
    assert.equal(same.code, 0, same.stdout + same.stderr);
    const wrong = await runCli(
      ['send', capture, '--frame', String(later.id), '--to', `tcp:${addr}`, '--value', JSON.stringify({ ...(later.decoded as object), args: { A: 1, C: 2 } })],
      { env: env.env },
    );
    assert.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
    assert.match(wrong.stderr, /Args has no field "C"/);

    // --edit: the value opens in $EDITOR (here a script that changes B, as a user would); what it
    // saves is sent. The temporary file is gone afterwards.
    const tmp = join(env.dir, 'tmp');
    mkdirSync(tmp);
    const editor = (name: string, script: string): string => {
      const path = join(env.dir, name);
      writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      return path;
    };
    const editEnv = (ed: string) => ({ ...env.env, TMPDIR: tmp, VISUAL: '', EDITOR: ed });
    const setB = editor('set-b.sh', `grep -q '"serviceMethod": "Arith.Multiply"' "$1" && sed -i 's/"B": [-0-9]*/"B": 1000/' "$1"`);
    const e = await runCli(['send', capture, '--frame', String(first.id), '--to', `tcp:${addr}`, '--edit', '--json'], { env: editEnv(setB) });
    assert.equal(e.code, 3, e.stdout + e.stderr);
    const sentBack = JSON.parse(e.stdout) as { responses: { result: string; now: { decoded: { reply: unknown } } | null }[] };
    const firstArgs = (first.decoded as { args: { A: number } }).args;
    assert.deepEqual(
      sentBack.responses.filter((x) => x.result !== 'same').map((x) => x.now?.decoded.reply),
      [firstArgs.A * 1000],
    );
    assert.deepEqual(readdirSync(tmp), [], 'the file edited is removed');
    // An editor that fails, or a file left empty: nothing is sent (exit 1).
    const failed = await runCli(['send', capture, '--frame', String(first.id), '--to', `tcp:${addr}`, '--edit'], { env: editEnv(editor('fail.sh', 'exit 4')) });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /exited with code 4: nothing sent/);
    const emptied = await runCli(['send', capture, '--frame', String(first.id), '--to', `tcp:${addr}`, '--edit'], { env: editEnv(editor('empty.sh', ': > "$1"')) });
    assert.equal(emptied.code, 1, emptied.stderr);
    assert.match(emptied.stderr, /the edited message is empty: nothing sent/);
    assert.deepEqual(readdirSync(tmp), []);
    // An edit that does not fit the type is kept for --value-file, not lost.
    const misfit = await runCli(['send', capture, '--frame', String(first.id), '--to', `tcp:${addr}`, '--edit'], {
      env: editEnv(editor('misfit.sh', `sed -i 's/"B":/"C":/' "$1"`)),
    });
    assert.equal(misfit.code, 2, misfit.stderr);
    const kept = /your edit is kept in (\S+): send it with --value-file/.exec(misfit.stderr)?.[1];
    assert.ok(kept, misfit.stderr);
    assert.match(readFileSync(kept, 'utf8'), /"C": -?\d+/);
  } finally {
    stopRpcServer(server);
  }
});

test('edit a gRPC unary call and send it to the real grpc-js server: typed with --proto and schema-less', async () => {
  const dir = join(__dirname, '../../fixtures/node/grpc');
  const proto = join(dir, 'demo.proto');
  const server = spawn(process.execPath, [join(dir, 'server.mjs'), '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = JSON.parse(await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res))).listening as number;
    const capture = join(env.dir, 'grpc.ipctap');
    const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:0=127.0.0.1:${port}`], env.env);
    try {
      const ready = await live.waitFor((r) => r.kind === 'tap-ready');
      const c = spawnSync(process.execPath, [join(dir, 'client.mjs'), `127.0.0.1:${String(ready.address).split(':').pop()}`], { encoding: 'utf8' });
      assert.equal(c.status, 0, c.stderr);
    } finally {
      await live.stop();
    }
    const rows = await readRows(capture, ['--proto', proto], env.env);
    const isEcho = (r: Record<string, unknown>) => {
      const d = r.decoded as { kind?: string; path?: string; dir?: string; compressed?: boolean } | null;
      return r.type === 'frame' && d?.kind === 'message' && d.path === '/demo.Calc/Echo' && d.dir === 'request' && !d.compressed;
    };
    const call = rows.find(isEcho)!;
    assert.ok(call, 'an Echo request in the capture');
    const d = call.decoded as { message: Record<string, unknown> };
    const edited = { ...d, message: { ...d.message, text: 'edited', id: '41' } };
    const r = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:127.0.0.1:${port}`, '--proto', proto, '--value', JSON.stringify(edited), '--json'], {
      env: env.env,
    });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as { responses: { result: string; now: { decoded: { kind: string; message?: { text: string; id: number }; statusName?: string } } | null }[] };
    const msg = res.responses.find((x) => x.now?.decoded.kind === 'message')!;
    assert.equal(msg.result, 'differs');
    assert.equal(msg.now!.decoded.message!.text, 'echo: edited');
    assert.equal(msg.now!.decoded.message!.id, 42);
    assert.equal(res.responses.find((x) => x.now?.decoded.kind === 'trailers')!.now!.decoded.statusName, 'OK');
    // unedited: the same answer
    const same = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:127.0.0.1:${port}`, '--proto', proto, '--value', JSON.stringify(d)], { env: env.env });
    assert.equal(same.code, 0, same.stdout + same.stderr);
    // schema-less: the capture read without --proto, the string field edited in its fields form
    const raw = (await readRows(capture, [], env.env)).find((x) => x.id === call.id)!;
    const rd = raw.decoded as { message: { fields: { n: number; string?: string }[] } };
    const fields = rd.message.fields.map((f) => (f.n === 1 ? { ...f, string: 'raw edit' } : f));
    const s = await runCli(['send', capture, '--frame', String(call.id), '--to', `tcp:127.0.0.1:${port}`, '--value', JSON.stringify({ ...rd, message: { fields } })], {
      env: env.env,
    });
    assert.equal(s.code, 3, s.stdout + s.stderr);
    assert.match(s.stdout, /echo: raw edit/, s.stdout);
  } finally {
    server.kill();
  }
});

/** A python3-zmq REP server answering each message with "echo:" before its first part. */
const ZMQ_ECHO = `
import sys, zmq
ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
port = rep.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)
while True:
    m = rep.recv_multipart()
    rep.send_multipart([b"echo:" + m[0]] + m[1:])
`;
/** A REQ client sending [hello N, <binary>] three times through ADDR. */
const ZMQ_CLIENT = `
import sys, zmq
ctx = zmq.Context()
req = ctx.socket(zmq.REQ)
req.connect("tcp://" + sys.argv[1])
for i in range(3):
    req.send_multipart([b"hello %d" % i, bytes([0, 1, 2, 255])])
    if not req.poll(5000): sys.exit("no answer")
    req.recv_multipart()
req.close(linger=1000)
`;

test('edit a ZeroMQ multipart message and send it to a real pyzmq REP server: the text part and a new part arrive', async () => {
  const server = spawn('/usr/bin/python3', ['-c', ZMQ_ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((res) => createInterface({ input: server.stdout! }).once('line', res));
    const capture = join(env.dir, 'z.ipctap');
    const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:0=127.0.0.1:${port}`], env.env);
    try {
      const ready = await live.waitFor((r) => r.kind === 'tap-ready');
      const c = spawnSync('/usr/bin/python3', ['-c', ZMQ_CLIENT, `127.0.0.1:${String(ready.address).split(':').pop()}`], { encoding: 'utf8' });
      assert.equal(c.status, 0, c.stderr);
    } finally {
      await live.stop();
    }
    const rows = await readRows(capture, [], env.env);
    const msgs = rows.filter((r) => r.type === 'frame' && r.dir === 'c2s' && (r.decoded as { kind?: string } | null)?.kind === 'message');
    const second = msgs.find((r) => ((r.decoded as { text: (string | null)[] }).text ?? []).some((t) => t === 'hello 1'))!;
    assert.ok(second, rows.map((r) => r.summary).join('\n'));
    const value = second.decoded as { parts: string[]; text: (string | null)[] };
    // REQ puts an empty delimiter part first: the text parts follow it
    const at = value.text.indexOf('hello 1');
    const text = [...value.text];
    text[at] = 'edited ✓';
    const edited = { ...value, text: [...text, 'a new part'], parts: [...value.parts, Buffer.from('a new part').toString('base64')] };
    const r = await runCli(['send', capture, '--frame', String(second.id), '--to', `tcp:127.0.0.1:${port}`, '--value', JSON.stringify(edited), '--json'], { env: env.env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as { responses: { result: string; now: { decoded: { text: (string | null)[]; parts: string[] } } | null }[] };
    const changed = res.responses.filter((x) => x.result !== 'same');
    assert.equal(changed.length, 1, r.stdout);
    const now = changed[0]!.now!.decoded;
    assert.ok(now.text.includes('echo:edited ✓'), JSON.stringify(now));
    assert.ok(now.text.includes('a new part'), JSON.stringify(now));
    assert.ok(now.parts.includes(Buffer.from([0, 1, 2, 255]).toString('base64')), 'the binary part went as it was');
    // unedited: the very bytes the client sent, so every answer is as before
    const same = await runCli(['send', capture, '--frame', String(second.id), '--to', `tcp:127.0.0.1:${port}`, '--value', JSON.stringify(value)], { env: env.env });
    assert.equal(same.code, 0, same.stdout + same.stderr);
    // and the encoder gives those bytes back for the unedited value
    const wire = Buffer.from(String(second.data), 'base64');
    assert.deepEqual(Buffer.from(encodeValue('zmtp', value, wire)), wire);
  } finally {
    server.kill();
  }
});

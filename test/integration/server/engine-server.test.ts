// The engine as a language server, driven over LSP like the extension host drives it: a real
// Go net/rpc server and client launched through a TCP proxy tap, rows by range and filter,
// replay, signals, capture files, the text document's outline and hover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { exampleBinary } from '../../helpers/examples';
import { until, startEngineServer, type EngineServer } from '../../helpers/engine-server';

test('engine server: launch, rows, replay, signal, capture, text features', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-server-'));
  const server = exampleBinary('rpcserver');
  const client = exampleBinary('rpcclient');
  const engine: EngineServer = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  const notices: P.SessionChangedParams[] = [];
  engine.onNotification(P.SessionChanged, (p) => notices.push(p));
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = 20000 + (process.pid % 20000);

  const s = await engine.request(P.SessionStart, {
    name: 'rpc demo',
    taps: [{ name: 'rpc', spec: 'tcp:0=127.0.0.1:' + port }],
    processes: [
      { name: 'server', command: server, args: ['-listen', `127.0.0.1:${port}`] },
      { name: 'client', command: client, args: ['-connect', '${tap:rpc}', '-n', '3', '-interval', '10ms'], delayMs: 200 },
    ],
  });
  assert.equal(s.state, 'live');
  assert.equal(s.processes.length, 2);
  assert.match(s.capturePath!, /\.ipctap$/);
  assert.ok(s.capturePath!.startsWith(dir), 'the capture goes to the state dir');
  const proxy = s.taps.find((x) => x.name === 'rpc');
  assert.ok(proxy?.address && proxy.address !== `127.0.0.1:${port}`, 'the tap listens on its own port');

  // The client exits after its calls.
  await until('client exit', async () => {
    const d = await engine.request(P.SessionGet, { sessionId: s.id });
    return d.processes.find((p) => p.name === 'client')?.state === 'exited' ? d : undefined;
  });
  const calls = await until('Multiply frames', async () => {
    const r = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'method:Arith.Multiply' });
    return r.total >= 6 ? r : undefined;
  });
  const req = calls.rows.find((r): r is P.WireFrameRow => r.type === 'frame' && r.dir === 'c2s')!;
  assert.ok(req, 'a request frame');
  assert.match(req.summary, /Arith\.Multiply/);
  assert.ok(Buffer.from(req.data, 'base64').length === req.len, 'data is base64 of len bytes');
  JSON.parse(req.decodedJson); // exact JSON text
  const reply = calls.rows.find((r): r is P.WireFrameRow => r.type === 'frame' && r.dir === 's2c' && r.pair?.role === 'response')!;
  assert.ok(reply?.pair?.request, 'replies link to their request');

  // Byte ranges, field by field: the gob header's ServiceMethod and the args' fields.
  const bytesAt = (row: P.WireFrameRow, path: string) => {
    const r = row.ranges?.find((x) => x.path === path);
    return r ? Buffer.from(row.data, 'base64').subarray(r.start, r.end) : undefined;
  };
  assert.match(String(bytesAt(req, '/serviceMethod')), /Arith\.Multiply/);
  const args = JSON.parse(req.decodedJson).args as { A: number; B: number };
  // gob writes a small non-negative int n as one byte, 2n.
  if (args.A > 0 && args.A < 64) assert.deepEqual([...bytesAt(req, '/args/A')!], [args.A * 2]);
  assert.ok(bytesAt(req, '/args'), 'the body as a whole');
  assert.ok(bytesAt(reply, '/reply'), 'the reply value');

  // Range paging and finding a row by id.
  const all = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 5000 });
  assert.equal((await engine.request(P.RowsCount, { sessionId: s.id })).total, all.total);
  const page = await engine.request(P.RowsGet, { sessionId: s.id, start: 2, count: 3 });
  assert.deepEqual(
    page.rows.map((r) => r.id),
    all.rows.slice(2, 5).map((r) => r.id),
  );
  const found = await engine.request(P.RowsFind, { sessionId: s.id, id: reply.id, filter: 'method:Arith.Multiply' });
  assert.equal(calls.rows[found.index]!.id, reply.id);
  assert.ok(
    notices.some((n) => n.sessionId === s.id && n.appended),
    'appended-row notices arrived',
  );
  assert.ok(notices.length < all.total, 'notices are throttled, not one per row');

  // Replay the rpc connection against the (still running) server: every response the same.
  const conns = (await engine.request(P.SessionGet, { sessionId: s.id })).connectionList;
  const rpcConn = conns.find((c) => c.tap.startsWith('tcp:') && c.frames > 0)!;
  assert.ok(rpcConn, 'the proxied connection is listed');
  const replay = await engine.request(P.ReplayStart, { sessionId: s.id, conn: rpcConn.conn });
  assert.ok(replay.responses.length >= 3, `responses compared: ${JSON.stringify(replay)}`);
  assert.ok(replay.allSame, `every response the same: ${JSON.stringify(replay.responses)}`);

  // SIGTERM the server: its exit is recorded and the outcome says so.
  const srv = s.processes.find((p) => p.name === 'server')!;
  const sig = await engine.request(P.SignalSend, { sessionId: s.id, pid: srv.pid, signal: 'SIGTERM' });
  assert.match(sig.outcome, /SIGTERM/);
  const exit = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 10, filter: 'kind:exit' });
  assert.ok(exit.rows.some((r) => r.type === 'event' && r.pid === srv.pid && r.signal === 'SIGTERM'));

  // Replay with the server gone: a clear error, and no session left behind for it.
  await until('session ended', async () => ((await engine.request(P.SessionGet, { sessionId: s.id })).state === 'ended' ? true : undefined));
  const before = (await engine.request(P.SessionList, {})).length;
  await assert.rejects(engine.request(P.ReplayStart, { sessionId: s.id, conn: rpcConn.conn }), /nothing is listening at 127\.0\.0\.1:/);
  assert.equal((await engine.request(P.SessionList, {})).length, before, 'no phantom replay session');

  // Bad input: a clear user error, nothing else breaks.
  await assert.rejects(engine.request(P.SignalSend, { pid: srv.pid, signal: 'SIGNOPE' }), (e: { code: number; message: string }) => {
    assert.equal(e.code, P.USER_ERROR_CODE);
    assert.match(e.message, /SIGNOPE/);
    return true;
  });
  await assert.rejects(engine.request(P.SessionStart, { taps: [{ spec: 'bogus:1' }] }), (e: { code: number; message: string }) => {
    assert.equal(e.code, P.USER_ERROR_CODE);
    assert.match(e.message, /bogus/);
    return true;
  });

  // Capture as text: outline lists the RPC calls; hover shows the decoded value and hex.
  const uri = `ipctap-text:/rpc.ipctap-text?session=${s.id}`;
  const text = (await engine.request(P.CaptureText, { uri, sessionId: s.id })).text;
  assert.match(text, /^connection \d+/m);
  const symbols = (await engine.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as {
    name: string;
    children: { name: string; range: { start: { line: number } } }[];
  }[];
  const rpcSym = symbols.find((x) => x.children.some((c) => c.name.includes('Arith.Multiply')));
  assert.ok(rpcSym, `outline lists the calls: ${JSON.stringify(symbols.map((x) => x.name))}`);
  const line = rpcSym!.children.find((c) => c.name.includes('Arith.Multiply'))!.range.start.line;
  const hover = (await engine.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 4 } })) as {
    contents: { value: string };
  };
  assert.match(hover.contents.value, /Arith\.Multiply/);
  assert.match(hover.contents.value, /00000000 {2}[0-9a-f]{2} /, 'hex dump');
  const lines = text.split('\n');
  const replyLine = lines.findIndex((l) => l.startsWith(`  #${reply.id} `));
  const def = (await engine.conn.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: replyLine, character: 3 } })) as {
    range: { start: { line: number } };
  };
  assert.ok(lines[def.range.start.line]!.startsWith(`  #${reply.pair!.request} `), 'definition of a reply is its request');
  const folds = (await engine.conn.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as unknown[];
  assert.ok(folds.length >= 2, 'a fold per connection and the events');

  // Stop, then open the capture file: the same rows come back.
  await engine.request(P.SessionStop, { sessionId: s.id });
  const total = (await engine.request(P.RowsCount, { sessionId: s.id })).total;
  const opened = await engine.request(P.CaptureOpen, { path: s.capturePath! });
  assert.equal(opened.state, 'file');
  await until('capture read', async () => ((await engine.request(P.RowsCount, { sessionId: opened.id })).total >= total - 2 ? true : undefined));
  const reread = await engine.request(P.RowsGet, { sessionId: opened.id, start: 0, count: 100, filter: 'method:Arith.Multiply' });
  const live = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'method:Arith.Multiply' });
  assert.ok(reread.total >= 12, 'original and replayed calls are in the file');
  assert.deepEqual(
    reread.rows.filter((r) => r.type === 'frame').map((r) => (r as P.WireFrameRow).data),
    live.rows.filter((r) => r.type === 'frame').map((r) => (r as P.WireFrameRow).data),
  );
  await assert.rejects(engine.request(P.CaptureOpen, { path: join(dir, 'missing.ipctap') }), /no capture file/);

  // Closing a session removes the capture file the server made for it.
  await engine.request(P.SessionClose, { sessionId: opened.id });
  await engine.request(P.SessionClose, { sessionId: s.id });
  assert.equal(existsSync(s.capturePath!), false);
  assert.deepEqual(
    readdirSync(join(dir, 'sessions')).filter((f) => f.startsWith('rpc')),
    [],
  );
});

test('engine server: a signal says what the process did; the session ends when its process exits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-server-'));
  const engine: EngineServer = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const s = await engine.request(P.SessionStart, { name: 'signals', decode: 'lines', processes: [{ name: 'signals', command: exampleBinary('signals') }] });
  const pid = s.processes[0]!.pid;
  // (the program prints this line once its signal handlers are in place; "tap-ready" events do not match)
  await until('ready line', async () => (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 50, filter: 'type:frame "demo ready"' })).total > 0 || undefined);

  // SIGHUP: the program prints two lines ("received hangup", "reloading configuration") and runs on.
  const hup = await engine.request(P.SignalSend, { sessionId: s.id, pid, signal: 'SIGHUP' });
  assert.match(hup.outcome, /^wrote [12] lines? on stdout \d+ ms later$/, hup.outcome);
  assert.equal((await engine.request(P.SessionGet, { sessionId: s.id })).state, 'live');

  // SIGTERM: it says so, then exits; the session ends by itself and keeps every row.
  const term = await engine.request(P.SignalSend, { sessionId: s.id, pid, signal: 'SIGTERM' });
  assert.match(term.outcome, /exited/, term.outcome);
  const ended = await until('session ended', async () => {
    const d = await engine.request(P.SessionGet, { sessionId: s.id });
    return d.state === 'ended' ? d : undefined;
  });
  assert.equal(ended.processes[0]!.state, 'exited');
  assert.ok(
    ended.connectionList.every((c) => !c.open),
    'no connection left open',
  );
  const rows = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'exiting with code 143' });
  assert.equal(rows.total, 1, 'the last line is captured');

  // Decode As… on the ended session: the capture is decoded again, rows replaced in place.
  const before = (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 0, filter: 'proto:lines' })).total;
  assert.ok(before > 0);
  await assert.rejects(engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'nosuch' }), /nosuch/);
  assert.deepEqual(await engine.request(P.SessionDecodeAs, { sessionId: s.id, decoder: 'raw' }), { redecoding: true });
  await until('frames decoded again as raw', async () => {
    const [lines, raw] = await Promise.all(['proto:lines', 'proto:raw'].map((f) => engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 0, filter: f })));
    return lines!.total === 0 && raw!.total > 0 ? true : undefined;
  });
  const again = await engine.request(P.SessionGet, { sessionId: s.id });
  assert.equal(again.state, 'ended');
  assert.ok(again.rows >= rows.total, 'every row is back');
});

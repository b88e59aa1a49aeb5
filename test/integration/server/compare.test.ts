// The engine server's capture/exportPcapng and capture/diff (VS Code's "Export as pcapng…" and
// "Compare with…"): two sessions of the example net/rpc programs, compared (the same calls), a
// file of one of them compared with a session of the other, and one exported and read back by
// tshark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { exampleBinary } from '../../helpers/examples';
import { until, startEngineServer, type EngineServer } from '../../helpers/engine-server';

const untilLong = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> => until(what, fn, 20_000);

test('engine server: compare two sessions and a file, export as pcapng', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-compare-'));
  const engine: EngineServer = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (name: string, port: number) => {
    const s = await engine.request(P.SessionStart, {
      name,
      taps: [{ name: 'rpc', spec: 'tcp:0=127.0.0.1:' + port }],
      processes: [
        { name: 'server', command: exampleBinary('rpcserver'), args: ['-listen', `127.0.0.1:${port}`] },
        { name: 'client', command: exampleBinary('rpcclient'), args: ['-connect', '${tap:rpc}', '-n', '3', '-interval', '10ms'], delayMs: 200 },
      ],
    });
    await untilLong(`${name}: client exit`, async () =>
      (await engine.request(P.SessionGet, { sessionId: s.id })).processes.some((p) => p.name === 'client' && p.state === 'exited'),
    );
    await engine.request(P.SessionStop, { sessionId: s.id });
    return s;
  };
  const base = 20000 + (process.pid % 20000);
  const a = await run('first', base);
  const b = await run('second', base + 1);
  // The same calls and answers; only the server's first line (its port and pid) differs.
  const d = await engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b: { sessionId: b.id } });
  assert.equal(d.different, true, d.text);
  assert.deepEqual({ changed: d.counts.changed, onlyA: d.counts.onlyA, onlyB: d.counts.onlyB }, { changed: 1, onlyA: 0, onlyB: 0 }, d.text);
  assert.match(d.text, new RegExp(`/: "rpcserver listening on tcp 127\\.0\\.0\\.1:${base} \\(pid \\d+\\)" → "rpcserver listening on tcp 127\\.0\\.0\\.1:${base + 1} `), d.text);
  assert.match(d.text, /Arith\.Multiply\s+A\s+\S+ \(3 calls\)\s+B\s+\S+ \(3 calls\)/);
  // side by side: the same messages line up; the server's first line differs in its port
  assert.match(d.sides.a, new RegExp(`rpcserver listening on tcp 127\\.0\\.0\\.1:${base} `));
  assert.match(d.sides.b, new RegExp(`rpcserver listening on tcp 127\\.0\\.0\\.1:${base + 1} `));
  const multiply = (text: string) => text.split('\n').filter((l) => /Arith\.Multiply/.test(l));
  assert.deepEqual(multiply(d.sides.a), multiply(d.sides.b));
  assert.ok(multiply(d.sides.a).length >= 6, d.sides.a);

  // Edit and Send…: a Multiply call of the first session with other arguments, to a real server
  const calls = await engine.request(P.RowsGet, { sessionId: a.id, start: 0, count: 200, filter: 'Arith.Multiply' });
  const call = calls.rows.find((r) => r.type === 'frame' && r.dir === 'c2s')!;
  assert.ok(call, JSON.stringify(calls.rows));
  const prep = await engine.request(P.EditPrepare, { sessionId: a.id, id: call.id });
  assert.equal(prep.encodable, true);
  assert.equal(prep.target, `tcp:127.0.0.1:${base}`);
  const value = JSON.parse(prep.text) as { args: { A: number; B: number } };
  assert.equal(value.args.B, 7);
  const server = await engine.request(P.SessionStart, {
    name: 'server for the edited call',
    processes: [{ name: 'server', command: exampleBinary('rpcserver'), args: ['-listen', `127.0.0.1:${base + 2}`] }],
  });
  await untilLong('server listening', async () =>
    (await engine.request(P.RowsGet, { sessionId: server.id, start: 0, count: 5, filter: '' })).rows.some((r) => r.type === 'frame' && /listening/.test(r.summary)),
  );
  const sent = await engine.request(P.EditSend, { sessionId: a.id, id: call.id, value: JSON.stringify({ ...value, args: { A: 6, B: 111 } }), target: `tcp:127.0.0.1:${base + 2}` });
  assert.equal(sent.different, 1, JSON.stringify(sent));
  assert.match(sent.sides.b, /Arith\.Multiply #\d+ 666/, sent.sides.b);
  assert.doesNotMatch(sent.sides.a, /666/);
  // each message's bytes are there too, so the diff marks the changed bytes as well
  const dumps = (t: string) => t.split('\n').filter((l) => /^ {2}[0-9a-f]{4} {2}/.test(l));
  assert.ok(dumps(sent.sides.a).length > 0 && dumps(sent.sides.b).length > 0, sent.sides.b);
  assert.notDeepEqual(dumps(sent.sides.a), dumps(sent.sides.b));
  assert.notEqual(sent.sessionId, a.id, 'a stopped session: the exchange is a new session');
  await assert.rejects(
    engine.request(P.EditSend, { sessionId: a.id, id: call.id, value: '{"kind":"request","args":{"C":1}}', target: `tcp:127.0.0.1:${base + 2}` }),
    /Args has no field "C"/,
  );
  await engine.request(P.SessionStop, { sessionId: server.id });

  const withFile = await engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b: { path: a.capturePath! } });
  assert.equal(withFile.different, false, 'a session against its own capture file');
  const out = join(dir, 'first.pcapng');
  const ex = await engine.request(P.CaptureExport, { sessionId: a.id, out });
  assert.ok(ex.connections >= 1 && ex.packets > 6, JSON.stringify(ex));
  if (spawnSync('tshark', ['--version']).status === 0) {
    const r = spawnSync('tshark', ['-r', out, '-q', '-z', 'conv,tcp'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /127\.0\.0\.1:\d+\s+<-> 127\.0\.0\.1:\d+/);
  }
  await assert.rejects(engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b: { path: join(dir, 'missing.ipctap') } }), /no such capture file/);

  // Compare with… reads a session as the panel shows it: the first decoded as raw (Decode As…)
  // no longer has net/rpc calls to line up with the second's.
  const count = async (sessionId: string, filter: string) => (await engine.request(P.RowsCount, { sessionId, filter })).total;
  assert.ok((await count(a.id, 'proto:netrpc')) > 0);
  await engine.request(P.SessionDecodeAs, { sessionId: a.id, decoder: 'raw' });
  let last = -1;
  await untilLong('the first session decoded again as raw', async () => {
    const [n, netrpc, s] = [await count(a.id, 'proto:raw'), await count(a.id, 'proto:netrpc'), await engine.request(P.SessionGet, { sessionId: a.id })];
    const done = n > 0 && n === last && netrpc === 0 && !s.decoding;
    last = n;
    return done;
  });
  const raw = await engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b: { sessionId: b.id } });
  const callLines = (text: string) => text.split('\n').filter((l) => /Arith\.Multiply #\d/.test(l));
  assert.deepEqual(callLines(raw.sides.a), [], raw.sides.a);
  assert.deepEqual(callLines(raw.sides.b), callLines(d.sides.b));
  assert.ok(callLines(d.sides.b).length >= 6, d.sides.b);
  assert.ok(raw.counts.onlyA + raw.counts.onlyB + raw.counts.changed > d.counts.changed, raw.text);
  const own = await engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b: { path: a.capturePath! } });
  assert.equal(own.different, true, 'the session decoded as raw against its file decoded as captured');
});

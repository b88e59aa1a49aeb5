// The Flow and Statistics tabs' requests (flow/get, stats/get) on the engine server, over LSP as
// the extension host drives it, on a real Go net/rpc server and client through a TCP proxy tap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { FLOW_FOLD_GAP_US, FlowGet, StatsGet, type FlowWireItem } from '../../../extension/shared/views';
import { exampleBinary } from '../../helpers/examples';
import { until, startEngineServer } from '../../helpers/engine-server';

test('engine server: the flow by range under the filter, statistics per method and connection', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-flow-'));
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = 20000 + ((process.pid + 7) % 20000);
  const s = await engine.request(P.SessionStart, {
    name: 'rpc flow',
    taps: [{ name: 'rpc', spec: 'tcp:0=127.0.0.1:' + port }],
    processes: [
      { name: 'server', command: exampleBinary('rpcserver'), args: ['-listen', `127.0.0.1:${port}`] },
      { name: 'client', command: exampleBinary('rpcclient'), args: ['-connect', '${tap:rpc}', '-n', '3', '-interval', '10ms'], delayMs: 200 },
    ],
  });
  const detail = await until('client exit', async () => {
    const d = await engine.request(P.SessionGet, { sessionId: s.id });
    return d.processes.find((p) => p.name === 'client')?.state === 'exited' ? d : undefined;
  });
  const serverPid = detail.processes.find((p) => p.name === 'server')!.pid!;
  const clientPid = detail.processes.find((p) => p.name === 'client')!.pid!;

  // Wait for the client's exit row (the process state can run ahead of the rows).
  const flow = await until('the flow with the client exit', async () => {
    const f = await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 1000 });
    return f.items.some((i) => i?.kind === 'mark' && i.at === `pid:${clientPid}`) ? f : undefined;
  });
  const labels = flow.lifelines.map((l) => l.label);
  // Named by command and pid (the test's binaries carry a build hash in their names).
  assert.ok(
    labels.some((l) => new RegExp(`^rpcserver\\S* ${serverPid}$`).test(l)),
    labels.join(', '),
  );
  // The server's end of the TCP connection: its process when /proc names it, else the address.
  const serverSide = new Set([`pid:${serverPid}`, `ep:127.0.0.1:${port}`]);
  assert.ok(
    labels.some((l) => new RegExp(`^rpcclient\\S* ${clientPid}$`).test(l)),
    labels.join(', '),
  );
  assert.equal(flow.lifelines.find((l) => l.id === `pid:${clientPid}`)!.end, 'exit 0');
  assert.equal(flow.total, flow.items.length);
  const arrows = flow.items.filter((i): i is Extract<FlowWireItem, { kind: 'arrow' }> => i?.kind === 'arrow');
  const calls = arrows.filter((a) => a.label.startsWith('Arith.Multiply'));
  assert.ok(calls.length >= 6, `requests and replies of Arith.Multiply: ${calls.map((a) => a.label).join(' | ')}`);
  const req = calls.find((a) => a.from === `pid:${clientPid}`)!;
  assert.ok(serverSide.has(req.to), `requests go from the client to the server: ${JSON.stringify(req)}`);
  const reply = calls.find((a) => a.from === req.to && a.to === req.from && a.latency !== undefined);
  assert.ok(reply, 'a reply with its latency');
  assert.match(reply!.latency!, /\d+(\.\d+)?\s*(µs|ms|s)/);
  assert.ok(
    arrows.some((a) => a.error && /divide by zero/.test(a.label)),
    'the failed Divide is an error arrow',
  );
  // gob type definitions are transport frames: hidden by default, shown on request.
  const all = await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 1000, transport: true });
  assert.ok(all.total > flow.total, `transport frames shown: ${all.total} > ${flow.total}`);

  // The proportional axis: each item's time from the first (gaps capped at a second), in order,
  // the same by range, and an index of every 4th position for the rows not loaded.
  const timed = await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 1000, axis: 'time', indexStep: 4 });
  const offs = timed.items.map((i) => i!.off!);
  assert.equal(offs[0], 0);
  assert.ok(
    offs.every((o, k) => k === 0 || (o >= offs[k - 1]! && o - offs[k - 1]! <= FLOW_FOLD_GAP_US)),
    offs.join(' '),
  );
  assert.ok(offs.at(-1)! > 0 && timed.offEnd === offs.at(-1));
  assert.deepEqual(
    timed.index,
    offs.filter((_, k) => k % 4 === 0),
  );
  const timedPart = await engine.request(FlowGet, { sessionId: s.id, start: 3, count: 2, axis: 'time' });
  assert.deepEqual(
    timedPart.items.map((i) => i!.off),
    offs.slice(3, 5),
  );
  // By range: the same items as the whole, in pieces.
  const part = await engine.request(FlowGet, { sessionId: s.id, start: 2, count: 3 });
  assert.deepEqual(
    part.items.map((i) => i?.id),
    flow.items.slice(2, 5).map((i) => i?.id),
  );
  // A row's position in the flow (the panel scrolls the flow to the selected row): under the
  // filter, and -1 for a row the flow does not hold (a transport frame while they are hidden).
  const target = flow.items[4]!;
  const at = await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 0, findId: target.id });
  assert.equal(at.found, 4);
  assert.equal(at.items.length, 0);
  const hiddenId = all.items.find((i) => i && !flow.items.some((f) => f?.id === i.id))!.id;
  assert.equal((await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 0, findId: hiddenId })).found, -1);
  assert.equal(
    (await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 0, transport: true, findId: hiddenId })).found,
    all.items.findIndex((i) => i?.id === hiddenId),
  );
  // The list's filter filters the flow.
  const multiply = await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 1000, filter: 'method:Arith.Multiply' });
  assert.ok(multiply.total > 0 && multiply.total < flow.total);
  assert.ok(
    multiply.items.every((i) => i?.kind === 'arrow' && i.label.includes('Arith.Multiply')),
    multiply.items.map((i) => (i?.kind === 'arrow' ? i.label : i?.kind)).join(' | '),
  );
  assert.equal((await engine.request(FlowGet, { sessionId: s.id, start: 0, count: 0, filter: 'method:Arith.Multiply', findId: multiply.items[1]!.id })).found, 1);

  const stats = await engine.request(StatsGet, { sessionId: s.id });
  const mul = stats.methods.find((m) => m.method === 'Arith.Multiply');
  assert.ok(mul && mul.calls >= 3, JSON.stringify(stats.methods));
  assert.ok(mul.p50Us !== null && mul.maxUs! >= mul.p50Us!);
  assert.equal(
    mul.histogram.reduce((a, b) => a + b, 0),
    mul.calls,
  );
  assert.equal(stats.bucketsUs.length, mul.histogram.length);
  const div = stats.methods.find((m) => m.method === 'Arith.Divide');
  assert.ok(div && div.errors >= 1, 'the divide by zero counts as an error');
  const conn = stats.conns.find((c) => c.protos.includes('netrpc'));
  assert.ok(conn && conn.framesOut > 0 && conn.framesIn > 0 && conn.bytesOut > 0 && conn.bytesIn > 0, JSON.stringify(stats.conns));
  // The throughput chart's steps hold every byte each way.
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  assert.equal(sum(conn.throughput.out), conn.bytesOut);
  assert.equal(sum(conn.throughput.in), conn.bytesIn);
  assert.ok(conn.throughput.out.length >= 1 && conn.throughput.out.length <= 60 && conn.throughput.stepUs >= 100_000);
  await engine.request(P.SessionStop, { sessionId: s.id });
});

// The engine server with tracing, as the extension host drives it: a launch configuration with
// "trace": true, Attach to Process → Trace all I/O, and Detach Trace from the Sessions view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { goBinary } from '../../helpers/go';
import { until, startEngineServer, type EngineServer } from '../../helpers/engine-server';

const untilLong = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> => until(what, fn, 15_000);

const tracerOf = (pid: number) => /^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
const cpusOf = (pid: number | 'self') => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
/** Two CPUs or more: a trace runs on one of them. */
const severalCpus = /[-,]/.test(cpusOf('self')!);

test('engine server: trace a launched program; attach a trace to a running one and detach it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-server-trace-'));
  const engine: EngineServer = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  const prog = spawn(goBinary('pipechild'), [], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(async () => {
    prog.kill('SIGKILL');
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // "trace": true in a launch configuration.
  const launched = await engine.request(P.SessionStart, { name: 'traced', trace: true, processes: [{ command: goBinary('tracepair') }] });
  const gob = await untilLong('gob frames of the traced pipe', async () => {
    const r = await engine.request(P.RowsGet, { sessionId: launched.id, start: 0, count: 500, filter: 'tap:trace proto:gob' });
    return r.total >= 21 ? r : undefined;
  });
  assert.ok(
    gob.rows.some((r) => r.type === 'frame' && /"N":19/.test(r.summary)),
    'the last message',
  );

  // Attach to Process → Trace all I/O: a pipe to a child that was open before.
  let out = '';
  prog.stdout!.on('data', (d) => (out += d));
  const child = Number((await untilLong('pipechild ready', () => /child (\d+)\nready/.exec(out) ?? undefined))[1]);
  const attached = await engine.request(P.SessionStart, { name: 'attached', attachPid: prog.pid, trace: true });
  assert.ok(attached.taps.some((x) => x.kind === 'trace'));
  const ticks = await untilLong('tick lines through the traced pipe', async () => {
    const r = await engine.request(P.RowsGet, { sessionId: attached.id, start: 0, count: 200, filter: 'tap:trace' });
    return r.rows.filter((x) => x.type === 'frame' && /^tick \d+/.test(x.summary)).length >= 2 ? r : undefined;
  });
  assert.ok(ticks.rows.some((x) => x.type === 'event' && x.kind === 'gap' && /mid-stream/.test(String(x.message))));
  // The writer is traced, and so is the reader, a child started before the attach.
  const conn = await untilLong('the tick pipe with both ends', async () => {
    const c = (await engine.request(P.SessionGet, { sessionId: attached.id })).connectionList.find((x) => x.tap === 'trace' && x.peers?.client?.includes(prog.pid!));
    return c?.peers?.server?.length ? c : undefined;
  });
  assert.deepEqual(conn.peers, { client: [prog.pid], server: [child] });
  assert.equal(conn.open, true);
  assert.equal(tracerOf(child), tracerOf(prog.pid!));
  // Both on strace's CPU while traced.
  if (severalCpus) for (const p of [prog.pid!, child]) assert.equal(cpusOf(p), cpusOf(Number(tracerOf(p))), `pid ${p} on strace's CPU`);

  // Detach Trace: strace lets go, both processes go on, on all their CPUs again.
  assert.notEqual(tracerOf(prog.pid!), '0');
  await engine.request(P.SessionDetachTrace, { sessionId: attached.id });
  assert.equal(tracerOf(prog.pid!), '0');
  assert.equal(tracerOf(child), '0');
  assert.deepEqual([cpusOf(prog.pid!), cpusOf(child)], [cpusOf('self'), cpusOf('self')]);
  const after = await engine.request(P.SessionGet, { sessionId: attached.id });
  assert.equal(after.state, 'live');
  assert.ok(!after.connectionList.find((x) => x.tap === 'trace')?.open, 'the traced connection is closed');
  assert.equal(prog.exitCode, null);

  // "traceAllCpus": true leaves them on all their CPUs.
  const allCpus = await engine.request(P.SessionStart, { name: 'all cpus', attachPid: prog.pid, trace: true, traceAllCpus: true });
  assert.notEqual(tracerOf(prog.pid!), '0');
  assert.deepEqual([cpusOf(prog.pid!), cpusOf(child)], [cpusOf('self'), cpusOf('self')]);
  await engine.request(P.SessionDetachTrace, { sessionId: allCpus.id });
});

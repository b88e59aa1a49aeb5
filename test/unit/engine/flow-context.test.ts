// The flow's layout from a recorded capture of real peers (examples/sample-netrpc.ipctap: a Go
// net/rpc server launched by IPC Tap, a client through a Unix socket takeover, SIGTERM at the
// end): lifelines assigned from the peers found after the connection opened, requests and
// replies as arrows between them with the latency on the reply, gob type definitions collapsed,
// the signal and the exit as marks. Fed row by row as the engine server does, and whole as the
// CLI does: the same items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildFlow, FlowContext, isFlowRow, type FlowItem } from '../../../extension/engine/flow';
import { readCaptureRows } from '../../../extension/engine/read';
import type { Row } from '../../../extension/engine/types';

const sample = join(import.meta.dirname, '..', '..', '..', 'examples', 'sample-netrpc.ipctap');

async function rows(): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of readCaptureRows(sample)) out.push(r);
  return out;
}

test('row by row: lifelines from spawn and late peers, arrows paired, transport collapsed, marks', async () => {
  const all = await rows();
  const ctx = new FlowContext();
  for (const r of all) ctx.see(r);
  const drawn = all.filter((r) => isFlowRow(r));
  const items = drawn.map((r) => ctx.item(r)).filter((i): i is FlowItem => i !== undefined);
  const server = all.find((r) => r.type === 'event' && r.kind === 'spawn')!;
  const serverPid = (server as { pid: number }).pid;
  const clientPid = all.flatMap((r) => (r.type === 'event' && r.peers?.client ? r.peers.client : []))[0]!;
  const lines = ctx.lifelines();
  assert.deepEqual(
    lines.map((l) => l.id),
    [`pid:${serverPid}`, 'ep:ipctap', `pid:${clientPid}`],
    'the server (spawned), the terminal (its stdout), the client (found by /proc after the open); no endpoint left over',
  );
  assert.equal(lines[0]!.label, `rpcserver ${serverPid}`);
  assert.equal(lines[0]!.end, 'SIGTERM');
  // Gob type definitions are transport frames: not drawn unless asked.
  assert.ok(!drawn.some((r) => r.type === 'frame' && r.summary.startsWith('type ')));
  assert.ok(all.some((r) => r.type === 'frame' && r.summary.startsWith('type ') && isFlowRow(r, { transport: true })));
  const arrows = items.filter((i): i is Extract<FlowItem, { kind: 'arrow' }> => i.kind === 'arrow');
  const call = arrows.find((a) => a.label === 'Arith.Multiply #0 {"A":1,"B":7}')!;
  assert.equal(call.from, `pid:${clientPid}`);
  assert.equal(call.to, `pid:${serverPid}`);
  assert.equal(call.latency, undefined);
  const reply = arrows.find((a) => a.label === 'Arith.Multiply #0 7')!;
  assert.equal(reply.from, `pid:${serverPid}`);
  assert.equal(reply.to, `pid:${clientPid}`);
  assert.match(reply.latency ?? '', /^12\.\d+ ?ms$/);
  assert.ok(arrows.find((a) => a.label.includes('divide by zero'))!.error);
  assert.ok(!arrows.find((a) => a.label === 'Arith.Multiply #0 7')!.error);
  const marks = items.filter((i): i is Extract<FlowItem, { kind: 'mark' }> => i.kind === 'mark');
  assert.deepEqual(
    marks.map((m) => [m.label, m.at, m.from]),
    [
      ['SIGTERM', `pid:${serverPid}`, 'ep:ipctap'],
      ['SIGTERM', `pid:${serverPid}`, undefined],
    ],
  );
  // The CLI's whole-capture build draws the same items in the same order.
  const whole = buildFlow(all);
  assert.deepEqual(whole.items, items);
  assert.deepEqual(
    whole.lifelines.map((l) => l.id),
    lines.map((l) => l.id),
  );
  assert.equal(whole.hidden, 2);
});

// Decode As… on a running session: a real client sends numbered lines through a TCP proxy tap
// without a break while the tap's decoder is changed. What was captured is decoded again in
// place, what arrives afterwards is decoded the new way, and every line is there exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { until, startEngineServer } from '../../helpers/engine-server';

const children = resolve(__dirname, '../../helpers/children');

async function allRows(engine: Awaited<ReturnType<typeof startEngineServer>>, sessionId: string): Promise<P.WireRow[]> {
  const out: P.WireRow[] = [];
  for (;;) {
    const r = await engine.request(P.RowsGet, { sessionId, start: out.length, count: 5000 });
    out.push(...r.rows);
    if (out.length >= r.total || r.rows.length === 0) return out;
  }
}

test('Decode As… on a live session: captured frames decoded again, new ones the new way, no line lost or doubled at the switch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-decode-live-'));
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  const notices: P.SessionChangedParams[] = [];
  engine.onNotification(P.SessionChanged, (p) => notices.push(p));
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = 20000 + ((process.pid + 7919) % 20000);
  const stop = join(dir, 'stop');
  const s = await engine.request(P.SessionStart, {
    name: 'lines',
    taps: [{ name: 't', spec: `tcp:0=127.0.0.1:${port}`, decode: 'raw' }],
    processes: [
      { name: 'sink', command: process.execPath, args: [join(children, 'line-sink.js'), String(port)] },
      { name: 'sender', command: process.execPath, args: [join(children, 'line-sender.js'), '${tap:t}', stop], delayMs: 300 },
    ],
  });
  const spec = s.taps.find((x) => x.name === 't')!.spec;
  const conn = async () => (await engine.request(P.SessionGet, { sessionId: s.id })).connectionList.find((c) => c.tap === spec);
  const tapFrames = async (filter: string) => (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 0, filter: `${filter} dir:c2s` })).total;

  // Raw frames arrive while the client sends.
  await until('raw frames', async () => (await tapFrames('proto:raw')) >= 20, 20_000);
  const atSwitch = (await conn())!.bytes;
  assert.deepEqual(await engine.request(P.SessionDecodeAs, { sessionId: s.id, tap: spec, decoder: 'lines' }), { redecoding: true });
  const sender = (await engine.request(P.SessionGet, { sessionId: s.id })).processes.find((p) => p.name === 'sender')!;
  assert.equal(sender.state, 'running', 'the client was still sending at the switch');
  // More traffic after the switch, then the client stops.
  await until('traffic after the switch', async () => ((await conn())?.bytes ?? 0) > atSwitch + 64 * 1024, 20_000);
  writeFileSync(stop, '');
  await until('the session ended', async () => (await engine.request(P.SessionGet, { sessionId: s.id })).state === 'ended', 20_000);

  const rows = await allRows(engine, s.id);
  assert.deepEqual(
    rows.map((r) => r.id),
    rows.map((_, i) => i + 1),
    'rows numbered from 1 without a gap or a repeat',
  );
  const frames = rows.filter((r): r is P.WireFrameRow => r.type === 'frame' && r.tap === spec && r.dir === 'c2s');
  assert.deepEqual([...new Set(frames.map((f) => f.proto))], ['lines'], 'every frame of the tap is decoded the new way');
  const texts = frames.map((f) =>
    Buffer.from(f.data, 'base64')
      .toString('latin1')
      .replace(/\r?\n$/, ''),
  );
  const last = /^done (\d+)$/.exec(texts[texts.length - 1] ?? '');
  assert.ok(last, `the last line: ${texts[texts.length - 1]}`);
  const n = Number(last[1]);
  const want = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  want.push(`done ${n}`);
  assert.ok(want.join('\n').length + 1 > atSwitch + 64 * 1024, 'lines from before and after the switch');
  // (Compared as a whole only when they differ somewhere: name the first difference.)
  const at = want.findIndex((w, i) => texts[i] !== w);
  assert.equal(
    at === -1 && texts.length === want.length,
    true,
    `line ${at}: got ${JSON.stringify(texts[at])}, want ${JSON.stringify(want[at])} (${texts.length} frames, ${want.length} lines sent)`,
  );
  // The Sessions view's counts: each frame counted once.
  assert.equal((await conn())!.frames, frames.length + rows.filter((r) => r.type === 'frame' && r.tap === spec && r.dir === 's2c').length);
  assert.ok(
    notices.some((p) => p.reloaded),
    'the panel was told to load the rows again',
  );
});

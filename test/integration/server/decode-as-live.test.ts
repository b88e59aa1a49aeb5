// Decode As… on a running session: a real client sends numbered lines through a TCP proxy tap
// without a break while the tap's decoder is changed. What was captured is decoded again in
// place, what arrives afterwards is decoded the new way, and every line is there exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as P from '../../../extension/shared/requests';
import { until, startEngineServer } from '../../helpers/engine-server';

const children = resolve(__dirname, '../../helpers/children');

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => done(port));
    });
  });
}

async function allRows(engine: Awaited<ReturnType<typeof startEngineServer>>, sessionId: string): Promise<P.WireRow[]> {
  const out: P.WireRow[] = [];
  for (;;) {
    const r = await engine.request(P.RowsGet, { sessionId, start: out.length, count: 5000 });
    out.push(...r.rows);
    if (out.length >= r.total || r.rows.length === 0) return out;
  }
}

for (const flood of [false, true])
  test(`Decode As… on a live session${flood ? ' flooded (live decoding behind the traffic)' : ''}: captured frames decoded again, new ones the new way, no line lost or doubled at the switch`, (t) =>
    decodeAsLive(t, flood));

async function decodeAsLive(t: { after(fn: () => Promise<void>): void }, flood: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-decode-live-'));
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: dir });
  const notices: P.SessionChangedParams[] = [];
  engine.onNotification(P.SessionChanged, (p) => notices.push(p));
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  const stop = join(dir, 'stop');
  const s = await engine.request(P.SessionStart, {
    name: 'lines',
    taps: [{ name: 't', spec: `tcp:0=127.0.0.1:${port}`, decode: 'raw' }],
    processes: [
      { name: 'sink', command: process.execPath, args: [join(children, 'line-sink.js'), String(port)] },
      { name: 'sender', command: process.execPath, args: [join(children, 'line-sender.js'), '${tap:t}', stop, ...(flood ? ['flood'] : [])], delayMs: 300 },
    ],
  });
  const spec = s.taps.find((x) => x.name === 't')!.spec;
  const conn = async () => (await engine.request(P.SessionGet, { sessionId: s.id })).connectionList.find((c) => c.tap === spec);
  const tapFrames = async (filter: string) => (await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 0, filter: `${filter} dir:c2s` })).total;

  // Raw frames arrive while the client sends (flooded: some MiB of them).
  await until('raw frames', async () => (await tapFrames('proto:raw')) >= 20 && ((await conn())?.bytes ?? 0) > (flood ? 4 : 0) * 1024 * 1024, 30_000).catch(async (err: Error) => {
    // (What the session saw instead: its last rows.)
    const rows = await allRows(engine, s.id);
    throw new Error(
      `${err.message}; last rows: ${rows
        .slice(-15)
        .map((r) => ('summary' in r ? r.summary : `${r.kind} ${JSON.stringify(r)}`))
        .join(' | ')}`,
    );
  });
  const atSwitch = (await conn())!.bytes;
  const more = (flood ? 4096 : 64) * 1024;
  assert.deepEqual(await engine.request(P.SessionDecodeAs, { sessionId: s.id, tap: spec, decoder: 'lines' }), { redecoding: true });
  const sender = (await engine.request(P.SessionGet, { sessionId: s.id })).processes.find((p) => p.name === 'sender')!;
  assert.equal(sender.state, 'running', 'the client was still sending at the switch');
  // More traffic after the switch, then the client stops.
  await until('traffic after the switch', async () => ((await conn())?.bytes ?? 0) > atSwitch + more, 20_000);
  writeFileSync(stop, '');
  await until('the session ended', async () => (await engine.request(P.SessionGet, { sessionId: s.id })).state === 'ended', 60_000);

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
      .replace(/\.*\r?\n?$/, ''),
  );
  const last = /^done (\d+)$/.exec(texts[texts.length - 1] ?? '');
  assert.ok(last, `the last line: ${texts[texts.length - 1]}`);
  const n = Number(last[1]);
  const want = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  want.push(`done ${n}`);
  assert.ok((flood ? n * 200 : want.join('\n').length + 1) > atSwitch + more, 'lines from before and after the switch');
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
}

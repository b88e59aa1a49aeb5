// Decode As… choices add up: a second choice for another tap, or one for every tap, keeps the
// first tap's own when the capture is decoded again; and a capture opened with per-tap decoders
// decodes each tap with its — as the extension host reopens a session after an engine restart,
// with every Decode As… choice made before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../../../extension/shared/requests';
import { ownEngine, until, type EngineServer } from '../../helpers/engine-server';
import { KnownSessions } from '../../../extension/host/known-sessions';

/** Waits until the session's frames are decoded as `expected` (tap spec → the protocols of its
 *  frames), failing with what they were. */
async function expectProtos(engine: EngineServer, sessionId: string, expected: Record<string, string[]>): Promise<void> {
  let seen: Record<string, string[]> = {};
  await until('the frames decoded as expected', async () => {
    const r = await engine.request(P.RowsGet, { sessionId, start: 0, count: 1000, filter: 'type:frame' });
    const s: Record<string, Set<string>> = {};
    for (const row of r.rows as P.WireFrameRow[]) (s[row.tap] ??= new Set()).add(row.proto);
    seen = Object.fromEntries(Object.entries(s).map(([tap, protos]) => [tap, [...protos].sort()]));
    return JSON.stringify(seen) === JSON.stringify(expected);
  }).catch(() => assert.deepEqual(seen, expected));
}

test('Decode As… for one tap, then another, then every tap: each tap keeps its own choice, also when reopened as after an engine restart; a capture opened with per-tap decoders', async (t) => {
  const { engine } = await ownEngine(t);
  // Two programs, each a tap of its own (its stdio), each printing two JSON lines.
  const say = (text: string) => ({ name: text, command: 'sh', args: ['-c', `echo '{"say":"${text}"}'; echo '{"n":2}'`] });
  const start: P.SessionStartParams = { name: 'two', processes: [say('one'), say('two')] };
  const s = await engine.request(P.SessionStart, start);
  // What the extension host knows of it (to reopen it after an engine restart).
  const known = new KnownSessions();
  known.started(s, start, false);
  const decodeAs = async (p: P.SessionDecodeAsParams) => {
    await engine.request(P.SessionDecodeAs, p);
    known.decodedAs(p);
  };
  await until('both programs ended', async () => (await engine.request(P.SessionGet, { sessionId: s.id })).state === 'ended', 20_000);
  const frames = await until('four lines', async () => {
    const r = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'type:frame' });
    return r.total === 4 ? (r.rows as P.WireFrameRow[]) : undefined;
  });
  const [a, b] = [...new Set(frames.map((f) => f.tap))];
  assert.ok(a && b, `two taps: ${frames.map((f) => f.tap).join(', ')}`);
  await expectProtos(engine, s.id, { [a!]: ['lines'], [b!]: ['lines'] });

  await decodeAs({ sessionId: s.id, tap: a, decoder: 'raw' });
  await expectProtos(engine, s.id, { [a!]: ['raw'], [b!]: ['lines'] });
  // Another tap's choice: the first tap stays raw.
  await decodeAs({ sessionId: s.id, tap: b, decoder: 'jsonrpc1' });
  await expectProtos(engine, s.id, { [a!]: ['raw'], [b!]: ['jsonrpc1'] });
  // Every tap without its own choice: both have one, nothing changes.
  await decodeAs({ sessionId: s.id, decoder: 'lines' });
  await expectProtos(engine, s.id, { [a!]: ['raw'], [b!]: ['jsonrpc1'] });

  // Reopened as the extension host does after an engine restart: decoded the same way.
  const [[oldId, reopen]] = known.takeReopening() as [[string, P.CaptureOpenParams]];
  assert.equal(oldId, s.id);
  const reopened = await engine.request(P.CaptureOpen, reopen);
  await expectProtos(engine, reopened.id, { [a!]: ['raw'], [b!]: ['jsonrpc1'] });

  // Opened with a decoder for one tap and one for the rest.
  const opened = await engine.request(P.CaptureOpen, { path: s.capturePath!, decode: 'raw', decodeByTap: { [b!]: 'jsonrpc1' } });
  await expectProtos(engine, opened.id, { [a!]: ['raw'], [b!]: ['jsonrpc1'] });
  await engine.request(P.SessionDecodeAs, { sessionId: opened.id, tap: a, decoder: 'lines' });
  await expectProtos(engine, opened.id, { [a!]: ['lines'], [b!]: ['jsonrpc1'] });
});

// `ipctap read --stats` over a capture with 150,000 connections: one table, no "Maximum call stack
// size exceeded" (nothing spreads an unbounded array into a call).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { cliEnv, runCli } from '../../helpers/cli';

const env = cliEnv();
after(() => env.cleanup());

const CONNS = 150_000;

test('read --stats on a capture with 150k connections prints every connection', async () => {
  const cap = join(env.dir, 'many.ipctap');
  const w = await CaptureWriter.open(cap, { start: 1_760_000_000_000, name: 'many', decode: 'raw' }, { lossless: true });
  let mono = 0;
  const at = () => ({ ts: 1_760_000_000_000_000 + ++mono, mono });
  const hello = Buffer.from('hello');
  for (let conn = 1; conn <= CONNS; conn++) {
    w.writeEvent({ kind: 'open', conn, tap: 'tcp:7000=127.0.0.1:7001', from: 'client', to: 'server', ...at() });
    w.writeChunk({ conn, dir: 'c2s', data: hello, ...at() });
    w.writeEvent({ kind: 'close', conn, tap: 'tcp:7000=127.0.0.1:7001', reason: 'eof', ...at() });
    if (conn % 5000 === 0) await w.flush();
  }
  await w.close();
  const r = await runCli(['read', '--stats', cap], { env: env.env, timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr.slice(0, 2000));
  assert.doesNotMatch(r.stderr, /call stack/);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= CONNS, `${lines.length} lines for ${CONNS} connections`);
  assert.match(r.stdout, new RegExp(`^${CONNS}\\s+tcp:`, 'm'), 'the last connection has its row');
});

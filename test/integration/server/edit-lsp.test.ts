// The engine server's Edit and Send… (what VS Code asks) on a capture of a language server's
// stdio: a session of the real JSON language server (test/fixtures/node/lsp-client.cjs under
// `ipctap run`) is opened as a capture; a completion request offers the server's own command as
// where to send (exec:[…], a fresh process), and sent with another position it gets the new
// answer, beside the captured one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as P from '../../../extension/shared/requests';
import { startEngineServer, type EngineServer } from '../../helpers/engine-server';

const CLIENT = resolve(__dirname, '../../fixtures/node/lsp-client.cjs');

test('engine server: Edit and Send… a language server request captured on stdio, to a fresh run of the server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-edit-lsp-'));
  const env = { IPCTAP_STATE_DIR: join(dir, 'state'), IPCTAP_RUNTIME_DIR: join(dir, 'run') };
  const engine: EngineServer = await startEngineServer(env);
  t.after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cap = join(dir, 'lsp.ipctap');
  await promisify(execFile)(process.execPath, [CLIENT, cap], { env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 });

  const s = await engine.request(P.CaptureOpen, { path: cap });
  const rows = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100, filter: 'textDocument/completion' });
  const call = rows.rows.find((r) => r.type === 'frame' && r.dir === 'stdin')!;
  assert.ok(call, JSON.stringify(rows.rows));
  const prep = await engine.request(P.EditPrepare, { sessionId: s.id, id: call.id });
  assert.equal(prep.encodable, true);
  const target = JSON.parse(prep.target!.replace(/^exec:/, '')) as string[];
  assert.match(prep.target!, /^exec:\[/);
  assert.match(target[0]!, /vscode-json-language-server$/);
  assert.deepEqual(target.slice(1), ['--stdio']);

  const value = JSON.parse(prep.text) as { params: { position: { line: number; character: number } } };
  assert.deepEqual(value.params.position, { line: 2, character: 14 });
  const edited = JSON.stringify({ ...value, params: { ...value.params, position: { line: 2, character: 3 } } });
  const sent = await engine.request(P.EditSend, { sessionId: s.id, id: call.id, value: edited, target: prep.target! });
  assert.equal(sent.sent, 5, JSON.stringify(sent));
  assert.equal(sent.different, 1, JSON.stringify(sent));
  assert.match(sent.sides.b, /textDocument\/completion #2 → .*\$schema/, sent.sides.b);
  assert.doesNotMatch(sent.sides.a, /\$schema/);

  // a target that is not a command is refused with the forms it takes
  await assert.rejects(engine.request(P.EditSend, { sessionId: s.id, id: call.id, value: edited, target: 'exec:node server.js' }), /expected exec:\["PROGRAM","ARG",…\]/);
});

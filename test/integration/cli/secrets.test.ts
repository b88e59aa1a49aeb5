// Credentials through a real peer: pyzmq REQ/REP with the PLAIN mechanism (username "admin",
// password "s3cret-pass") through `ipctap proxy --tap tcp:…`. Live JSON Lines and `ipctap read`
// show them masked as •••• (N bytes); --show-secrets shows them as sent; the capture file keeps
// the bytes either way.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as P from '../../../extension/shared/requests';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { startEngineServer, until } from '../../helpers/engine-server';
import { JsonProcess } from '../../helpers/json-process';

const PYTHON = '/usr/bin/python3'; // Debian's, which has python3-zmq
const SCRIPT = resolve(__dirname, '../../fixtures/python/zmq_peers.py');
const env = cliEnv();
after(() => env.cleanup());

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

type Row = Record<string, any>;
const hello = (rows: Row[]) => rows.find((r) => r.type === 'frame' && r.decoded?.name === 'HELLO');

/** One PLAIN REQ/REP exchange through `ipctap proxy … --tap tcp:PORT=…`; the rows it printed. */
async function plainThroughProxy(extra: string[], capture: string): Promise<Row[]> {
  const py = new JsonProcess(PYTHON, [SCRIPT, 'plain', 'tcp://127.0.0.1:*']);
  const front = await freePort();
  let live: LiveCli | undefined;
  try {
    const { bound } = await py.line<{ bound: string }>((o) => 'bound' in o);
    const port = bound.slice(bound.lastIndexOf(':') + 1);
    live = new LiveCli(['proxy', '--json', '-w', capture, '--decode', 'zmtp', ...extra, '--tap', `tcp:${front}=127.0.0.1:${port}`], env.env);
    await live.waitFor((r) => r.kind === 'tap-ready');
    py.send(`tcp://127.0.0.1:${front}`);
    await py.line((o) => o.done === true);
    assert.equal(await py.exited, 0, py.stderr.join(''));
    await live.waitFor((r) => r.kind === 'close');
    const r = await live.stop();
    assert.equal(r.code, 0, live.stderr);
    return live.rows as Row[];
  } finally {
    await live?.stop();
    await py.kill();
  }
}

test('ZMTP PLAIN through a tcp proxy: username and password masked live and in read; the capture keeps the bytes', async () => {
  const capture = join(env.dir, 'plain.ipctap');
  const rows = await plainThroughProxy([], capture);
  const h = hello(rows);
  assert.ok(h, 'the HELLO command was decoded');
  assert.equal(h.summary, 'PLAIN HELLO user=•••• (5 bytes) password=•••• (11 bytes)');
  assert.deepEqual([h.decoded.username, h.decoded.password], ['•••• (5 bytes)', '•••• (11 bytes)']);
  const shown = JSON.stringify(rows.map((r) => [r.decoded, r.summary, r.message]));
  assert.ok(!shown.includes('s3cret-pass') && !/"admin"/.test(shown), 'no credential in any decoded value or summary');
  // The raw bytes are the capture: in the frame's data and in the file.
  assert.ok(Buffer.from(h.data, 'base64').includes('s3cret-pass'));
  assert.ok(readFileSync(capture).includes('s3cret-pass'));

  const read = await runCli(['read', capture, '--json', '--decode', 'zmtp'], { env: env.env });
  assert.equal(read.code, 0, read.stderr);
  const readRows = read.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
  assert.equal(hello(readRows)?.summary, 'PLAIN HELLO user=•••• (5 bytes) password=•••• (11 bytes)');
  const text = await runCli(['read', capture, '--decode', 'zmtp'], { env: env.env });
  assert.match(text.stdout, /PLAIN HELLO user=•••• \(5 bytes\) password=•••• \(11 bytes\)/);
  assert.ok(!text.stdout.includes('s3cret-pass'));

  const revealed = await runCli(['read', capture, '--json', '--decode', 'zmtp', '--show-secrets'], { env: env.env });
  const rh = hello(
    revealed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row),
  );
  assert.equal(rh?.summary, 'PLAIN HELLO user="admin" password="s3cret-pass"');

  // The panel's rows come from the engine server: masked unless the capture is opened with
  // showSecrets (what the VS Code setting ipctap.showSecrets adds to the request).
  const engine = await startEngineServer({ IPCTAP_STATE_DIR: join(env.dir, 'state'), IPCTAP_RUNTIME_DIR: join(env.dir, 'run') });
  try {
    for (const [showSecrets, want] of [
      [false, 'PLAIN HELLO user=•••• (5 bytes) password=•••• (11 bytes)'],
      [true, 'PLAIN HELLO user="admin" password="s3cret-pass"'],
    ] as const) {
      const s = await engine.request(P.CaptureOpen, { path: capture, decode: 'zmtp', ...(showSecrets ? { showSecrets } : {}) });
      const row = await until('the HELLO row', async () => {
        const got = await engine.request(P.RowsGet, { sessionId: s.id, start: 0, count: 100 });
        return got.rows.find((r) => r.type === 'frame' && r.summary.includes('HELLO'));
      });
      assert.equal(row.type === 'frame' && row.summary, want);
      assert.equal(row.type === 'frame' && row.decodedJson.includes('s3cret-pass'), showSecrets);
    }
  } finally {
    await engine.close();
  }
});

test('ZMTP PLAIN through a tcp proxy with --show-secrets: username and password as sent', async () => {
  const rows = await plainThroughProxy(['--show-secrets'], join(env.dir, 'plain-shown.ipctap'));
  const h = hello(rows);
  assert.deepEqual([h?.decoded.username, h?.decoded.password], ['admin', 's3cret-pass']);
});

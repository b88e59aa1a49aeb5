// `ipctap export FILE --pcapng OUT` read by Debian's tshark: real grpc-js traffic through a TCP
// tap, and a Unix socket's connection (given a port pair of its own). tshark must read the file
// without expert warnings, follow every TCP conversation, and its own HTTP/2 dissector must show
// the gRPC paths the client called.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { after, test } from 'node:test';
import { cliEnv, LiveCli, runCli } from '../../helpers/cli';
import { JsonProcess } from '../../helpers/json-process';

const env = cliEnv();
after(() => env.cleanup());
const GRPC = resolve(__dirname, '../../fixtures/node/grpc');
const hasTshark = spawnSync('tshark', ['--version']).status === 0;

function tshark(args: string[]): { out: string; err: string } {
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout, err: r.stderr.replace(/^Running as user "root".*\n/m, '') };
}

test(
  'gRPC through a TCP tap, exported: tshark decodes the calls with its HTTP/2 dissector',
  { skip: !hasTshark && 'tshark is not installed (apt-get install tshark)' },
  async () => {
    const server = new JsonProcess(process.execPath, [join(GRPC, 'server.mjs'), '127.0.0.1:0']);
    try {
      const { listening } = await server.line<{ listening: number }>((o) => 'listening' in o);
      const capture = join(env.dir, 'grpc.ipctap');
      const front = 20000 + ((process.pid + 11) % 20000);
      const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `tcp:${front}=127.0.0.1:${listening}`], env.env);
      let paths: string[] = [];
      try {
        await live.waitFor((r) => r.kind === 'tap-ready');
        const client = new JsonProcess(process.execPath, [join(GRPC, 'client.mjs'), `127.0.0.1:${front}`]);
        await client.line((o) => o.done === true);
        assert.equal(await client.exited, 0);
        paths = [...new Set(client.lines.map((o) => (o as { path?: string }).path).filter((p): p is string => !!p))];
      } finally {
        await live.stop();
      }
      const out = join(env.dir, 'grpc.pcapng');
      const r = await runCli(['export', capture, '--pcapng', out], { env: env.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`tcp\\.port == ${listening}`));
      const fields = tshark(['-r', out, '-d', `tcp.port==${listening},http2`, '-Y', 'http2.header.name == ":path"', '-T', 'fields', '-e', 'http2.header.value']);
      for (const p of paths) assert.ok(fields.out.includes(p), `tshark shows ${p}:\n${fields.out}`);
      const grpcMsgs = tshark(['-r', out, '-d', `tcp.port==${listening},http2`, '-Y', 'grpc', '-T', 'fields', '-e', 'frame.number']);
      assert.ok(grpcMsgs.out.trim().split('\n').length >= paths.length, 'gRPC messages dissected');
      const expert = tshark(['-r', out, '-q', '-z', 'expert,warn']);
      assert.doesNotMatch(expert.out, /Warning|Error/, expert.out);
      assert.equal(fields.err, '', 'no warnings reading the file');
    } finally {
      server.kill();
    }
  },
);

test(
  'a Unix socket connection, exported: its own port pair, the bytes in order, FIN at the end',
  { skip: !hasTshark && 'tshark is not installed (apt-get install tshark)' },
  async () => {
    const target = join(env.dir, 'echo.sock');
    const srv = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => srv.listen(target, () => r()));
    const front = join(env.dir, 'front.sock');
    const capture = join(env.dir, 'unix.ipctap');
    const live = new LiveCli(['proxy', '--json', '-w', capture, '--tap', `unix:${front}=${target}`], env.env);
    try {
      await live.waitFor((r) => r.kind === 'tap-ready');
      const payload = Buffer.alloc(200_000, 'abcdefgh');
      await new Promise<void>((res, rej) => {
        const c = net.connect({ path: front, allowHalfOpen: true }, () => c.end(payload));
        c.resume();
        c.on('end', () => res());
        c.on('error', rej);
      });
      await live.waitFor((r) => r.kind === 'close');
    } finally {
      await live.stop();
      srv.close();
    }
    const out = join(env.dir, 'unix.pcapng');
    const r = await runCli(['export', capture, '--pcapng', out], { env: env.env });
    assert.equal(r.code, 0, r.stderr);
    const port = Number(r.stderr.match(/tcp\.port == (\d+)/)![1]);
    const conv = tshark(['-r', out, '-q', '-z', 'conv,tcp']).out;
    assert.match(conv, new RegExp(`127\\.0\\.0\\.1:\\d+\\s+<-> 127\\.0\\.0\\.1:${port}`), conv);
    // Each direction reassembles to the 200,000 bytes sent (and echoed).
    const follow = tshark(['-r', out, '-q', '-z', 'follow,tcp,raw,0']).out;
    const hex = follow.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l.trim()) && l.trim().length > 0);
    const bytes = hex.reduce((n, l) => n + l.trim().length / 2, 0);
    assert.equal(bytes, 400_000, 'both directions whole');
    const fins = tshark(['-r', out, '-Y', 'tcp.flags.fin == 1', '-T', 'fields', '-e', 'frame.number']).out.trim().split('\n');
    assert.equal(fins.length, 2, 'a FIN each way');
    assert.doesNotMatch(tshark(['-r', out, '-q', '-z', 'expert,warn']).out, /Warning|Error/);
  },
);

test('export: usage and missing files are clear errors', async () => {
  const a = await runCli(['export', join(env.dir, 'nope.ipctap'), '--pcapng', join(env.dir, 'x.pcapng')], { env: env.env });
  assert.notEqual(a.code, 0);
  assert.match(a.stderr, /no such file/);
  const b = await runCli(['export', join(env.dir, 'nope.ipctap')], { env: env.env });
  assert.match(b.stderr, /--pcapng OUT\.pcapng is needed/);
});

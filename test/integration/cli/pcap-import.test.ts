// `ipctap read FILE.pcap(ng)`: a capture made by Debian's tshark (dumpcap on the loopback
// interface, Ethernet link type) of the real Go net/rpc client and server talking directly — no
// ipctap in between — reads back as decoded calls; and an `ipctap export` reads back to the same
// frames as the capture it came from.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';
import { captureRpcCalls, startRpcServer, stopRpcServer } from '../../helpers/go-rpc';
import { pcapItems } from '../../../extension/engine/capture/pcap-import';
import net from 'node:net';

const env = cliEnv();
after(() => env.cleanup());
const hasTshark = spawnSync('tshark', ['--version']).status === 0;

test('a tshark capture of net/rpc on lo: calls decoded, per-method statistics', { skip: !hasTshark && 'tshark is not installed (apt-get install tshark)' }, async () => {
  const { server, addr } = await startRpcServer('plain');
  const port = Number(addr.split(':').pop());
  const out = join(env.dir, 'lo.pcapng');
  const cap = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let err = '';
    cap.stderr!.on('data', (d) => (err += d));
    for (let i = 0; i < 300 && !/Capturing on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(err, /Capturing on/, err);
    // tshark says "Capturing on" a moment before packets reach the file: knock on the server's
    // port until a knock is in the file, so the client's connection is captured from its start.
    const captured = async () => {
      try {
        for await (const it of pcapItems(out)) if ('event' in it && it.event.kind === 'open') return true;
      } catch {
        // (the file is still being started)
      }
      return false;
    };
    for (let i = 0; i < 100 && !(await captured()); i++) {
      await new Promise<void>((res) => {
        const k = net.connect(port, '127.0.0.1', () => (k.destroy(), res()));
        k.on('error', () => res());
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await captured(), 'tshark captures the port');
    const c = spawnSync(goBinary('rpcclient'), ['plain', addr, join(env.dir, 'calls.json')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    await new Promise((r) => setTimeout(r, 500)); // (dumpcap writes what it has on SIGINT; let the last packets arrive)
  } finally {
    cap.kill('SIGINT');
    await new Promise((r) => cap.once('exit', r));
    stopRpcServer(server);
  }
  const r = await runCli(['read', out], { env: env.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /open on pcap:127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+/);
  // (The knocks are connections too, with nothing sent.)
  assert.match(r.stdout, /→ Arith\.Multiply #0 \{"A":7,"B":8\}/, 'auto-detected net/rpc');
  assert.match(r.stdout, /← Arith\.Divide #4 error: divide by zero/);
  const s = await runCli(['read', out, '--stats', '--by', 'method', '--json'], { env: env.env });
  const m = new Map((JSON.parse(s.stdout) as { methods: { method: string; calls: number; errors: number }[] }).methods.map((x) => [x.method, x]));
  assert.equal(m.get('Arith.Multiply')?.calls, 4);
  assert.equal(m.get('Arith.Divide')?.errors, 1);
});

test('export then read: the same frames as the capture they came from', async () => {
  const { server, addr } = await startRpcServer('plain');
  const capture = join(env.dir, 'rt.ipctap');
  try {
    await captureRpcCalls(env.env, 'plain', addr, capture, join(env.dir, 'c2.json'));
  } finally {
    stopRpcServer(server);
  }
  const pcap = join(env.dir, 'rt.pcapng');
  assert.equal((await runCli(['export', capture, '--pcapng', pcap], { env: env.env })).code, 0);
  const frames = async (f: string) =>
    (await runCli(['read', f, '--json'], { env: env.env })).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x.type === 'frame')
      .map((x) => `${x.dir} ${x.proto} ${x.data} ${x.summary}`);
  const a = await frames(capture);
  const b = await frames(pcap);
  assert.ok(a.length > 20);
  assert.deepEqual(b, a);
});

test('a file that is neither: a clear error', async () => {
  const bad = join(env.dir, 'bad.pcap');
  writeFileSync(bad, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0, 1, 2, 3]));
  const r = await runCli(['read', bad], { env: env.env });
  assert.equal(r.code, 0, 'a truncated last packet is the end of the file');
  const junk = join(env.dir, 'junk.pcapng');
  writeFileSync(junk, Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0x7f, 0x4d, 0x3c, 0x2b, 0x1a]));
  const j = await runCli(['read', junk], { env: env.env });
  assert.equal(j.code, 2);
  assert.match(j.stderr, /damaged/);
});

// --lossless through the real CLI: the capture file is a FIFO drained by a slow reader (a disk
// slower than the traffic). Without the flag forwarding goes on at full speed and the capture
// records a gap (capture-dropped); with it, forwarding slows to the disk and the capture holds
// every byte sent, identical to what the server received.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../../extension/engine/capture/reader';
import { cliEnv, connectable, LiveCli } from '../../helpers/cli';

const TOTAL = 48 * 1024 * 1024; // past the writer's 32 MiB high-water mark
const DISK_RATE = 16 * 1024 * 1024; // bytes per second the "disk" takes

async function floodThroughTap(lossless: boolean): Promise<{ sentSha: string; receivedSha: string; capturedSha: string; captured: number; dropped: number; sendMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-lossless-'));
  try {
    const fifo = join(dir, 'cap.fifo');
    const copy = join(dir, 'copy.ipctap');
    execFileSync('mkfifo', [fifo]);
    // Without --lossless the "disk" takes nothing until the whole stream has been forwarded, so
    // the capture must fall behind however fast or slow the machine forwards it.
    const go = join(dir, 'go');
    const copier = spawn(process.execPath, [join(__dirname, '..', '..', 'helpers', 'children', 'slow-copier.js'), fifo, copy, String(DISK_RATE), ...(lossless ? [] : [go])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const copied = once(copier, 'exit');

    // The server: hashes what it receives.
    const target = join(dir, 'server.sock');
    const received = createHash('sha256');
    const server = net.createServer((s) => {
      let n = 0;
      s.on('data', (d) => {
        received.update(d);
        n += d.length;
      });
      s.on('end', () => (n > 0 ? s.end('done') : s.end())); // (no reply to the readiness probe)
    });
    server.listen(target);
    await once(server, 'listening');

    const listen = join(dir, 'tap.sock');
    const cli = new LiveCli(['proxy', '-q', '--json', '-w', fifo, ...(lossless ? ['--lossless'] : []), '--tap', `unix:${listen}=${target}`], cliEnv().env);
    try {
      await connectable(listen);
      const sent = createHash('sha256');
      const sock = net.connect(listen);
      await once(sock, 'connect');
      const chunk = Buffer.alloc(64 * 1024);
      const t0 = Date.now();
      for (let n = 0; n < TOTAL; n += chunk.length) {
        chunk.writeUInt32BE(n, 0);
        chunk.fill(n & 0xff, 4);
        sent.update(chunk);
        if (!sock.write(chunk)) await once(sock, 'drain');
      }
      sock.end();
      const sendMs = Date.now() - t0;
      let reply = '';
      sock.on('data', (d) => (reply += d));
      await once(sock, 'close');
      assert.equal(reply, 'done', 'the server saw the whole stream end');
      writeFileSync(go, '');
      const stopped = await cli.stop('SIGINT');
      assert.equal(stopped.code, 0, cli.stderr);
      await copied;

      const r = await openCapture(copy);
      const hash = createHash('sha256');
      let captured = 0;
      let dropped = 0;
      for await (const { record } of r.records()) {
        if (record.t === 'c') {
          if (record.dir === 'c2s') hash.update(record.data);
          captured += record.data.length;
        } else if (record.t === 'e' && record.kind === 'capture-dropped') dropped += record.bytes ?? 0;
      }
      await r.close();
      return { sentSha: sent.digest('hex'), receivedSha: received.digest('hex'), capturedSha: hash.digest('hex'), captured, dropped, sendMs };
    } finally {
      await cli.stop('SIGKILL');
      server.close();
      if (copier.exitCode === null) copier.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('default: a capture slower than the traffic drops data (forwarding goes on) and records the gap', async () => {
  const r = await floodThroughTap(false);
  assert.equal(r.receivedSha, r.sentSha, 'forwarding is byte-exact');
  assert.ok(r.dropped > 0, 'the slow capture dropped data (so this setup does test a slow disk)');
  assert.equal(r.captured + r.dropped, TOTAL + 'done'.length, 'captured + recorded gap = everything sent both ways');
});

test('--lossless: the traffic waits for the capture; the capture holds every byte, identical to what was sent', async () => {
  const r = await floodThroughTap(true);
  assert.equal(r.receivedSha, r.sentSha, 'forwarding is byte-exact');
  assert.equal(r.dropped, 0, 'nothing dropped');
  assert.equal(r.captured, TOTAL + 'done'.length);
  assert.equal(r.capturedSha, r.sentSha, 'the capture is the stream, byte for byte');
  // The writer buffers up to 32 MiB; the rest can only go as fast as the disk drains it
  // (~15 MiB at 16 MiB/s), so the sender was held back. (Without holding, ipctap would have
  // taken all 48 MiB into memory in a fraction of that.)
  const floor = ((TOTAL - 33 * 1024 * 1024) / DISK_RATE) * 1000 * 0.6;
  assert.ok(r.sendMs > floor, `the sender was slowed to the disk (${r.sendMs} ms to send, expected over ${floor.toFixed(0)})`);
});

test('--lossless without a capture file is a usage error', async () => {
  const { runCli } = await import('../../helpers/cli');
  const r = await runCli(['proxy', '--lossless', '--tap', 'tcp:1=127.0.0.1:2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--lossless needs a capture file \(-w FILE\)/);
});

test('--lossless on a launched program: its stdout waits for the capture, which holds all of it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-lossless-'));
  try {
    const fifo = join(dir, 'cap.fifo');
    const copy = join(dir, 'copy.ipctap');
    const timing = join(dir, 'ms');
    execFileSync('mkfifo', [fifo]);
    const copier = spawn(process.execPath, [join(__dirname, '..', '..', 'helpers', 'children', 'slow-copier.js'), fifo, copy, String(DISK_RATE)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const copied = once(copier, 'exit');
    // The program writes TOTAL bytes to stdout and notes how long its writes took.
    const program = `const fs=require('fs');const b=Buffer.alloc(65536,120);const t=Date.now();for(let n=0;n<${TOTAL};n+=b.length){let o=0;while(o<b.length){try{o+=fs.writeSync(1,b,o)}catch(e){if(e.code!=='EAGAIN')throw e}}}fs.writeFileSync(${JSON.stringify(timing)},String(Date.now()-t))`;
    const cli = new LiveCli(['run', '-q', '--json', '--no-stdin', '--lossless', '-w', fifo, '--', process.execPath, '-e', program], cliEnv().env);
    const done = await cli.closed;
    assert.equal(done.code, 0, cli.stderr);
    await copied;
    const r = await openCapture(copy);
    let stdout = 0;
    let dropped = 0;
    for await (const { record } of r.records()) {
      if (record.t === 'c' && record.dir === 'stdout') stdout += record.data.length;
      else if (record.t === 'e' && record.kind === 'capture-dropped') dropped += record.bytes ?? 0;
    }
    await r.close();
    assert.equal(dropped, 0);
    assert.equal(stdout, TOTAL, 'every byte of stdout is in the capture');
    const ms = Number(readFileSync(timing, 'utf8'));
    const floor = ((TOTAL - 33 * 1024 * 1024) / DISK_RATE) * 1000 * 0.6;
    assert.ok(ms > floor, `the program's writes waited for the disk (${ms} ms, expected over ${floor.toFixed(0)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

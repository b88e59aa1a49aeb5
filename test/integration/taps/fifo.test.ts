// FIFO taps: the shared suite (takeover and relay) with the Go fifo-peer (syscall.Mkfifo, blocking
// opens), then FIFO specifics: restore on stop, a reader that goes away, bad paths, and the
// journal restoring after the owner was SIGKILLed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tapSuite, assertJournalEmpty, MiB } from '../../helpers/tap-suite';
import { Peer, RecordingSink } from '../../helpers/tap-peers';
import { createTap } from '../../../extension/engine/taps/create';
import { parseTapSpec } from '../../../extension/engine/taps/spec';
import { restoreAll } from '../../../extension/engine/taps/journal';
import { UserError } from '../../../extension/engine/util/errors';

const FIXTURES = resolve(__dirname, '../../fixtures/node');

tapSuite({
  kind: 'fifo',
  name: 'fifo takeover',
  readerPath: (dir) => join(dir, 'app.fifo'),
  spec: (dir) => `fifo:${join(dir, 'app.fifo')}`,
  expectFiles: ['app.fifo'],
});

tapSuite({
  kind: 'fifo',
  name: 'fifo relay',
  readerPath: (dir) => join(dir, 'app.fifo'),
  spec: (dir) => `fifo:${join(dir, 'in.fifo')}=${join(dir, 'app.fifo')}`,
  expectFiles: ['app.fifo'],
});

const TAKEOVER_SCRIPT = resolve(__dirname, '../../fixtures/node/taps/takeover.ts');

describe('fifo specifics', () => {
  let state = '';
  let dir = '';
  const peers: Peer[] = [];
  const fifo = (): string => join(dir, 'app.fifo');
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'ipctap-state-'));
    process.env.IPCTAP_STATE_DIR = state;
  });
  after(() => rmSync(state, { recursive: true, force: true }));

  const withDir = async (fn: () => Promise<void>): Promise<void> => {
    dir = mkdtempSync(join(tmpdir(), 'ipctap-fifo-'));
    try {
      await fn();
    } finally {
      await Promise.all(peers.splice(0).map((p) => p.kill()));
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const go = (...args: string[]): Peer => {
    const p = Peer.go('fifo-peer', args);
    peers.push(p);
    return p;
  };

  test('stop puts the original FIFO back (same inode); the reader then gets writers directly', async () => {
    await withDir(async () => {
      const reader = go('read', fifo(), '-mkfifo', '-sessions', '2', '-keep');
      await reader.next((o) => o.ready === true);
      const before = lstatSync(fifo()).ino;
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`fifo:${fifo()}`), sink);
      await tap.start();
      assert.notEqual(lstatSync(fifo()).ino, before);
      assert.ok(lstatSync(fifo()).isFIFO());
      const w1 = await go('write', fifo(), '0', '-text', 'via tap\n').next((o) => 'sha256' in o);
      assert.equal((await reader.next((o) => 'sha256' in o)).sha256, w1.sha256);
      await tap.stop();
      assert.equal(lstatSync(fifo()).ino, before, 'the original is back');
      assert.deepEqual(readdirSync(dir), ['app.fifo']);
      assertJournalEmpty();
      assert.ok(sink.events.some((e) => e.kind === 'restored' && e.path === fifo()));
      const w2 = await go('write', fifo(), '0', '-text', 'direct\n').next((o) => 'sha256' in o);
      assert.equal((await reader.next((o) => 'sha256' in o)).sha256, w2.sha256);
      assert.equal(sink.conns().length, 1, 'nothing captured after stop');
    });
  });

  test('the reader goes away mid-stream: recorded as reset, and the writer gets EPIPE as without the tap', async () => {
    await withDir(async () => {
      const reader = go('read', fifo(), '-mkfifo', '-wait-stdin');
      await reader.next((o) => o.ready === true);
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`fifo:${fifo()}`), sink);
      await tap.start();
      try {
        const writer = go('write', fifo(), String(64 * MiB));
        await reader.next((o) => o.opened === true);
        await sink.waitFor(() => sink.conns().length === 1, 'the writer session');
        await reader.kill();
        const ex = await writer.exited;
        assert.notEqual(ex.code, 0, 'the writer failed');
        assert.match(writer.stderr.join(''), /broken pipe/);
        await sink.waitClosed(1);
        const close = sink.closeOf(sink.conns()[0])!;
        assert.equal(close.reason, 'reset');
        assert.match(close.message!, /EPIPE|broken pipe/i);
      } finally {
        await tap.stop();
      }
      assert.deepEqual(readdirSync(dir), ['app.fifo']);
    });
  });

  test('writer sessions back to back (relay): no bytes dropped and no EPIPE between two sessions', async () => {
    await withDir(async () => {
      const target = join(dir, 'target.fifo');
      const front = join(dir, 'front.fifo');
      execFileSync('mkfifo', [target]);
      const reader = new Peer('fifo-reader', spawn(process.execPath, [join(FIXTURES, 'fifo-reader.mjs'), target], { stdio: ['pipe', 'pipe', 'pipe'] }));
      peers.push(reader);
      await reader.next((o) => o.text === 'ready');
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`fifo:${front}=${target}`), sink);
      await tap.start();
      try {
        const writer = new Peer(
          'fifo-sessions',
          spawn(process.execPath, [join(FIXTURES, 'fifo-sessions.mjs'), front, '60', String(256 * 1024)], { stdio: ['pipe', 'pipe', 'pipe'] }),
        );
        peers.push(writer);
        const wrote = await writer.next((o) => 'sha256' in o || 'error' in o, 60_000);
        assert.equal(wrote.error, undefined, String(wrote.error));
        // (Sessions that follow each other closely may be one connection: a writer opened the
        // FIFO before the last one closed it.)
        const captured = () => sink.conns().reduce((n, c) => n + sink.bytes(c, 'c2s'), 0);
        await sink.waitFor(() => captured() === wrote.bytes && sink.conns().every((c) => sink.closeOf(c)), 'every session captured and closed');
        reader.child.kill('SIGTERM');
        const got = await reader.next((o) => 'sha' in o);
        assert.equal(got.bytes, wrote.bytes, 'the reader got every byte');
        assert.equal(got.sha, wrote.sha256);
      } finally {
        await tap.stop();
      }
    });
  });

  test('bad paths: not a FIFO, missing directory, FIFO never appears', async () => {
    await withDir(async () => {
      writeFileSync(join(dir, 'plain'), 'x');
      await assert.rejects(
        createTap(parseTapSpec(`fifo:${join(dir, 'plain')}`), new RecordingSink()).start(),
        (e: Error) => e instanceof UserError && /is not a FIFO/.test(e.message),
      );
      await assert.rejects(createTap(parseTapSpec(`fifo:${join(dir, 'no', 'f')}`), new RecordingSink()).start(), /does not exist/);
      await assert.rejects(createTap(parseTapSpec(`fifo:${fifo()}`), new RecordingSink(), { waitMs: 200 }).start(), /no FIFO at .*app\.fifo \(waited/);
      await assert.rejects(createTap(parseTapSpec(`fifo:${join(dir, 'plain')}=${fifo()}`), new RecordingSink(), { waitMs: 100 }).start(), /no FIFO at/);
      assert.deepEqual(readdirSync(dir), ['plain']);
      assertJournalEmpty();
    });
  });

  test('after SIGKILL of the owner, restoreAll puts the original FIFO back', async () => {
    await withDir(async () => {
      const reader = go('read', fifo(), '-mkfifo');
      await reader.next((o) => o.ready === true);
      const before = lstatSync(fifo()).ino;
      const owner = new Peer('takeover.ts', spawn(process.execPath, ['--import', 'tsx', TAKEOVER_SCRIPT, `fifo:${fifo()}`], { stdio: ['pipe', 'pipe', 'pipe'] }));
      peers.push(owner);
      await owner.next((o) => 'ready' in o, 30_000);
      assert.notEqual(lstatSync(fifo()).ino, before);
      owner.child.kill('SIGKILL');
      await owner.exited;
      const results = await restoreAll();
      assert.deepEqual(
        results.map((r) => [r.action, r.path]),
        [['restored', fifo()]],
      );
      assert.equal(lstatSync(fifo()).ino, before);
      assert.deepEqual(readdirSync(dir), ['app.fifo']);
      assertJournalEmpty();
      const w = await go('write', fifo(), '0', '-text', 'after restore\n').next((o) => 'sha256' in o);
      assert.equal((await reader.next((o) => 'sha256' in o)).sha256, w.sha256);
    });
  });

  test('a writer that opened the path after the owner was SIGKILLed is released by the restore', async () => {
    await withDir(async () => {
      const reader = go('read', fifo(), '-mkfifo');
      await reader.next((o) => o.ready === true);
      const owner = new Peer('takeover.ts', spawn(process.execPath, ['--import', 'tsx', TAKEOVER_SCRIPT, `fifo:${fifo()}`], { stdio: ['pipe', 'pipe', 'pipe'] }));
      peers.push(owner);
      await owner.next((o) => 'ready' in o, 30_000);
      owner.child.kill('SIGKILL');
      await owner.exited;
      // Opens the tap's FIFO, which nobody reads any more: blocks in open() until released.
      const writer = spawn(
        '/usr/bin/python3',
        ['-c', 'import sys\ntry:\n  f = open(sys.argv[1], "wb"); f.write(b"x" * 100000); f.close()\nexcept BrokenPipeError:\n  pass', fifo()],
        { stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((r) => writer.once('exit', (c) => r(c)));
      const wchan = (): string => {
        try {
          return readFileSync(`/proc/${writer.pid}/wchan`, 'utf8');
        } catch {
          return '';
        }
      };
      for (let i = 0; i < 400 && wchan() !== 'wait_for_partner'; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(wchan(), 'wait_for_partner', 'the writer waits in open() on the FIFO');
      const results = await restoreAll();
      assert.deepEqual(
        results.map((r) => r.action),
        ['restored'],
      );
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still blocked after 15 s'), 15_000))]);
      if (code === 'still blocked after 15 s') writer.kill('SIGKILL');
      assert.notEqual(code, 'still blocked after 15 s');
      assertJournalEmpty();
    });
  });
});

describe('fifo readers that reopen the path for each session', () => {
  let state = '';
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'ipctap-state-'));
    process.env.IPCTAP_STATE_DIR = state;
  });
  after(() => rmSync(state, { recursive: true, force: true }));

  test('relay: a reader that reopens its FIFO after each EOF gets every session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-fifo-'));
    const peers: Peer[] = [];
    const sink = new RecordingSink();
    const tap = createTap(parseTapSpec(`fifo:${join(dir, 'in.fifo')}=${join(dir, 'app.fifo')}`), sink);
    try {
      const reader = Peer.go('fifo-peer', ['read', join(dir, 'app.fifo'), '-mkfifo', '-sessions', '3']);
      peers.push(reader);
      await reader.next((o) => o.ready === true);
      await tap.start();
      for (const text of ['a\n', 'bb\n', 'ccc\n']) {
        const w = Peer.go('fifo-peer', ['write', join(dir, 'in.fifo'), '0', '-text', text]);
        peers.push(w);
        const wr = await w.next((o) => 'sha256' in o);
        assert.equal((await reader.next((o) => 'sha256' in o)).sha256, wr.sha256);
      }
      await sink.waitClosed(3);
      assert.equal(sink.conns().length, 3);
    } finally {
      await tap.stop();
      await Promise.all(peers.map((p) => p.kill()));
      assert.deepEqual(readdirSync(dir), ['app.fifo'], 'the relay removed the FIFO it created');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('takeover: a reader that reopens the path is told about plainly, and released at stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-fifo-'));
    const path = join(dir, 'app.fifo');
    const peers: Peer[] = [];
    const sink = new RecordingSink();
    const tap = createTap(parseTapSpec(`fifo:${path}`), sink);
    try {
      const reader = Peer.go('fifo-peer', ['read', path, '-mkfifo', '-sessions', '3']);
      peers.push(reader);
      await reader.next((o) => o.ready === true);
      await tap.start();
      const w = Peer.go('fifo-peer', ['write', path, '0', '-text', 'first\n']);
      peers.push(w);
      const wr = await w.next((o) => 'sha256' in o);
      assert.equal((await reader.next((o) => 'sha256' in o)).sha256, wr.sha256, 'the first session went through');
      // the reader now reopens the path, which is the tap's FIFO
      const w2 = Peer.go('fifo-peer', ['write', path, '0', '-text', 'second\n']);
      peers.push(w2);
      await w2.next((o) => 'sha256' in o);
      await reader.next((o) => o.session === 1); // read straight from the tap's FIFO
      await sink.waitFor(() => sink.events.some((e) => e.kind === 'note' && /reopens the FIFO/.test(e.message ?? '')), 'the note about the reopening reader');
      // the reader waits in open() on the tap's FIFO for its third session; stop releases it
      await tap.stop();
      assert.equal((await reader.next((o) => o.session === 2)).bytes, 0);
      const ex = await reader.exited;
      assert.equal(ex.code, 0, 'the reader was not left waiting on a FIFO that no longer exists');
    } finally {
      await tap.stop();
      await Promise.all(peers.map((p) => p.kill()));
      assert.deepEqual(readdirSync(dir), ['app.fifo']);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

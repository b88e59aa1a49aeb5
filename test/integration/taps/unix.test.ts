// Unix socket taps: the shared suite (takeover and proxy) with real Node peers, then takeover
// specifics: restore on stop, waiting for a late server, bad paths, a server that goes away, and
// the journal restoring after the owning process was SIGKILLed or got SIGINT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tapSuite, assertJournalEmpty } from '../../helpers/tap-suite';
import { Peer, RecordingSink } from '../../helpers/tap-peers';
import { createTap } from '../../../extension/engine/taps/create';
import { parseTapSpec } from '../../../extension/engine/taps/spec';
import { journalDir, restoreAll } from '../../../extension/engine/taps/journal';
import { UserError } from '../../../extension/engine/util/errors';
import { ssAvailable } from '../../../extension/engine/process/ss';

tapSuite({
  kind: 'socket',
  name: 'unix takeover',
  serverArgs: (dir) => ['unix', join(dir, 'app.sock')],
  spec: (dir) => `unix:${join(dir, 'app.sock')}`,
  clientArgs: (tap) => ['unix', tap.address!],
  expectFiles: ['app.sock'],
  peersKnowable: ssAvailable(),
});

tapSuite({
  kind: 'socket',
  name: 'unix proxy',
  serverArgs: (dir) => ['unix', join(dir, 'app.sock')],
  spec: (dir) => `unix:${join(dir, 'proxy.sock')}=${join(dir, 'app.sock')}`,
  clientArgs: (tap) => ['unix', tap.address!],
  expectFiles: ['app.sock'],
  peersKnowable: ssAvailable(),
});

/** One echo exchange over a Unix socket path. */
function echo(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection({ path, allowHalfOpen: true });
    let got = '';
    c.on('data', (b) => (got += b));
    c.on('end', () => {
      c.end();
      resolve(got);
    });
    c.on('error', reject);
    c.end(`echo\n${text}`);
  });
}

const TAKEOVER_SCRIPT = resolve(__dirname, '../../fixtures/node/taps/takeover.ts');

describe('unix takeover specifics', () => {
  let dir = '';
  let state = '';
  let server: Peer | undefined;
  const sock = (): string => join(dir, 'app.sock');
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'ipctap-state-'));
    process.env.IPCTAP_STATE_DIR = state;
  });
  after(() => rmSync(state, { recursive: true, force: true }));

  async function startServer(): Promise<Peer> {
    server = Peer.node(['server', 'unix', sock()]);
    await server.next((o) => 'ready' in o);
    return server;
  }

  const withDir = async (fn: () => Promise<void>): Promise<void> => {
    dir = mkdtempSync(join(tmpdir(), 'ipctap-unix-'));
    try {
      await fn();
    } finally {
      await server?.kill();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('stop puts the original socket back: same inode, same mode, clients reach the server directly', async () => {
    await withDir(async () => {
      await startServer();
      const { chmodSync } = await import('node:fs');
      chmodSync(sock(), 0o640);
      const before = lstatSync(sock());
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${sock()}`), sink);
      await tap.start();
      const during = lstatSync(sock());
      assert.notEqual(during.ino, before.ino, 'our socket is at the path');
      assert.equal(during.mode & 0o777, 0o640, 'with the original mode');
      assert.equal(await echo(sock(), 'through the tap'), 'echo\nthrough the tap');
      assert.equal(sink.conns().length, 1);
      assert.equal(readdirSync(journalDir()).length, 1, 'the takeover is in the journal');
      await tap.stop();
      assert.equal(lstatSync(sock()).ino, before.ino, 'the original is back');
      assert.deepEqual(readdirSync(dir), ['app.sock']);
      assertJournalEmpty();
      const restored = sink.events.find((e) => e.kind === 'restored');
      assert.equal(restored?.path, sock());
      assert.match(restored?.from ?? '', /\/\.app\.sock\.ipctap-\w{6}\/orig$/);
      assert.equal(await echo(sock(), 'direct'), 'echo\ndirect');
      assert.equal(sink.conns().length, 1, 'nothing captured after stop');
      await tap.stop(); // idempotent
    });
  });

  test('start waits for a server that comes later, and says so', async () => {
    await withDir(async () => {
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${sock()}`), sink, { waitMs: 20_000 });
      const started = tap.start();
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(sink.events.some((e) => e.kind === 'note' && /waiting for a server/.test(e.message ?? '')));
      await startServer();
      await started;
      assert.equal(await echo(sock(), 'late'), 'echo\nlate');
      await tap.stop();
      assert.deepEqual(readdirSync(dir), ['app.sock']);
    });
  });

  test('a stale socket file (nobody accepting) is waited on, not taken over', async () => {
    await withDir(async () => {
      const stale = net.createServer();
      await new Promise<void>((r) => stale.listen(sock(), r));
      // leave the file behind without a listener: rename away so close does not unlink it
      const { renameSync } = await import('node:fs');
      renameSync(sock(), sock() + '.x');
      await new Promise((r) => stale.close(r));
      renameSync(sock() + '.x', sock());
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${sock()}`), sink, { waitMs: 1500 });
      await assert.rejects(
        tap.start(),
        (e: Error) =>
          e instanceof UserError && /no server listens at .*app\.sock \(a socket file nobody accepts on is there: remove it or restart its server\) \(waited/.test(e.message),
      );
      // Said while waiting (once nobody accepted for a second), naming the path: not a silent wait.
      const notes = sink.events.filter((e) => e.kind === 'note' && /nobody accepts/.test(e.message ?? ''));
      assert.equal(notes.length, 1, JSON.stringify(sink.events));
      assert.equal(notes[0]!.path, sock());
      assert.match(notes[0]!.message ?? '', /app\.sock is a socket file nobody accepts on \(left by a server that exited\?\): waiting for a server to listen there/);
      assert.deepEqual(readdirSync(dir), ['app.sock']);
      assertJournalEmpty();
      // A proxy to it says the same about its target.
      const psink = new RecordingSink();
      const proxy = createTap(parseTapSpec(`unix:${join(dir, 'p.sock')}=${sock()}`), psink);
      await proxy.start();
      const note = psink.events.find((e) => e.kind === 'note');
      assert.equal(note?.path, sock());
      assert.match(note?.message ?? '', /is a socket file nobody accepts on .*connections fail until a server listens there/);
      await proxy.stop();
    });
  });

  test('stopped at any moment around a re-takeover: the restarted server is at the path, reachable, nothing beside it', async () => {
    await withDir(async () => {
      /** The Go echo server: binds PATH; on SIGTERM closes its listener, which unlinks PATH. */
      const goServer = async () => {
        const p = Peer.go('unixserver', [sock()]);
        await p.next((o) => typeof o.text === 'string' && o.text.startsWith('listening'));
        return p;
      };
      const roundTrip = (msg: string) =>
        new Promise<string>((res, rej) => {
          const c = net.connect(sock(), () => c.end(msg));
          let got = '';
          c.on('data', (d) => (got += d));
          c.on('end', () => res(got));
          c.on('error', rej);
        });
      for (let round = 0; round < 8; round++) {
        let srv = await goServer();
        const tap = createTap(parseTapSpec(`unix:${sock()}`), new RecordingSink());
        await tap.start();
        srv.child.kill('SIGTERM'); // its listener's close unlinks PATH: the tap's socket name
        await srv.exited;
        srv = await goServer(); // binds PATH again; the tap takes it over again within 500 ms
        // The stop lands at a different moment of that re-takeover each round (a scenario
        // parameter, not a wait).
        await new Promise((r) => setTimeout(r, round * 90));
        await tap.stop();
        assert.equal(await roundTrip(`round ${round}`), `round ${round}`, `round ${round}: the server answers at the path`);
        assert.deepEqual(readdirSync(dir), ['app.sock'], `round ${round}: nothing beside it`);
        assertJournalEmpty();
        srv.child.kill('SIGTERM');
        await srv.exited;
      }
    });
  });

  test('bad paths: not a socket, missing directory; abort while waiting', async () => {
    await withDir(async () => {
      writeFileSync(join(dir, 'plain'), 'x');
      await assert.rejects(createTap(parseTapSpec(`unix:${join(dir, 'plain')}`), new RecordingSink()).start(), /is not a Unix socket/);
      await assert.rejects(createTap(parseTapSpec(`unix:${join(dir, 'nodir', 'a.sock')}`), new RecordingSink()).start(), /directory .* does not exist/);
      const ac = new AbortController();
      const p = createTap(parseTapSpec(`unix:${sock()}`), new RecordingSink(), { waitMs: Infinity }).start(ac.signal);
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
      assert.deepEqual(readdirSync(dir), ['plain']);
    });
  });

  test('proxy: a live server already at LISTEN is an error; a stale socket there is replaced', async () => {
    await withDir(async () => {
      await startServer();
      const target = join(dir, 'target.sock');
      await assert.rejects(createTap(parseTapSpec(`unix:${sock()}=${target}`), new RecordingSink()).start(), /a server is already listening there/);
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${join(dir, 'p.sock')}=${target}`), sink);
      await tap.start();
      assert.ok(sink.events.some((e) => e.kind === 'note' && /does not exist yet/.test(e.message ?? '')));
      await tap.stop();
      assert.deepEqual(readdirSync(dir), ['app.sock']);
    });
  });

  test('the server exits during the takeover (and removes its path): nothing is left behind', async () => {
    await withDir(async () => {
      const srv = await startServer();
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${sock()}`), sink);
      await tap.start();
      srv.child.kill('SIGTERM'); // its server.close() unlinks app.sock by name: that was our socket
      await srv.exited;
      await tap.stop();
      assert.deepEqual(readdirSync(dir), [], 'no stale socket put back, no renamed original left');
      assertJournalEmpty();
    });
  });

  test('after SIGKILL of the owner, restoreAll puts the original back', async () => {
    await withDir(async () => {
      await startServer();
      const before = lstatSync(sock()).ino;
      const owner = new Peer('takeover.ts', spawn(process.execPath, ['--import', 'tsx', TAKEOVER_SCRIPT, `unix:${sock()}`], { stdio: ['pipe', 'pipe', 'pipe'] }));
      try {
        await owner.next((o) => 'ready' in o, 30_000);
        assert.equal(await echo(sock(), 'via owner'), 'echo\nvia owner');
        owner.child.kill('SIGKILL');
        await owner.exited;
        await assert.rejects(echo(sock(), 'dead'), /ECONNREFUSED/, 'the dead tap socket is at the path');
        const results = await restoreAll();
        assert.deepEqual(
          results.map((r) => [r.action, r.path]),
          [['restored', sock()]],
        );
        assert.equal(lstatSync(sock()).ino, before);
        assert.equal(await echo(sock(), 'restored'), 'echo\nrestored');
        assert.deepEqual(readdirSync(dir), ['app.sock']);
        assertJournalEmpty();
        assert.deepEqual(await restoreAll(), [], 'a second restore has nothing to do');
      } finally {
        await owner.kill();
      }
    });
  });

  test('an uncaught error in a process that installed the exit restore: restored on the way out', async () => {
    await withDir(async () => {
      await startServer();
      const before = lstatSync(sock()).ino;
      const owner = new Peer(
        'takeover.ts',
        spawn(process.execPath, ['--import', 'tsx', TAKEOVER_SCRIPT, `unix:${sock()}`, '--exit-restore', '--crash'], { stdio: ['pipe', 'pipe', 'pipe'] }),
      );
      try {
        await owner.next((o) => 'ready' in o, 30_000);
        const ex = await owner.exited;
        assert.equal(ex.code, 1);
        assert.match(owner.stderr.join(''), /deliberate crash/);
        assert.equal(lstatSync(sock()).ino, before);
        assert.deepEqual(readdirSync(dir), ['app.sock']);
        assertJournalEmpty();
      } finally {
        await owner.kill();
      }
    });
  });

  test('stop() while start() still waits for the server ends the wait; nothing is left', async () => {
    await withDir(async () => {
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${sock()}`), sink, { waitMs: Infinity });
      const started = tap.start();
      await new Promise((r) => setTimeout(r, 100));
      await tap.stop();
      await assert.rejects(started, (e: Error) => e.name === 'AbortError');
      await startServer(); // a server that comes after the stop is left alone
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(readdirSync(dir), ['app.sock']);
      assert.equal(await echo(sock(), 'untouched'), 'echo\nuntouched');
      assert.ok(!sink.events.some((e) => e.kind === 'tap-ready' || e.kind === 'tap-stopped'));
    });
  });

  test('proxy on an abstract socket name', async () => {
    await withDir(async () => {
      await startServer();
      const name = `@ipctap-test-${process.pid}`;
      const sink = new RecordingSink();
      const tap = createTap(parseTapSpec(`unix:${name}=${sock()}`), sink);
      await tap.start();
      try {
        assert.equal(tap.address, name);
        assert.equal(await echo(`\0${name.slice(1)}`, 'abstract'), 'echo\nabstract');
        assert.equal(sink.conns().length, 1);
      } finally {
        await tap.stop();
      }
      assert.deepEqual(readdirSync(dir), ['app.sock']);
    });
  });

  test('SIGINT to a process that installed the exit restore: restored, and it dies by SIGINT', async () => {
    await withDir(async () => {
      await startServer();
      const before = lstatSync(sock()).ino;
      const owner = new Peer('takeover.ts', spawn(process.execPath, ['--import', 'tsx', TAKEOVER_SCRIPT, `unix:${sock()}`, '--exit-restore'], { stdio: ['pipe', 'pipe', 'pipe'] }));
      try {
        await owner.next((o) => 'ready' in o, 30_000);
        assert.notEqual(lstatSync(sock()).ino, before);
        owner.child.kill('SIGINT');
        const ex = await owner.exited;
        assert.equal(ex.signal, 'SIGINT');
        assert.ok(
          owner.lines.some((o) => o.kind === 'restored'),
          'the tap reported the restore',
        );
        assert.equal(lstatSync(sock()).ino, before);
        assert.equal(await echo(sock(), 'after sigint'), 'echo\nafter sigint');
        assertJournalEmpty();
      } finally {
        await owner.kill();
      }
    });
  });
});

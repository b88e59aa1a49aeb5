// Signals reaching a real Go program (os/signal), and the exits, stops and errors recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchProcess, type ManagedProcess } from '../../../extension/engine/process/launch';
import { sendSignal, signalRegistry } from '../../../extension/engine/process/signals';
import { UserError } from '../../../extension/engine/util/errors';
import { runCliAsNobody } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';
import { Recorder } from '../../helpers/process-recorder';

const bin = goBinary('signals');

async function startSignals(opts: { detached?: boolean } = {}): Promise<{ p: ManagedProcess; rec: Recorder }> {
  const rec = new Recorder();
  const p = await launchProcess([bin], { sink: rec, detached: opts.detached });
  await rec.until(() => rec.text('stdout').includes('ready'), 'the program to be ready');
  return { p, rec };
}

const gotLine = (rec: Recorder, name: string) => () => rec.text('stdout').includes(`got ${name}\n`);

test('SIGHUP, SIGUSR1 and SIGUSR2 reach the program, which keeps running; SIGINT ends it with its own exit code', async () => {
  const { p, rec } = await startSignals();
  try {
    for (const [given, name] of [
      ['hup', 'SIGHUP'],
      ['SIGUSR1', 'SIGUSR1'],
      ['12', 'SIGUSR2'],
    ] as const) {
      const sent = p.signal(given);
      assert.equal(sent.name, name);
      await rec.until(gotLine(rec, name), `got ${name}`);
      assert.equal(p.state, 'running');
    }
    p.signal('INT');
    const exit = await p.exited;
    assert.deepEqual(exit, { code: 42, signal: null, bySignal: false });
    assert.match(rec.text('stdout'), /got SIGINT\n$/);
    assert.equal(rec.text('stderr'), 'exiting with 42\n');
    const sentEvents = rec.events.filter((e) => e.kind === 'signal-sent').map((e) => e.signal);
    assert.deepEqual(sentEvents, ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGINT']);
    const exitEv = rec.events.find((e) => e.kind === 'exit');
    assert.deepEqual(exitEv, { kind: 'exit', pid: p.pid, code: 42, signal: null, bySignal: false });
    assert.equal(p.state, 'exited');
  } finally {
    await p.terminate();
  }
});

test('SIGTERM through sendSignal by pid reaches the program: exit code 43 recorded', async () => {
  const { p, rec } = await startSignals();
  try {
    const sink = new Recorder();
    const sent = sendSignal(String(p.pid), 'SIGTERM', { sink });
    assert.deepEqual({ name: sent.name, number: sent.number }, { name: 'SIGTERM', number: 15 });
    assert.deepEqual(sink.events, [{ kind: 'signal-sent', pid: p.pid, signal: 'SIGTERM', group: false }]);
    const exit = await p.exited;
    assert.equal(exit.code, 43);
    assert.ok(rec.text('stdout').includes('got SIGTERM\n'));
  } finally {
    await p.terminate();
  }
});

test('SIGKILL we send by pid (not through the ManagedProcess) is recorded as the cause: bySignal', async () => {
  const { p, rec } = await startSignals();
  sendSignal(p.pid, 9);
  const exit = await p.exited;
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL', bySignal: true });
  assert.deepEqual(rec.events.at(-1), { kind: 'exit', pid: p.pid, code: null, signal: 'SIGKILL', bySignal: true });
});

test('a SIGKILL someone else sends is not ours: bySignal false', async () => {
  const { p } = await startSignals();
  execFileSync('kill', ['-KILL', String(p.pid)]);
  const exit = await p.exited;
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL', bySignal: false });
});

test('SIGSTOP and SIGCONT are observed as stopped and continued; a stopped program handles nothing until continued', async () => {
  const { p, rec } = await startSignals();
  try {
    p.signal('SIGSTOP');
    await rec.until(() => p.state === 'stopped', 'state stopped');
    assert.ok(rec.events.some((e) => e.kind === 'stopped' && e.pid === p.pid));
    p.signal('USR1');
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(!rec.text('stdout').includes('got SIGUSR1'), 'a stopped process printed something');
    p.signal('cont');
    await rec.until(() => p.state === 'running', 'state running');
    await rec.until(gotLine(rec, 'SIGUSR1'), 'the pending SIGUSR1 after SIGCONT');
    const kinds = rec.kinds().filter((k) => k === 'stopped' || k === 'continued');
    assert.deepEqual(kinds, ['stopped', 'continued']);
  } finally {
    await p.terminate();
  }
});

test('a stop from outside ipctap is noticed too (background poll)', async () => {
  const { p, rec } = await startSignals();
  try {
    execFileSync('kill', ['-STOP', String(p.pid)]);
    await rec.until(() => p.state === 'stopped', 'state stopped', 4000);
    execFileSync('kill', ['-CONT', String(p.pid)]);
    await rec.until(() => p.state === 'running', 'state running', 4000);
  } finally {
    await p.terminate();
  }
});

test('terminate() of a stopped process still ends it (SIGTERM then SIGCONT)', async () => {
  const { p, rec } = await startSignals();
  p.signal('STOP');
  await rec.until(() => p.state === 'stopped', 'stopped');
  const exit = await p.terminate({ graceMs: 3000 });
  assert.equal(exit.code, 43);
});

test('group signals: refused for a child in our group, delivered to a detached child group', async () => {
  const { p } = await startSignals();
  try {
    assert.throws(
      () => p.signal('USR1', { group: true }),
      (e: unknown) => e instanceof UserError && /own group/.test(e.message),
    );
  } finally {
    await p.terminate();
  }
  const d = await startSignals({ detached: true });
  try {
    d.p.signal('USR2', { group: true });
    await d.rec.until(gotLine(d.rec, 'SIGUSR2'), 'group USR2');
    assert.deepEqual(
      d.rec.events.find((e) => e.kind === 'signal-sent'),
      { kind: 'signal-sent', pid: d.p.pid, signal: 'SIGUSR2', group: true },
    );
    sendSignal(d.p.pid, 'KILL', { group: true });
    const exit = await d.p.exited;
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL', bySignal: true });
  } finally {
    await d.p.terminate();
  }
});

test('a group signal to a pid that leads no group says which group it is in', async () => {
  const { p } = await startSignals();
  try {
    // p is in our group, whose leader is not p.
    assert.throws(
      () => sendSignal(p.pid, 'USR1', { group: true }),
      (e: unknown) => e instanceof UserError && new RegExp(`no process group ${p.pid}: pid ${p.pid} is in group \\d+`).test(e.message),
    );
  } finally {
    await p.terminate();
  }
});

test('unknown signal names and bad pids get clear errors, and nothing is sent', async () => {
  const { p, rec } = await startSignals();
  try {
    assert.throws(
      () => p.signal('SIGFOO'),
      (e: unknown) => e instanceof UserError && /unknown signal "SIGFOO".*ipctap signal --list/.test(e.message),
    );
    assert.throws(
      () => sendSignal(p.pid, '99'),
      (e: unknown) => e instanceof UserError && /no signal number 99/.test(e.message),
    );
    assert.throws(
      () => sendSignal(1, 'TERM'),
      (e: unknown) => e instanceof UserError && /pid 1 \(init\)/.test(e.message),
    );
    assert.throws(
      () => sendSignal(0, 'TERM'),
      (e: unknown) => e instanceof UserError && /pid 0/.test(e.message),
    );
    assert.throws(
      () => sendSignal('abc', 'TERM'),
      (e: unknown) => e instanceof UserError && /invalid pid "abc"/.test(e.message),
    );
    assert.throws(
      () => sendSignal(-5, 'TERM'),
      (e: unknown) => e instanceof UserError && /--group/.test(e.message),
    );
    assert.equal(rec.events.filter((e) => e.kind === 'signal-sent').length, 0);
    assert.equal(p.state, 'running');
  } finally {
    await p.terminate();
  }
});

test('a pid that does not exist: "no process with pid N"', async () => {
  // A pid above pid_max can never exist; a just-reaped child's pid is also gone.
  assert.throws(() => sendSignal(4194305, 'TERM'), { name: 'UserError', message: 'no process with pid 4194305' });
  const child = spawn('true');
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  assert.throws(() => sendSignal(pid, 'USR1'), { name: 'UserError', message: `no process with pid ${pid}` });
});

test('signalling after exit is refused by the ManagedProcess', async () => {
  const { p } = await startSignals();
  p.signal('TERM');
  await p.exited;
  assert.throws(
    () => p.signal('USR1'),
    (e: unknown) => e instanceof UserError && /already exited/.test(e.message),
  );
});

test('another user\'s process: EPERM, shown as "belongs to another user" (sender runs as nobody via setpriv)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to drop to nobody');
    return;
  }
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    t.skip('setpriv (util-linux) not installed');
    return;
  }
  const { p } = await startSignals(); // owned by root
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-eperm-'));
  try {
    const r = runCliAsNobody(dir, ['signal', String(p.pid), 'USR1']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^ipctap: pid ${p.pid} belongs to another user \\(owned by root \\(uid 0\\); you are nobody \\(uid 65534\\)\\)`));
    assert.equal(p.state, 'running');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await p.terminate();
  }
});

test('the registry keeps what was sent, bounded per pid', () => {
  const before = signalRegistry.sentTo(999999).length;
  for (let i = 0; i < 40; i++) signalRegistry.record({ pid: 999999, group: false, name: 'SIGUSR1', number: 10, at: Date.now() });
  assert.equal(before, 0);
  assert.equal(signalRegistry.sentTo(999999).length, 32);
  assert.equal(signalRegistry.sentTo(999999, { since: Date.now() + 1000 }).length, 0);
});

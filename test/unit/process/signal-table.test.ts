import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allSignals, formatSignalTable, parseSignal, signalByNumber, signalName } from '../../../extension/engine/process/signal-table';
import { signalError, parsePid } from '../../../extension/engine/process/signals';
import { UserError } from '../../../extension/engine/util/errors';
import { constants } from 'node:os';

test('the table matches the kernel numbers Node knows, for every standard signal', () => {
  const std = allSignals().filter((s) => s.number < 32);
  assert.equal(std.length, 31);
  for (const s of std) {
    assert.equal((constants.signals as Record<string, number>)[s.name], s.number, s.name);
    assert.ok(s.description.length > 5, `${s.name} has no description`);
  }
});

test('names in every spelling, numbers, aliases and realtime signals', () => {
  for (const given of ['usr1', 'USR1', 'SIGUSR1', 'sigusr1', ' SIGUSR1 ', '10', 10]) {
    assert.deepEqual(parseSignal(given), { name: 'SIGUSR1', number: 10 }, String(given));
  }
  assert.deepEqual(parseSignal('iot'), { name: 'SIGABRT', number: 6 });
  assert.deepEqual(parseSignal('SIGPOLL'), { name: 'SIGIO', number: 29 });
  assert.deepEqual(parseSignal('SIGCLD'), { name: 'SIGCHLD', number: 17 });
  assert.deepEqual(parseSignal('rtmin'), { name: 'SIGRTMIN', number: 34 });
  assert.deepEqual(parseSignal('SIGRTMIN+3'), { name: 'SIGRTMIN+3', number: 37 });
  assert.deepEqual(parseSignal('RTMAX-1'), { name: 'SIGRTMIN+29', number: 63 });
  assert.deepEqual(parseSignal('SIGRTMAX'), { name: 'SIGRTMAX', number: 64 });
  assert.deepEqual(parseSignal('40'), { name: 'SIGRTMIN+6', number: 40 });
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(33), 'signal 33');
  assert.equal(signalByNumber(65), undefined);
});

test('unknown names and numbers: UserError (usage, exit 1) saying where the names are', () => {
  const cases: [string, RegExp][] = [
    ['SIGFOO', /^unknown signal "SIGFOO": see `ipctap signal --list`/],
    ['', /^unknown signal ""/],
    ['0', /^no signal number 0: use 1-31 or 34-64/],
    ['32', /reserved by the C library/],
    ['65', /^no signal number 65/],
    ['RTMIN+31', /outside the realtime range/],
    ['KILL9', /^unknown signal "KILL9"/],
    ['-9', /^unknown signal "-9"/],
  ];
  for (const [given, re] of cases) {
    assert.throws(
      () => parseSignal(given),
      (e: unknown) => e instanceof UserError && e.exitCode === 1 && re.test(e.message),
      given,
    );
  }
});

test('formatSignalTable lists every standard name with its number', () => {
  const text = formatSignalTable();
  for (const s of allSignals().filter((x) => x.number < 32)) assert.match(text, new RegExp(`^\\s*${s.number}  ${s.name}\\b`, 'm'));
  assert.match(text, /SIGRTMIN\+n/);
});

test('kill(2) errnos map to the messages users see', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(signalError(errno('ESRCH'), 4194304, false).message, 'no process with pid 4194304');
  // EPERM for a pid that does not exist (can't say whose): still says another user.
  const eperm = signalError(errno('EPERM'), 4194304, false);
  assert.ok(eperm instanceof UserError);
  assert.match(eperm.message, /^pid 4194304 belongs to another user \(owned by someone else; you are \S+ \(uid \d+\)\): run ipctap as that user or with sudo$/);
  // EPERM for a real pid names the owner (our own process: uid from /proc).
  assert.match(signalError(errno('EPERM'), process.pid, false).message, new RegExp(`owned by \\S+ \\(uid ${process.getuid!()}\\)`));
  assert.match(signalError(errno('EPERM'), process.pid, true).message, /^process group \d+ contains a process that belongs to another user/);
  const other = new Error('boom');
  assert.equal(signalError(other, 5, false), other);
});

test('parsePid', () => {
  assert.equal(parsePid('4242'), 4242);
  assert.equal(parsePid(4242), 4242);
  for (const bad of ['', 'x', '1.5', '0', '1', '-3', '99999999999999999999']) assert.throws(() => parsePid(bad), UserError, bad);
});

// The takeover journal and its undo logic, on real files in a temp dir (regular files stand in
// for sockets and FIFOs: undo only renames, links and compares inodes).
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalDir, restoreAll, restoreAllSync, restoreOwnSync, stateDir, undoTakeover, writeEntry, type JournalEntry } from '../../../extension/engine/taps/journal';

let dir = '';
let state = '';
const p = (n: string): string => join(dir, n);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ipctap-journal-'));
  state = mkdtempSync(join(tmpdir(), 'ipctap-state-'));
  process.env.IPCTAP_STATE_DIR = state;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

/** Does what a takeover does to the file system: returns the original's inode. */
function takeOver(stopAfter: 'journal' | 'link' | 'all' = 'all'): { orig: number; ours: number } {
  writeFileSync(p('app'), 'original');
  writeFileSync(p('tmp'), 'ours');
  const orig = lstatSync(p('app')).ino;
  const ours = lstatSync(p('tmp')).ino;
  const st = lstatSync(p('tmp'));
  writeEntry({ path: p('app'), renamedTo: p('.app.renamed'), kind: 'unix', tmpPath: p('tmp'), tapIno: ours, tapDev: st.dev, tapBirth: st.birthtimeMs });
  if (stopAfter === 'journal') return { orig, ours };
  linkSync(p('app'), p('.app.renamed'));
  if (stopAfter === 'link') return { orig, ours };
  renameSync(p('tmp'), p('app'));
  return { orig, ours };
}

const journalFiles = (): string[] => {
  try {
    return readdirSync(journalDir());
  } catch {
    return [];
  }
};

test('the state dir: IPCTAP_STATE_DIR, else XDG_STATE_HOME/ipctap, else ~/.local/state/ipctap', () => {
  assert.equal(stateDir({ IPCTAP_STATE_DIR: '/s', XDG_STATE_HOME: '/x' }), '/s');
  assert.equal(stateDir({ XDG_STATE_HOME: '/x' }), '/x/ipctap');
  assert.match(stateDir({}), /\.local\/state\/ipctap$/);
});

test('an entry is on disk before the rename, with pid and time, and restore undoes the takeover', () => {
  const { orig } = takeOver();
  const files = journalFiles();
  assert.equal(files.length, 1);
  const e = JSON.parse(readFileSync(join(journalDir(), files[0]), 'utf8')) as JournalEntry;
  assert.equal(e.pid, process.pid);
  assert.equal(e.path, p('app'));
  assert.ok(Math.abs(e.createdAt - Date.now()) < 10_000);
  const results = restoreOwnSync();
  assert.deepEqual(
    results.map((r) => r.action),
    ['restored'],
  );
  assert.equal(lstatSync(p('app')).ino, orig);
  assert.equal(readFileSync(p('app'), 'utf8'), 'original');
  assert.deepEqual(readdirSync(dir), ['app']);
  assert.deepEqual(journalFiles(), []);
  assert.deepEqual(restoreOwnSync(), [], 'nothing left to restore');
});

test('interrupted after the link: the extra name is removed, the original stays', () => {
  const { orig } = takeOver('link');
  assert.deepEqual(
    restoreOwnSync().map((r) => r.action),
    ['restored'],
  );
  assert.equal(lstatSync(p('app')).ino, orig);
  assert.deepEqual(readdirSync(dir), ['app']);
});

test('interrupted before the link: nothing to put back, our temporary file removed', () => {
  const { orig } = takeOver('journal');
  assert.deepEqual(
    restoreOwnSync().map((r) => r.action),
    ['removed'],
  );
  assert.equal(lstatSync(p('app')).ino, orig);
  assert.deepEqual(readdirSync(dir), ['app']);
});

test('someone else replaced the path meanwhile: theirs is kept, the stale original removed', () => {
  takeOver();
  unlinkSync(p('app'));
  writeFileSync(p('app'), 'new server'); // may well get our freed inode number back
  const r = restoreOwnSync();
  assert.deepEqual(
    r.map((x) => x.action),
    ['removed'],
  );
  assert.match(r[0].message, /replaced by someone else/);
  assert.equal(readFileSync(p('app'), 'utf8'), 'new server');
  assert.deepEqual(readdirSync(dir), ['app']);
});

test('the original vanished: our file at the path is removed', () => {
  takeOver();
  unlinkSync(p('.app.renamed'));
  assert.deepEqual(
    restoreOwnSync().map((r) => r.action),
    ['removed'],
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('path removed and the original known dead: the stale original is removed, not put back', () => {
  writeFileSync(p('.app.renamed'), 'dead');
  const e: JournalEntry = { path: p('app'), renamedTo: p('.app.renamed'), kind: 'unix', pid: 1, createdAt: 0 };
  assert.equal(undoTakeover(e, { origAlive: false }).action, 'removed');
  assert.deepEqual(readdirSync(dir), []);
  writeFileSync(p('.app.renamed'), 'maybe alive');
  assert.equal(undoTakeover(e).action, 'restored', 'unknown liveness: the name is put back');
  assert.deepEqual(readdirSync(dir), ['app']);
});

test('restoreAll restores entries of dead processes only', async () => {
  // an entry owned by a process that has exited
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(p('app'), 'ours (dead tap)');
  writeFileSync(p('.app.renamed'), 'original');
  const mk = (name: string, e: Partial<JournalEntry>): void => {
    writeFileSync(join(journalDir(), name), JSON.stringify({ kind: 'unix', createdAt: Date.now(), ...e }), { mode: 0o600 });
  };
  writeEntry({ path: p('own'), renamedTo: p('.own.renamed'), kind: 'fifo' }); // ours: not restoreAll's business
  mk('x-dead.json', { path: p('app'), renamedTo: p('.app.renamed'), pid: Number(dead) });
  mk('x-live.json', { path: p('other'), renamedTo: p('.other.renamed'), pid: process.ppid });
  writeFileSync(join(journalDir(), 'garbage.json'), '{not json');
  const results = await restoreAll();
  const byPath = new Map(results.map((r) => [r.path, r.action]));
  assert.equal(byPath.get(p('app')), 'restored');
  assert.equal(byPath.get(p('other')), 'skipped');
  assert.equal(byPath.has(p('own')), false);
  assert.equal(readFileSync(p('app'), 'utf8'), 'original');
  assert.deepEqual(journalFiles().sort(), ['garbage.json', 'x-live.json', journalFiles().find((f) => f.startsWith(`${process.pid}-`))!].sort());
  assert.deepEqual(
    restoreAllSync().map((r) => r.action),
    ['skipped'],
    'the dead entry is gone',
  );
});

test('a pid reused by another process does not count as the owner', async () => {
  writeFileSync(p('app'), 'ours');
  writeFileSync(p('.app.renamed'), 'original');
  writeEntry({ path: p('zzz'), renamedTo: p('.zzz'), kind: 'unix' }); // makes the journal dir
  writeFileSync(join(journalDir(), 'reused.json'), JSON.stringify({ path: p('app'), renamedTo: p('.app.renamed'), kind: 'unix', pid: process.ppid, pidStart: '1', createdAt: 0 }), {
    mode: 0o600,
  });
  const r = await restoreAll();
  assert.deepEqual(
    r.map((x) => x.action),
    ['restored'],
  );
  assert.equal(readFileSync(p('app'), 'utf8'), 'original');
});

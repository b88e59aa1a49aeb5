// A real VS Code in the browser (code-server) with IPC Tap installed: used by `npm start` and the
// e2e tests. code-server and the Node 24 it needs are installed once into a cache outside the
// repository ($XDG_CACHE_HOME/ipctap or ~/.cache/ipctap), keyed by version. See E2E.md.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function cacheDir(env = process.env) {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ipctap', `code-server-${CODE_SERVER_VERSION}`);
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || '').slice(-4000)}`);
  return r.stdout;
}

/**
 * Install code-server (and Node 24, which it needs) into the cache unless already there.
 * Returns { bin, path } where `path` is a PATH value putting Node 24 first.
 * The first install takes about 5 minutes (native modules are built).
 */
export function ensureCodeServer({ log = (m) => process.stderr.write(m + '\n') } = {}) {
  const dir = cacheDir();
  const bin = join(dir, 'node_modules', '.bin', 'code-server');
  const path = `${join(dir, 'node_modules', '.bin')}:${process.env.PATH}`;
  const ready = join(dir, '.ready');
  if (existsSync(ready) && existsSync(bin)) return { bin, path, dir };
  // One installer at a time: two npm installs into one folder corrupt each other. The lock is a
  // directory (mkdir is atomic) holding the installer's pid; a lock whose pid is gone is stale.
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (let waited = false; ;) {
    if (existsSync(ready) && existsSync(bin)) return { bin, path, dir };
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSafe(join(lock, 'pid')));
    if (holder && !isAlive(holder)) {
      log(`removing the lock of an install that did not finish (pid ${holder})`);
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!waited) log(`waiting for another code-server install${holder ? ` (pid ${holder})` : ''} to finish…`);
    waited = true;
    sleepSync(2000);
  }
  try {
    return installCodeServer({ dir, bin, path, ready, log });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSafe(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function installCodeServer({ dir, bin, path, ready, log }) {
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (first time only, ~5 minutes)…`);
  // What an install that did not finish left is not trusted: start from an empty folder.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, JSON.stringify({ name: 'ipctap-code-server-cache', private: true }, null, 2));
  // Not the npm_* variables of an npm that runs us (`npm test`, `npm start`): npm reads them as its
  // own configuration, and code-server's postinstall would see that npm's Node in
  // npm_config_user_agent (v20) instead of the Node 24 installed here, and refuse.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  Object.assign(env, { PATH: path, npm_config_yes: 'true' });
  const t0 = Date.now();
  const step = (m) => log(`  ${m} (${Math.round((Date.now() - t0) / 1000)} s so far)`);
  step('1/3 Node 24 (code-server needs it)…');
  run('npm', ['install', '--no-audit', '--no-fund', 'node@24'], { cwd: dir, env });
  step('2/3 code-server and its native modules (the long part)…');
  run('npm', ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env });
  step('3/3 checking it runs…');
  // npm 11 skips dependencies' install scripts unless approved; code-server needs its postinstall.
  const hasApprovals = spawnSync('npm', ['install-scripts', '--help'], { cwd: dir, env, stdio: 'ignore' }).status === 0;
  if (hasApprovals) {
    run('npm', ['install-scripts', 'approve', '--all'], { cwd: dir, env });
    run('npm', ['rebuild'], { cwd: dir, env });
  }
  run(bin, ['--version'], { cwd: dir, env });
  writeFileSync(ready, new Date().toISOString() + '\n');
  log('code-server installed');
  return { bin, path, dir };
}

/** Copy the built extension (package.json, dist/, media/, the README's docs/media/) into an extensions folder. */
export function installExtension(extensionsDir) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const target = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE']) if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(target, f));
  for (const d of ['dist', 'media', 'docs/media'])
    if (existsSync(join(repoRoot, d))) cpSync(join(repoRoot, d), join(target, d), { recursive: true, filter: (src) => !src.endsWith('.map') });
  return target;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Start code-server on 127.0.0.1:port in its own process group. Resolves once it listens.
 * Returns { url, child, stop } — stop() ends the whole process group.
 */
export async function startCodeServer({ port, extensionsDir, userDataDir, workspace, env = {}, log = () => {}, progress }) {
  const { bin, path } = ensureCodeServer({ log: progress ?? log });
  mkdirSync(userDataDir, { recursive: true });
  // Settings that keep the window quiet and predictable.
  const settingsDir = join(userDataDir, 'User');
  mkdirSync(settingsDir, { recursive: true });
  const settingsFile = join(settingsDir, 'settings.json');
  if (!existsSync(settingsFile)) {
    writeFileSync(
      settingsFile,
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'security.workspace.trust.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'update.mode': 'none',
          'extensions.autoCheckUpdates': false,
          'chat.disableAIFeatures': true,
          'workbench.welcomePage.walkthroughs.openOnInstall': false,
          // No "application running on port …" toast for every server a launch starts, no
          // prompt about the repository in a parent folder, no empty secondary side bar.
          'remote.autoForwardPorts': false,
          'git.openRepositoryInParentFolders': 'never',
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
        },
        null,
        2,
      ),
    );
  }
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--extensions-dir',
    extensionsDir,
    '--user-data-dir',
    userDataDir,
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--disable-update-check',
    '--disable-getting-started-override',
    workspace,
  ];
  const child = spawn(bin, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: path, XDG_CONFIG_HOME: join(userDataDir, 'config'), ...env },
  });
  const guard = guardGroup(child.pid);
  let output = '';
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${output.slice(-3000)}`)), 60_000);
    const onData = (d) => {
      output += d;
      log(String(d).trimEnd());
      if (/HTTP server listening/.test(output)) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code}):\n${output.slice(-3000)}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return guard.release();
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    const timeout = new Promise((r) => setTimeout(r, 5000, 'timeout'));
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
    guard.release();
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, child, stop, output: () => output };
}

/**
 * code-server runs in its own process group, so a test run or `npm start` killed outright (SIGKILL,
 * a runner's timeout) would leave it behind. A small guard process, in a process group of its own,
 * holds a pipe from us: when the pipe closes without a release (we are gone, however we died), it
 * ends code-server's group (SIGTERM, SIGKILL 5 s later).
 */
function guardGroup(pgid) {
  const code = `
    let released = false;
    process.stdin.on('data', (d) => { if (String(d).includes('release')) released = true; });
    process.stdin.on('end', () => {
      if (released) process.exit(0);
      const kill = (sig) => { try { process.kill(-${pgid}, sig); return true; } catch { return false; } };
      kill('SIGTERM');
      const t0 = Date.now();
      setInterval(() => {
        if (!kill(0)) process.exit(0);
        if (Date.now() - t0 > 5000) { kill('SIGKILL'); process.exit(0); }
      }, 200);
    });`;
  const g = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  g.unref();
  // Our end of the pipe must not keep our event loop alive.
  g.stdin.on('error', () => {});
  g.stdin.unref();
  return {
    release() {
      if (g.stdin.destroyed) return;
      g.stdin.end('release\n');
    },
  };
}

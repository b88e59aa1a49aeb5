#!/usr/bin/env node
// `npm start`: build IPC Tap, install it into a throwaway extensions folder, start a real VS Code
// (code-server) on 127.0.0.1 with examples/ open, and print the URL. Ctrl-C stops everything.
//   PORT=8080 npm start      (default: a free port)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, installExtension, repoRoot, startCodeServer } from './code-server.mjs';

const say = (m) => process.stdout.write(m + '\n');

const build = spawnSync(process.execPath, ['build.mjs'], { cwd: repoRoot, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const examples = spawnSync(process.execPath, [join('examples', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
if (examples.status !== 0) say('warning: the Go examples did not build (is golang-go installed?); the Node examples still work');

const scratch = mkdtempSync(join(tmpdir(), 'ipctap-start-'));
const extensionsDir = join(scratch, 'extensions');
installExtension(extensionsDir);
const port = Number(process.env.PORT) || (await freePort());
const verbose = process.argv.includes('--verbose');

let server;
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('\nstopping code-server…');
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void shutdown(0));

try {
  server = await startCodeServer({
    port,
    extensionsDir,
    userDataDir: join(scratch, 'user-data'),
    workspace: join(repoRoot, 'examples'),
    log: verbose ? say : () => {},
    // The first run installs code-server (~5 minutes): say so, step by step.
    progress: say,
  });
} catch (err) {
  say(String(err instanceof Error ? err.message : err));
  await shutdown(1);
}
say('');
say(`IPC Tap is running in VS Code at:  ${server.url}`);
say('Open it in a browser, press F1 and run "IPC Tap: Launch and Tap…". Ctrl-C stops it.');
server.child.once('exit', (code) => {
  if (!stopping) {
    say(`code-server exited (${code})`);
    void shutdown(1);
  }
});

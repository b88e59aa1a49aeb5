// processInfo names a process the way ps does for people: argv[0]'s file name, or the kernel's comm
// when the program rewrote its argv into a title with spaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { processInfo } from '../../../extension/engine/process/procfs';

async function withChild(argv0: string | undefined, fn: (pid: number) => void): Promise<void> {
  const child = spawn('sleep', ['30'], { argv0, stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    // The exec has happened once cmdline shows sleep's argument.
    for (let i = 0; i < 200 && processInfo(child.pid!)?.cmdline.at(-1) !== '30'; i++) await new Promise((r) => setTimeout(r, 10));
    fn(child.pid!);
  } finally {
    child.kill();
  }
}

test('processInfo: the file name of argv[0]', async () => {
  await withChild('/opt/tools/my-server', (pid) => assert.equal(processInfo(pid)?.name, 'my-server'));
});

test('processInfo: a title with spaces in argv[0] gives the kernel comm', async () => {
  await withChild('worker: listening on 127.0.0.1:8080 --flag=1 --other', (pid) => {
    const info = processInfo(pid)!;
    assert.equal(info.comm, 'sleep');
    assert.equal(info.name, 'sleep');
  });
});

// Every input the coverage-guided fuzzer found a problem with (test/fuzz/regressions/TARGET-N.txt,
// kept once fixed) runs clean against its decoder, or the capture reader for capture-N.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { replayFinding } from '../../fuzz/guided';

const dir = join(import.meta.dirname, '..', '..', 'fuzz', 'regressions');

test('fuzz regressions: every kept finding runs clean', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const target = f.slice(0, f.lastIndexOf('-'));
    assert.equal(await replayFinding(target, join(dir, f)), null, f);
  }
});

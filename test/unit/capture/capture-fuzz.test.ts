// A short run of the hostile-capture fuzzer (test/fuzz/capture.ts; `npm run fuzz -- --capture`
// runs it long): every file reads to rows or a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzCaptures } from '../../fuzz/capture';

test('hostile capture files (checksummed records with wrong-typed values; damaged bytes): rows or a clear error, nothing else', async () => {
  const r = await fuzzCaptures(300, 7);
  assert.deepEqual(
    r.failures.map((f) => `#${f.index}: ${f.problem.split('\n').slice(0, 4).join(' | ')}`),
    [],
  );
});

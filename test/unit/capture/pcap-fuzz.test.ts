// Hostile pcap/pcapng files: a real export (test/fixtures/pcap, Go net/rpc exported by ipctap)
// with bytes flipped, cut and inserted reads to items or a clear UserError — nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pcapItems } from '../../../extension/engine/capture/pcap-import';
import { UserError } from '../../../extension/engine/util/errors';
import { prng, randInt } from '../../helpers/decoder-suite';

test('damaged pcapng files: items or a UserError', async () => {
  const good = readFileSync(resolve(__dirname, '../../fixtures/pcap/netrpc-export.pcapng'));
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-pcapfuzz-'));
  const problems: string[] = [];
  try {
    let items = 0;
    for await (const _ of pcapItems(resolve(__dirname, '../../fixtures/pcap/netrpc-export.pcapng'))) items++;
    assert.ok(items > 20, `the undamaged file reads (${items} items)`);
    for (let i = 0; i < 400; i++) {
      const rng = prng(1000 + i);
      let b = Buffer.from(good);
      for (let n = 1 + randInt(rng, 8); n > 0; n--) b[randInt(rng, b.length)] = randInt(rng, 256);
      if (rng() < 0.3) b = b.subarray(0, randInt(rng, b.length));
      const p = join(dir, 'f.pcapng');
      writeFileSync(p, b);
      try {
        for await (const _ of pcapItems(p)) void _;
      } catch (e) {
        if (!(e instanceof UserError)) problems.push(`#${i}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
});

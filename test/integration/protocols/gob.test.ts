// A real Go program writes a wide set of values as one gob stream through a pipe; for each value
// it also writes encoding/json of what a real gob.Decoder made of it. The decoder's `value` must
// match Go's JSON value by value, with exact integers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gobDecoder } from '../../../extension/engine/protocols/gob/index';
import type { Frame } from '../../../extension/engine/types';
import { parseJsonExact } from '../../../extension/engine/util/json';
import { goBinary } from '../../helpers/go';
import { compareGoJson } from './gob-compare';

interface GoLine {
  i: number;
  what: string;
  json?: unknown;
  text?: string;
}

async function runSender(): Promise<{ chunks: Buffer[]; lines: GoLine[] }> {
  const bin = goBinary('gobsender');
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-gob-'));
  try {
    const jsonPath = join(dir, 'values.jsonl');
    const child = spawn(bin, [jsonPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    assert.equal(code, 0, 'gobsender exit code');
    const lines = readFileSync(jsonPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseJsonExact(l) as GoLine);
    return { chunks, lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isTypedef = (f: Frame) => (f.decoded as { typedef?: unknown } | null)?.typedef !== undefined;

test('gob from a real Go encoder: every value matches encoding/json of the receiver’s value', async () => {
  const { chunks, lines } = await runSender();
  assert.ok(lines.length > 330, `${lines.length} values`);
  const stream = Buffer.concat(chunks);

  // decode the chunks exactly as the pipe delivered them
  const dec = gobDecoder.create();
  const frames: Frame[] = [];
  for (const c of chunks) frames.push(...dec.push('stdout', c));
  frames.push(...dec.end('stdout'));

  assert.deepEqual(frames.filter((f) => f.error).map((f) => f.error), []);
  assert.equal(Buffer.concat(frames.map((f) => f.data)).compare(stream), 0, 'frames cover the stream byte for byte');
  const values = frames.filter((f) => !isTypedef(f));
  assert.equal(values.length, lines.length);

  let float32 = 0;
  const failures: string[] = [];
  for (const line of lines) {
    const d = values[line.i]!.decoded as { type: string; value: unknown; concrete?: Record<string, string> };
    if (line.text !== undefined) {
      // encoding/json cannot print complex numbers: compare with fmt's rendering
      const v = d.value;
      const text = typeof v === 'string' ? v : `{${Object.values(v as object).join(' ')}}`;
      if (text !== line.text) failures.push(`#${line.i} ${line.what}: ${text} vs ${line.text}`);
      continue;
    }
    const r = compareGoJson(d.value, line.json);
    float32 += r.float32;
    for (const diff of r.diffs) failures.push(`#${line.i} ${line.what} ${diff}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(float32 <= 3, `float32 allowances: ${float32}`); // float32(0.1), F32 1.5 is exact, Third

  // spot checks of what the UI shows
  const byWhat = (w: string) => values[lines.find((l) => l.what === w)!.i]!;
  const holder = byWhat('main.Holder').decoded as { type: string; concrete: Record<string, string> };
  assert.equal(holder.type, 'Holder');
  assert.deepEqual(holder.concrete, {
    '/S': 'main.Circle',
    '/Any': 'int',
    '/Items/0': 'string',
    '/Items/1': 'float64',
    '/Items/2': 'main.Point',
    '/Items/3': '[]int',
    '/Items/4': 'map[string]interface {}',
    '/Items/4/k': 'string',
    '/Items/4/n': 'int',
    '/M/c': 'main.Circle',
    '/M/sq': '*main.Square',
    '/M/t': 'time.Time',
  });
  assert.match(byWhat('main.Holder').summary, /S: main\.Circle/);
  const large = byWhat('main.Large');
  assert.ok(large.data.length > 100 * 1024, `large value frame is ${large.data.length} bytes`);
  assert.equal((values[0]!.decoded as { type: string }).type, 'Point');
  assert.equal((byWhat('main.Colls').decoded as { value: { Pts: unknown } }).value.Pts !== undefined, true);
});

test('the same stream decodes identically when cut at random places', async () => {
  const { chunks } = await runSender();
  const stream = Buffer.concat(chunks);
  const whole = [...gobDecoder.create().push('c2s', stream)];
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const dec = gobDecoder.create();
  const split: Frame[] = [];
  for (let o = 0; o < stream.length; ) {
    const n = 1 + Math.floor(next() * (next() < 0.7 ? 16 : 4000));
    split.push(...dec.push('c2s', stream.subarray(o, o + n)));
    o += n;
  }
  split.push(...dec.end('c2s'));
  assert.equal(split.length, whole.length);
  for (let k = 0; k < whole.length; k++) {
    assert.deepEqual(split[k]!.decoded, whole[k]!.decoded);
    assert.equal(Buffer.compare(split[k]!.data, whole[k]!.data), 0);
  }
});

// A real Go program, launched under `ipctap run` (the built CLI), writes a wide set of values as
// one gob stream to its stdout, which the product's real stdio tap captures (direction stdout) into
// a .ipctap file; for each value it also writes, to a JSON Lines file, encoding/json of what a real
// gob.Decoder made of it. The stdout chunks read back from the capture are decoded, and the
// decoder's `value` must match Go's JSON value by value, with exact integers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture } from '../../../extension/engine/capture/reader';
import { gobDecoder } from '../../../extension/engine/decoders/gob/index';
import type { Frame } from '../../../extension/engine/types';
import { parseJsonExact } from '../../../extension/engine/util/json';
import { cliEnv, runCli } from '../../helpers/cli';
import { goBinary } from '../../helpers/go';
import { compareGoJson } from '../../helpers/gob-compare';

interface GoLine {
  i: number;
  what: string;
  json?: unknown;
  text?: string;
}

/** Run gobsender under `ipctap run`; return the stdout chunks of its capture, in order, and its JSON lines. */
async function runSender(): Promise<{ chunks: Uint8Array[]; lines: GoLine[] }> {
  const bin = goBinary('gobsender');
  const env = cliEnv();
  try {
    const jsonPath = join(env.dir, 'values.jsonl');
    const cap = join(env.dir, 'gob.ipctap');
    const r = await runCli(['run', '-q', '-w', cap, '--no-stdin', '--', bin, jsonPath], { env: env.env, timeoutMs: 60000 });
    assert.equal(r.code, 0, `ipctap run failed: ${r.stderr}`);
    const chunks: Uint8Array[] = [];
    const exits: (number | null | undefined)[] = [];
    const reader = await openCapture(cap);
    try {
      for await (const { record } of reader.records()) {
        if (record.t === 'c') {
          assert.equal(record.dir, 'stdout', 'gobsender writes only to its stdout');
          chunks.push(record.data);
        } else if (record.t === 'e' && record.kind === 'exit') exits.push(record.code);
      }
      assert.deepEqual(reader.warnings, []);
    } finally {
      await reader.close();
    }
    assert.deepEqual(exits, [0], 'gobsender exit code (from the capture)');
    const lines = readFileSync(jsonPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseJsonExact(l) as GoLine);
    return { chunks, lines };
  } finally {
    env.cleanup();
  }
}

const isTypedef = (f: Frame) => (f.decoded as { typedef?: unknown } | null)?.typedef !== undefined;

test('gob from a real Go encoder: every value matches encoding/json of the receiver’s value', async () => {
  const { chunks, lines } = await runSender();
  assert.ok(lines.length > 330, `${lines.length} values`);
  const stream = Buffer.concat(chunks);

  // decode the chunks exactly as the stdio tap captured them
  const dec = gobDecoder.create();
  const frames: Frame[] = [];
  for (const c of chunks) frames.push(...dec.push('stdout', c));
  frames.push(...dec.end('stdout'));

  assert.deepEqual(
    frames.filter((f) => f.error).map((f) => f.error),
    [],
  );
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
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const dec = gobDecoder.create();
  const split: Frame[] = [];
  for (let o = 0; o < stream.length;) {
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

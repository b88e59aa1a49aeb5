// Child process for the tailing test: writes a capture in two halves, waiting for "go" on stdin
// between them, so the parent provably reads records while the file is still being written.
//   node --import tsx capture-writer.ts PATH
import { createInterface } from 'node:readline';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { makeItems } from '../capture-items';

async function main(): Promise<void> {
  const path = process.argv[2]!;
  const items = makeItems(4000, 99);
  const w = await CaptureWriter.open(path, { start: 1, name: 'tail-test' }, { onError: (e) => console.error(e.message) });
  process.stdout.write('open\n');
  const lines = createInterface({ input: process.stdin });
  const it = lines[Symbol.asyncIterator]();
  const half = items.length / 2;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if ('chunk' in item) w.writeChunk(item.chunk);
    else w.writeEvent(item.event);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    if (i === half - 1) {
      w.writeEvent({ kind: 'note', message: 'half', ts: 0, mono: 0 });
      await w.flush();
      process.stdout.write('half\n');
      const line = await it.next();
      if (line.value !== 'go') throw new Error(`expected go, got ${String(line.value)}`);
    }
  }
  w.writeEvent({ kind: 'note', message: 'done', ts: 0, mono: 0 });
  await w.close();
  lines.close();
  process.stdout.write(JSON.stringify(w.stats()) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

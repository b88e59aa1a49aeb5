// ReadPort: the buffer a relay reads into is reused only while nothing holds the bytes read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadPort } from '../../../extension/engine/taps/read-pool';

/** One read as net does it: fill the current buffer, call back, ask for the next buffer. */
function read(port: ReadPort, bytes: number[]): Buffer {
  const onread = port.onread as { buffer: () => Uint8Array; callback: (n: number, b: Uint8Array) => boolean };
  const b = onread.buffer();
  b.set(bytes);
  assert.equal(onread.callback(bytes.length, b), true, 'never pauses by return value (socket.pause() does)');
  return b as Buffer;
}

test('the same buffer serves every read until hold(); then the next read gets a fresh one', () => {
  const port = new ReadPort(16);
  const seen: string[] = [];
  const kept: Buffer[] = [];
  port.setHandler((d) => {
    seen.push(d.toString('hex'));
    kept.push(d);
  });
  const b1 = read(port, [1, 2]);
  const b2 = read(port, [3]);
  assert.equal(b1, b2, 'reused while nothing held it');
  port.hold(); // the write of [3] waits
  const b3 = read(port, [4, 5, 6]);
  assert.notEqual(b3, b2, 'a held buffer is not read into again');
  assert.equal(kept[1]!.toString('hex'), '03', 'the held bytes are unchanged');
  assert.deepEqual(seen, ['0102', '03', '040506']);
  assert.equal(b3.length, 16);
});

test('bytes read before a handler is set are copied and handed over first, in order', () => {
  const port = new ReadPort(8);
  read(port, [9, 9]);
  read(port, [7]); // same buffer: the first read must have been copied
  const seen: string[] = [];
  port.setHandler((d) => seen.push(d.toString('hex')));
  read(port, [5]);
  assert.deepEqual(seen, ['0909', '07', '05']);
});

// The pacing of a gRPC call sent again in turns: how many answers came before each captured
// request message, and the count of the server's messages in DATA payloads cut anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersBefore, MessageCounter } from '../../../extension/engine/replay/grpc-send';
import type { FrameRow } from '../../../extension/engine/types';

const row = (id: number, kind: string) => ({ type: 'frame', id, decoded: { kind, stream: 1 } }) as unknown as FrameRow;
const message = (body: number) => Buffer.concat([Buffer.from([0, 0, 0, body >> 8, body & 0xff]), Buffer.alloc(body, 7)]);

test('answersBefore: the server messages (not headers or trailers) before each request, by row order', () => {
  const answers = [row(3, 'headers'), row(4, 'message'), row(6, 'message'), row(9, 'message'), row(10, 'trailers')];
  assert.deepEqual(answersBefore([row(2, 'message'), row(5, 'message'), row(7, 'message'), row(8, 'message')], answers), [0, 1, 2, 2]);
  assert.deepEqual(answersBefore([row(2, 'message'), row(3, 'message')], [row(4, 'headers'), row(5, 'message')]), [0, 0], 'everything sent before any answer');
});

test('MessageCounter: messages whole, several in one payload, cut inside the prefix or the body, empty', () => {
  const all = Buffer.concat([message(3), message(0), message(300), message(1)]);
  const whole = new MessageCounter();
  whole.push(all);
  assert.equal(whole.count, 4);
  for (const cut of [1, 2, 5, 6, 7, 8, 12, 13, 200, all.length - 1]) {
    const c = new MessageCounter();
    c.push(all.subarray(0, cut));
    c.push(all.subarray(cut));
    assert.equal(c.count, 4, `cut at ${cut}`);
  }
  const byByte = new MessageCounter();
  const counts: number[] = [];
  for (const b of all) {
    byByte.push(Buffer.from([b]));
    counts.push(byByte.count);
  }
  assert.deepEqual([counts[7], counts[8], counts[12], counts[13]], [1, 1, 2, 2], 'a message counts once its last byte is in');
  assert.equal(byByte.count, 4);
});

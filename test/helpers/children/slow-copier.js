// Child for the lossless test: reads a FIFO at a limited rate (a slow disk) and copies what it
// reads to OUT; prints "eof" when the writer has closed it.
//   node slow-copier.js FIFO OUT BYTES_PER_SECOND [GO_FILE]
// With GO_FILE it opens the FIFO, then reads nothing until that file exists (a disk that stalls).
const fs = require('node:fs');
const [fifo, out, rate, go] = process.argv.slice(2);
const fd = fs.openSync(fifo, 'r');
const o = fs.openSync(out, 'w');
const buf = Buffer.alloc(64 * 1024);
const pause = new Int32Array(new SharedArrayBuffer(4));
if (go) while (!fs.existsSync(go)) Atomics.wait(pause, 0, 0, 20);
const t0 = Date.now();
let total = 0;
for (;;) {
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  fs.writeSync(o, buf, 0, n);
  total += n;
  const ahead = (total / Number(rate)) * 1000 - (Date.now() - t0);
  if (ahead > 0) Atomics.wait(pause, 0, 0, ahead);
}
fs.closeSync(o);
fs.closeSync(fd);
process.stdout.write('eof\n');

// Child for the slow-sink test: opens a FIFO for reading, reads nothing until "go" arrives on
// stdin (so the writer's pipe fills and its backlog grows), then copies everything to OUT.
//   node fifo-reader.js FIFO OUT
const fs = require('node:fs');
const [fifo, out] = process.argv.slice(2);
const fd = fs.openSync(fifo, 'r');
process.stdout.write('open\n');
process.stdin.once('data', () => {
  const o = fs.openSync(out, 'w');
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    fs.writeSync(o, buf, 0, n);
  }
  fs.closeSync(o);
  fs.closeSync(fd);
  process.stdout.write('eof\n');
  process.exit(0);
});

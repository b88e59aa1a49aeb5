// A TCP client that sends numbered lines ("line 1", "line 2", ...) without a break until the
// file STOP exists, then one last line "done N" (N: the last number sent), and exits. With
// "flood", about 10 MB/s (faster than live decoding keeps up with), each padded with dots to
// 200 bytes.
//   node line-sender.js HOST:PORT STOP [flood]
const net = require('node:net');
const fs = require('node:fs');
const [addr, stop, mode] = process.argv.slice(2);
const flood = mode === 'flood';
const at = addr.lastIndexOf(':');
const sock = net.connect(Number(addr.slice(at + 1)), addr.slice(0, at));
let n = 0;
let sent = 0;
const t0 = Date.now();
const batch = () => {
  if (fs.existsSync(stop)) {
    sock.end(`done ${n}\n`);
    return;
  }
  let text = '';
  for (let i = 0; i < 40; i++) {
    const line = `line ${++n}`;
    text += (flood ? line.padEnd(199, '.') : line) + '\n';
  }
  sent += text.length;
  // Wait for the socket to drain when it is full, else go on (flood: at once unless ahead of 10 MB/s).
  if (!sock.write(text)) sock.once('drain', batch);
  else if (flood && sent < (Date.now() - t0) * 10_000) setImmediate(batch);
  else setTimeout(batch, flood ? 1 : 2);
};
sock.on('connect', batch);
sock.on('close', () => process.exit(0));
sock.on('error', (e) => {
  process.stderr.write(`line-sender: ${e.message}\n`);
  process.exit(1);
});

// A TCP client that sends numbered lines ("line 1", "line 2", ...) without a break until the
// file STOP exists, then one last line "done N" (N: the last number sent), and exits.
//   node line-sender.js HOST:PORT STOP
const net = require('node:net');
const fs = require('node:fs');
const [addr, stop] = process.argv.slice(2);
const at = addr.lastIndexOf(':');
const sock = net.connect(Number(addr.slice(at + 1)), addr.slice(0, at));
let n = 0;
const batch = () => {
  if (fs.existsSync(stop)) {
    sock.end(`done ${n}\n`);
    return;
  }
  let text = '';
  for (let i = 0; i < 40; i++) text += `line ${++n}\n`;
  // Wait for the socket to drain when it is full, else go on after a moment.
  if (sock.write(text)) setTimeout(batch, 2);
  else sock.once('drain', batch);
};
sock.on('connect', batch);
sock.on('close', () => process.exit(0));
sock.on('error', (e) => {
  process.stderr.write(`line-sender: ${e.message}\n`);
  process.exit(1);
});

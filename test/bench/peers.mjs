// Benchmark peers, run as separate processes:
//   node peers.mjs sink ADDR        count bytes of each connection; on its end, reply with the count
//   node peers.mjs echo ADDR        echo everything back (ping-pong latency)
// ADDR is a Unix socket path or tcp:PORT (127.0.0.1). Prints "ready" when listening.
import net from 'node:net';
import { unlinkSync } from 'node:fs';

const [mode, addr] = process.argv.slice(2);
const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  sock.setNoDelay(true);
  if (mode === 'echo') {
    sock.on('error', () => {});
    sock.pipe(sock);
    return;
  }
  let n = 0;
  sock.on('data', (d) => (n += d.length));
  sock.on('end', () => sock.end(`${n}\n`));
  sock.on('error', () => {});
});
if (addr.startsWith('tcp:')) server.listen(Number(addr.slice(4)), '127.0.0.1', () => console.log('ready'));
else {
  try {
    unlinkSync(addr);
  } catch {}
  server.listen(addr, () => console.log('ready'));
}
process.on('SIGTERM', () => process.exit(0));

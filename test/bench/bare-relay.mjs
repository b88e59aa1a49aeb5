// The least a Node.js relay can do, as a reference row in the forwarding benchmark: forward both
// ways with pause/resume backpressure and half-close, nothing else (no capture, no decoding).
//   node bare-relay.mjs LISTEN TARGET      (Unix socket paths, or tcp:PORT on 127.0.0.1)
import net from 'node:net';
import { unlinkSync } from 'node:fs';

const [listen, target] = process.argv.slice(2);
const addr = (a) => (a.startsWith('tcp:') ? { port: Number(a.slice(4)), host: '127.0.0.1' } : { path: a });
if (!listen.startsWith('tcp:')) {
  try {
    unlinkSync(listen);
  } catch {}
}
function pipe(from, to) {
  from.on('data', (d) => {
    if (!to.write(d)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
}
net
  .createServer({ allowHalfOpen: true }, (client) => {
    client.pause();
    const server = net.connect({ ...addr(target), allowHalfOpen: true }, () => {
      pipe(client, server);
      pipe(server, client);
      client.resume();
    });
    server.on('error', () => client.destroy());
  })
  .listen(addr(listen));
process.on('SIGTERM', () => process.exit(0));

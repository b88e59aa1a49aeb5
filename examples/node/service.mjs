// A small JSON-RPC 2.0 service over TCP, one JSON object per line.
//   node service.mjs [--listen 127.0.0.1:7401]
// Methods: add {a, b} → sum; echo {text} → text; upper {text} → TEXT.
import net from 'node:net';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const [host, port] = arg('--listen', '127.0.0.1:7401').split(':');

const methods = {
  add: ({ a, b }) => a + b,
  echo: ({ text }) => text,
  upper: ({ text }) => String(text).toUpperCase(),
};

const server = net.createServer((sock) => {
  console.log(`client connected from ${sock.remoteAddress}:${sock.remotePort}`);
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let reply;
      try {
        const req = JSON.parse(line);
        const fn = methods[req.method];
        reply = fn ? { jsonrpc: '2.0', id: req.id, result: fn(req.params ?? {}) } : { jsonrpc: '2.0', id: req.id, error: { code: -32601, message: `no method ${req.method}` } };
      } catch (err) {
        reply = { jsonrpc: '2.0', id: null, error: { code: -32700, message: String(err) } };
      }
      sock.write(JSON.stringify(reply) + '\n');
    }
  });
  sock.on('error', () => {});
});
server.listen(Number(port), host, () => console.log(`service listening on ${host}:${port} (pid ${process.pid})`));
process.on('SIGTERM', () => {
  console.log('SIGTERM: closing');
  server.close();
  process.exit(0);
});

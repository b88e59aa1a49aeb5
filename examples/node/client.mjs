// Calls the JSON-RPC service a few times.
//   node client.mjs [--connect 127.0.0.1:7401] [--text "hello"]
import net from 'node:net';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const [host, port] = arg('--connect', '127.0.0.1:7401').split(':');
const text = arg('--text', 'hello from the client');

function connect(retries = 50) {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host);
    s.once('connect', () => resolve(s));
    s.once('error', (e) => (retries > 0 ? setTimeout(() => connect(retries - 1).then(resolve, reject), 100) : reject(e)));
  });
}

const sock = await connect();
sock.setEncoding('utf8');
const calls = [
  { method: 'add', params: { a: 2, b: 40 } },
  { method: 'echo', params: { text } },
  { method: 'upper', params: { text } },
  { method: 'nope', params: {} },
];
let id = 0;
let buf = '';
const pending = new Map();
sock.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const reply = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    pending.get(reply.id)?.(reply);
  }
});
for (const c of calls) {
  const reply = await new Promise((resolve) => {
    pending.set(++id, resolve);
    sock.write(JSON.stringify({ jsonrpc: '2.0', id, ...c }) + '\n');
  });
  console.log(`${c.method} →`, JSON.stringify(reply.result ?? reply.error));
  await new Promise((r) => setTimeout(r, 200));
}
sock.end();

// A TCP server for one client: reads everything it sends, and exits when the client closes.
//   node line-sink.js PORT
const net = require('node:net');
const server = net.createServer((sock) => {
  sock.resume();
  sock.on('close', () => server.close());
});
server.listen(Number(process.argv[2]), '127.0.0.1');

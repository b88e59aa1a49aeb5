// The store's gRPC server.
//   node server.mjs [--listen unix:/tmp/ipctap-demo-grpc.sock | 127.0.0.1:PORT]
import { unlinkSync } from 'node:fs';
import { grpc, inventory } from './store.mjs';

const i = process.argv.indexOf('--listen');
const listen = i > 0 ? process.argv[i + 1] : 'unix:/tmp/ipctap-demo-grpc.sock';
const stock = new Map(
  [
    ['A-100', 'anvil', 3, 49.5],
    ['B-200', 'bucket', 12, 4.25],
    ['C-300', 'crowbar', 0, 17],
    ['D-400', 'dynamite', 40, 2.75],
  ].map(([sku, name, quantity, price]) => [sku, { sku, name, quantity, price }]),
);

const server = new grpc.Server();
server.addService(inventory.Store.service, {
  Get(call, done) {
    const item = stock.get(call.request.sku);
    if (item) done(null, item);
    else done({ code: grpc.status.NOT_FOUND, details: `no item ${call.request.sku}` });
  },
  List(call) {
    for (const item of stock.values()) if (item.quantity >= call.request.min_quantity) call.write(item);
    call.end();
  },
  Restock(call, done) {
    const summary = { deliveries: 0, units: 0 };
    call.on('data', (d) => {
      const item = stock.get(d.sku);
      if (item) item.quantity += d.quantity;
      summary.deliveries++;
      summary.units += d.quantity;
    });
    call.on('end', () => done(null, summary));
  },
});

if (listen.startsWith('unix:')) {
  try {
    unlinkSync(listen.slice(5)); // (a socket left by an earlier run)
  } catch {
    // none
  }
}
server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(`cannot listen on ${listen}: ${err.message}`);
    process.exit(1);
  }
  console.log(`store listening on ${listen}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.tryShutdown(() => process.exit(0)));

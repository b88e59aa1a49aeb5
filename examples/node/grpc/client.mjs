// Calls the store a few times: a unary call, one for a SKU it does not have, a server stream and
// a client stream. Prints each answer.
//   node client.mjs [--connect unix:/tmp/ipctap-demo-grpc.sock | 127.0.0.1:PORT]
import { grpc, inventory } from './store.mjs';

const i = process.argv.indexOf('--connect');
const target = i > 0 ? process.argv[i + 1] : 'unix:/tmp/ipctap-demo-grpc.sock';
const store = new inventory.Store(target, grpc.credentials.createInsecure());

const unary = (method, request) => new Promise((resolve) => store[method](request, (err, reply) => resolve(err ? { error: `${grpc.status[err.code]}: ${err.details}` } : reply)));

console.log('Get A-100 →', JSON.stringify(await unary('Get', { sku: 'A-100' })));
console.log('Get Z-999 →', JSON.stringify(await unary('Get', { sku: 'Z-999' })));
await new Promise((resolve, reject) => {
  const items = [];
  store
    .List({ min_quantity: 5 })
    .on('data', (item) => items.push(item.sku))
    .on('end', resolve)
    .on('error', reject)
    .on('end', () => console.log('List min 5 →', items.join(', ')));
});
const summary = await new Promise((resolve) => {
  const call = store.Restock((err, s) => resolve(err ? { error: err.details } : s));
  for (const [sku, quantity] of [
    ['C-300', 10],
    ['A-100', 2],
    ['B-200', 5],
  ])
    call.write({ sku, quantity });
  call.end();
});
console.log('Restock →', JSON.stringify(summary));
store.close();

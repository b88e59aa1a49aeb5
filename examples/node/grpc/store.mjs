// The inventory.proto service and its client's stub, for server.mjs and client.mjs.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const proto = fileURLToPath(new URL('inventory.proto', import.meta.url));
export const inventory = grpc.loadPackageDefinition(loader.loadSync(proto, { keepCase: true, defaults: true })).inventory;

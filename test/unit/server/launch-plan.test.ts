import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress, expandProcess, splitCommandLine, tapRefs } from '../../../extension/server/launch-plan';

test('${tap:NAME}: references found and expanded to client addresses', () => {
  const p = { command: './client', args: ['-connect', '${tap:rpc}', '--log=${tap:log}'], env: { ADDR: '${tap:rpc}' } };
  assert.deepEqual(tapRefs(p).sort(), ['log', 'rpc']);
  const addrs = new Map([
    ['rpc', clientAddress('127.0.0.1:40123')],
    ['log', clientAddress('unix:/tmp/l.sock')],
  ]);
  const x = expandProcess(p, addrs);
  assert.deepEqual(x.args, ['-connect', '127.0.0.1:40123', '--log=/tmp/l.sock']);
  assert.equal(x.env!.ADDR, '127.0.0.1:40123');
  assert.throws(() => expandProcess({ command: '${tap:nope}' }, addrs), /no tap named "nope" \(taps: rpc, log\)/);
});

test('command lines split like a shell would for simple quoting', () => {
  assert.deepEqual(splitCommandLine(`./srv -m "a b" 'c d' e\\ f ""`), ['./srv', '-m', 'a b', 'c d', 'e f', '']);
  assert.throws(() => splitCommandLine('echo "open'), /unclosed "/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTapSpec } from '../../../extension/engine/taps/spec';
import { UserError } from '../../../extension/engine/util/errors';

const CWD = '/home/u/proj';

test('unix: takeover and proxy, paths made absolute', () => {
  assert.deepEqual(parseTapSpec('unix:/tmp/app.sock', CWD), { kind: 'unix', mode: 'takeover', path: '/tmp/app.sock', spec: 'unix:/tmp/app.sock' });
  assert.deepEqual(parseTapSpec('unix:run/app.sock', CWD), { kind: 'unix', mode: 'takeover', path: '/home/u/proj/run/app.sock', spec: 'unix:/home/u/proj/run/app.sock' });
  assert.deepEqual(parseTapSpec('unix:./p.sock=/tmp/../tmp/app.sock', CWD), {
    kind: 'unix',
    mode: 'proxy',
    listen: '/home/u/proj/p.sock',
    target: '/tmp/app.sock',
    spec: 'unix:/home/u/proj/p.sock=/tmp/app.sock',
  });
  assert.deepEqual(parseTapSpec('unix:@tap=@app', CWD), { kind: 'unix', mode: 'proxy', listen: '@tap', target: '@app', spec: 'unix:@tap=@app' });
});

test('fifo: takeover and relay', () => {
  assert.deepEqual(parseTapSpec('fifo:/tmp/f', CWD), { kind: 'fifo', mode: 'takeover', path: '/tmp/f', spec: 'fifo:/tmp/f' });
  assert.deepEqual(parseTapSpec('fifo:in=/tmp/f', CWD), { kind: 'fifo', mode: 'relay', listen: '/home/u/proj/in', target: '/tmp/f', spec: 'fifo:/home/u/proj/in=/tmp/f' });
});

test('tcp: listen forms, loopback only, canonical spec', () => {
  assert.deepEqual(parseTapSpec('tcp:7000=127.0.0.1:1234'), {
    kind: 'tcp',
    listenHost: '127.0.0.1',
    listenPort: 7000,
    targetHost: '127.0.0.1',
    targetPort: 1234,
    spec: 'tcp:7000=127.0.0.1:1234',
  });
  const v4 = parseTapSpec('tcp:127.0.0.1:0=localhost:80');
  assert.equal(v4.kind === 'tcp' && v4.listenPort, 0);
  assert.equal(v4.kind === 'tcp' && v4.targetHost, 'localhost');
  assert.equal(v4.spec, 'tcp:0=localhost:80');
  const v6 = parseTapSpec('tcp:[::1]:7000=[::1]:8080');
  assert.equal(v6.kind === 'tcp' && v6.listenHost, '::1');
  assert.equal(v6.kind === 'tcp' && v6.targetHost, '::1');
  assert.equal(v6.spec, 'tcp:[::1]:7000=[::1]:8080');
  assert.equal(parseTapSpec('TCP:localhost:7000=1234').spec, 'tcp:7000=127.0.0.1:1234');
  assert.equal(parseTapSpec('tcp:127.1.2.3:7000=h:1').kind === 'tcp' && (parseTapSpec('tcp:127.1.2.3:7000=h:1') as { listenHost: string }).listenHost, '127.1.2.3');
});

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseTapSpec(text, CWD),
    (e: unknown) => {
      assert.ok(e instanceof UserError, `${text}: a UserError`);
      assert.equal(e.exitCode, 1, 'usage error');
      assert.match(e.message, pattern);
      assert.ok(e.message.includes(text), 'the message quotes the spec');
      return true;
    },
  );
}

test('malformed specs get clear UserErrors', () => {
  rejects('', /expected unix:PATH/);
  rejects('/tmp/app.sock', /expected unix:PATH/);
  rejects('udp:1=2', /unknown tap kind "udp"/);
  rejects('unix:', /nothing after "unix:"/);
  rejects('unix:=b', /empty LISTEN path/);
  rejects('unix:a=', /empty TARGET path/);
  rejects('unix:@abstract', /abstract socket name.*cannot be taken over/);
  rejects('unix:/a=/a', /same path/);
  rejects('fifo:x=x', /same path/);
  rejects('stdio:x', /on by default/);
  rejects('tcp:7000', /tcp:PORT=HOST:PORT/);
  rejects('tcp:0.0.0.0:7000=127.0.0.1:1', /loopback only/);
  rejects('tcp:192.168.1.2:7000=127.0.0.1:1', /loopback only/);
  rejects('tcp:[::]:7000=127.0.0.1:1', /loopback only/);
  rejects('tcp:70000=127.0.0.1:1', /out of range/);
  rejects('tcp:abc=127.0.0.1:1', /not a port number/);
  rejects('tcp:7000=127.0.0.1:', /not a port number/);
  rejects('tcp:7000=127.0.0.1:0', /target port 0/);
  rejects('tcp:7000=::1:80', /brackets/);
  rejects('tcp:[::1=1', /\[IPV6\]:PORT/);
  rejects('tcp::7000=1', /empty host/);
});

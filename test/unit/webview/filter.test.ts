import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, findMethods, matchRow, parseFilter, type MatchableRow } from '../../../extension/shared/filter';

function frame(over: Partial<Extract<MatchableRow, { type: 'frame' }>> = {}): MatchableRow {
  return { type: 'frame', conn: 1, dir: 'c2s', proto: 'gob', tap: 'unix:/tmp/app.sock', summary: 'call Arith.Multiply seq=1', ...over };
}
function event(over: Record<string, unknown> = {}): MatchableRow {
  return { type: 'event', kind: 'exit', pid: 42, code: 0, ...over } as MatchableRow;
}

test('parses keys, quoted text, negation and lists', () => {
  const { spec, errors } = parseFilter('proto:GOB conn:3,4 dir:s2c "hello world" -method:ping error !kind:open');
  assert.deepEqual(errors, []);
  assert.deepEqual(spec.terms, [
    { field: 'proto', value: 'gob' },
    { field: 'conn', value: '3' },
    { field: 'conn', value: '4' },
    { field: 'dir', value: 's2c' },
    { field: 'text', value: 'hello world' },
    { field: 'method', value: 'ping', not: true },
    { field: 'error', value: '' },
    { field: 'kind', value: 'open', not: true },
  ]);
});

test('reports bad terms with a clear message and keeps the rest', () => {
  const { spec, errors } = parseFilter('conn:x dir:up proto: Arith');
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /conn: wants a number, e.g. conn:3/);
  assert.match(errors[1]!, /dir: is one of c2s, s2c/);
  assert.match(errors[2]!, /proto: needs a value/);
  assert.deepEqual(spec.terms, [{ field: 'text', value: 'arith' }]);
});

test('unknown keys and URLs are plain text', () => {
  assert.deepEqual(parseFilter('http://x a:b').spec.terms, [
    { field: 'text', value: 'http://x' },
    { field: 'text', value: 'a:b' },
  ]);
  assert.deepEqual(parseFilter('   ').spec.terms, []);
});

test('free text matches summary, proto, tap, error and event text, any case', () => {
  assert.ok(compileFilter('MULTIPLY')(frame()));
  assert.ok(compileFilter('app.sock')(frame()));
  assert.ok(!compileFilter('divide')(frame()));
  assert.ok(compileFilter('code 0')(event()));
  assert.ok(compileFilter('pid 42')(event()));
  assert.ok(compileFilter('')(frame()));
});

test('same key ORs, different keys AND, negation excludes', () => {
  const f = compileFilter('conn:1,2 dir:c2s');
  assert.ok(f(frame({ conn: 2 })));
  assert.ok(!f(frame({ conn: 3 })));
  assert.ok(!f(frame({ dir: 's2c' })));
  assert.ok(compileFilter('dir:c2s dir:s2c')(frame({ dir: 's2c' })));
  assert.ok(!compileFilter('-proto:gob')(frame()));
  assert.ok(compileFilter('-proto:json')(frame()));
  assert.ok(!compileFilter('arith -multiply')(frame()));
});

test('conn: keeps that connection events, proto: and method: drop events', () => {
  assert.ok(compileFilter('conn:5')(event({ kind: 'open', conn: 5 })));
  assert.ok(!compileFilter('conn:5')(event({ kind: 'spawn' })));
  assert.ok(!compileFilter('proto:gob')(event()));
  assert.ok(!compileFilter('method:x')(event()));
  assert.ok(compileFilter('kind:exit')(event()));
  assert.ok(!compileFilter('kind:exit')(frame()));
  assert.ok(compileFilter('type:event')(event()));
  assert.ok(!compileFilter('type:event')(frame()));
});

test('method: looks into decoded values (JSON-RPC, net/rpc, gRPC headers) and decodedJson', () => {
  const jr = frame({ proto: 'jsonrpc', summary: 'request 1', decoded: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover' } });
  assert.ok(compileFilter('method:hover')(jr));
  assert.ok(!compileFilter('method:definition')(jr));
  const rpc = frame({ summary: 'x', decodedJson: '{"header":{"ServiceMethod":"Arith.Divide","Seq":3},"body":{}}' });
  assert.ok(compileFilter('method:arith.divide')(rpc));
  const grpc = frame({
    summary: 'HEADERS',
    decoded: {
      headers: [
        [':method', 'POST'],
        [':path', '/pkg.Greeter/SayHello'],
      ],
    },
  });
  assert.ok(compileFilter('method:sayhello')(grpc));
  // free text also finds the method
  assert.ok(compileFilter('sayhello')(grpc));
  // no method field at all: the summary decides
  assert.ok(compileFilter('method:multiply')(frame({ decoded: { n: 1 } })));
  assert.deepEqual(findMethods({ a: { b: { method: 'deep' } } }), ['deep']);
});

test('error matches undecodable frames, error events and abnormal closes', () => {
  const f = compileFilter('error');
  assert.ok(f(frame({ error: 'truncated gob message' })));
  assert.ok(!f(frame()));
  assert.ok(f(event({ kind: 'error', message: 'boom' })));
  assert.ok(f(event({ kind: 'close', conn: 1, reason: 'reset' })));
  assert.ok(!f(event({ kind: 'close', conn: 1, reason: 'eof' })));
  assert.ok(compileFilter('error:truncated')(frame({ error: 'Truncated gob message' })));
  assert.ok(!compileFilter('error:timeout')(frame({ error: 'truncated' })));
  assert.ok(compileFilter('-error')(frame()));
});

test('matchRow works on a spec that crossed JSON', () => {
  const spec = JSON.parse(JSON.stringify(parseFilter('proto:gob -dir:s2c').spec));
  assert.ok(matchRow(spec, frame()));
  assert.ok(!matchRow(spec, frame({ dir: 's2c' })));
});

test("after:N hides rows up to id N (the panel's Clear)", () => {
  const f = compileFilter('after:10 proto:gob');
  assert.ok(!f(frame({ id: 10 } as never)));
  assert.ok(f(frame({ id: 11 } as never)));
  assert.ok(compileFilter('after:10')(event({ id: 11 })));
  assert.ok(!compileFilter('after:10')(event({ id: 3 })));
  assert.match(parseFilter('after:x').errors[0]!, /after: wants a number/);
});

test('error matches the errors peers report: net/rpc reply error, JSON-RPC and LSP error responses, gRPC status', () => {
  const f = compileFilter('error');
  const divide = frame({
    proto: 'netrpc',
    dir: 's2c',
    summary: '← Arith.Divide #6 error: divide by zero',
    decoded: { kind: 'response', serviceMethod: 'Arith.Divide', seq: 6, reply: null, error: 'divide by zero' },
  });
  assert.ok(f(divide));
  assert.ok(compileFilter('error:zero')(divide));
  assert.ok(!f(frame({ proto: 'netrpc', decoded: { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 1, reply: 6, error: '' } })), 'a reply without error');
  const jr = frame({ proto: 'jsonrpc', decodedJson: JSON.stringify({ jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'method not found' } }) });
  assert.ok(f(jr));
  assert.ok(compileFilter('error:"not found"')(jr));
  assert.ok(!f(frame({ proto: 'jsonrpc', decoded: { jsonrpc: '2.0', id: 2, result: { error: 'a field named error in a result' } } })));
  assert.ok(
    f(
      frame({
        proto: 'lsp',
        decoded: [
          { jsonrpc: '2.0', id: 1, result: 1 },
          { jsonrpc: '2.0', id: 3, error: { code: 1, message: 'x' } },
        ],
      }),
    ),
    'a batch with one error',
  );
  assert.ok(f(frame({ proto: 'grpc', decoded: { kind: 'trailers', status: 5, statusName: 'NOT_FOUND', message: 'no such user' } })));
  assert.ok(!f(frame({ proto: 'grpc', decoded: { kind: 'trailers', status: 0, statusName: 'OK', message: null } })));
  assert.ok(!compileFilter('-error')(divide));
});

test('method: never matches a line of text or raw bytes that mention the name', () => {
  const line = frame({ proto: 'lines', dir: 'stdout', summary: 'calling Arith.Divide 1/0', decoded: 'calling Arith.Divide 1/0' });
  assert.ok(!compileFilter('method:Divide')(line));
  assert.ok(!compileFilter('method:Divide')(frame({ proto: 'raw', summary: 'Arith.Divide' })));
  assert.ok(compileFilter('Divide')(line), 'free text still finds it');
});

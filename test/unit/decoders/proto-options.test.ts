// One check of .proto options for the CLI (--proto / --proto-type) and the engine server (a
// launch configuration's "proto" / "protoType"): the same errors and exit codes, each worded
// with its own option names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserError } from '../../../extension/engine/util/errors';
import { checkProtoOptions } from '../../../extension/engine/decoders/protobuf/options';
import { protoOptions } from '../../../extension/cli/commands/run';
import { parseArgs } from '../../../extension/cli/args';
import { decoderOptionsOf } from '../../../extension/server/session-service';

const PROTO = join(__dirname, '../../fixtures/node/grpc/demo.proto');
const CLI = { files: '--proto FILE', type: '--proto-type' };

const userError = (code: number, message: string | RegExp) => (e: unknown) => {
  assert.ok(e instanceof UserError, String(e));
  assert.equal(e.exitCode, code, e.message);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return true;
};

test('checkProtoOptions: usage errors (exit 1) and .proto errors (exit 2), in the wording it is given', () => {
  assert.deepEqual(checkProtoOptions([], undefined, CLI), {});
  assert.throws(() => checkProtoOptions([], 'demo.Note', CLI), userError(1, '--proto-type needs --proto FILE: the .proto files that define demo.Note'));
  assert.throws(() => checkProtoOptions([PROTO], '', CLI), userError(1, '--proto-type needs a message type, e.g. pkg.Msg'));
  assert.throws(() => checkProtoOptions([PROTO], undefined, CLI, true), userError(1, '--proto FILE needs --proto-type pkg.Msg (the message type to decode)'));
  assert.throws(() => checkProtoOptions([join(__dirname, 'nope.proto')], undefined, CLI), userError(2, /^cannot load \.proto file \S*nope\.proto: no such file$/));
  assert.throws(
    () => checkProtoOptions([PROTO], 'demo.Nope', CLI),
    userError(2, `no message type "demo.Nope" in the .proto files (${PROTO}); known types: demo.CountRequest, demo.Note, demo.Num, demo.Total`),
  );
  const files = checkProtoOptions([PROTO], undefined, CLI);
  assert.ok(files.root && files.protoType === undefined, 'files alone: loaded, no type');
  const typed = checkProtoOptions([PROTO], 'demo.Note', { files: 'x', type: 'y' });
  assert.equal(typed.protoType, 'demo.Note');
});

test("the CLI's --proto options and a launch configuration's give the same errors, each with its own names", () => {
  const cli =
    (...argv: string[]) =>
    () =>
      protoOptions(
        parseArgs(
          argv,
          [
            { name: 'proto', value: true, multiple: true },
            { name: 'proto-type', value: true },
            { name: 'decode', value: true, multiple: true },
          ],
          'test',
        ),
      );
  assert.throws(cli('--proto-type', 'demo.Note'), userError(1, '--proto-type needs --proto FILE: the .proto files that define demo.Note'));
  assert.throws(
    () => decoderOptionsOf({ protoType: 'demo.Note' }),
    userError(1, 'protoType needs "proto" (or the setting ipctap.protoFiles): the .proto files that define demo.Note'),
  );
  const unknown = /^no message type "demo\.Nope" in the \.proto files \(\S*demo\.proto\); known types: .*demo\.Note/;
  assert.throws(cli('--proto', PROTO, '--proto-type', 'demo.Nope'), userError(2, unknown));
  assert.throws(() => decoderOptionsOf({ protoFiles: [PROTO], protoType: 'demo.Nope' }), userError(2, unknown));
  assert.throws(cli('--proto', PROTO, '--decode', 'len32be+protobuf'), userError(1, /--proto FILE needs --proto-type/));
  assert.deepEqual(decoderOptionsOf({ protoFiles: [PROTO] }), { protoFiles: [PROTO] }, 'files alone: schema-less protobuf, types for gRPC');
  assert.deepEqual(cli('--proto', PROTO, '--proto-type', 'demo.Note')(), { decoderOptions: { protoFiles: [PROTO], protoType: 'demo.Note' } });
  assert.deepEqual(decoderOptionsOf({ protoFiles: [PROTO], protoType: 'demo.Note' }), { protoFiles: [PROTO], protoType: 'demo.Note' });
});

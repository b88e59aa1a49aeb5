// The Decode As… form: choosing protobuf (alone or under a framing) shows the message types of
// the session's .proto files, defaulting to the type it decodes as; without .proto files, a hint;
// other decoders show neither. Apply hands the choice on ("" = schema-less).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToolbar } from '../../../webview/src/toolbar/toolbar';
import { createDecodeAsForm, NO_PROTO_HINT, SCHEMA_LESS, typeChoice } from '../../../webview/src/toolbar/decode-as';
import { byTestId, shimDocument, type ShimElement } from '../../helpers/dom-shim';

const decoders = ['auto', 'raw', 'grpc', 'protobuf'].map((name) => ({ name, description: name }));
const taps = [{ spec: 'unix:/tmp/a.sock', kind: 'unix' }];
const proto = { files: ['/w/demo.proto'], types: ['demo.Note', 'demo.Num'], type: 'demo.Num' };

function form(p: typeof proto | null = proto) {
  const applied: unknown[][] = [];
  const f = createDecodeAsForm(shimDocument(), (...args) => applied.push(args));
  f.setChoices(taps, decoders);
  f.setProto(p ?? undefined);
  f.toggle();
  const one = (id: string) => byTestId(f.root, id)[0];
  const choose = (id: string, value: string) => {
    const d = one(id)!;
    d.value = value;
    d.dispatch('change');
  };
  const options = (id: string) => one(id)!.childNodes.map((o) => (o as ShimElement).getAttribute('value'));
  const apply = () => {
    one('decode-as-apply')!.dispatch('click');
    return applied.at(-1);
  };
  return { f, one, choose, options, apply };
}

test("Decode As… protobuf offers the .proto files' message types, schema-less first, the current type chosen", () => {
  const { one, choose, options, apply } = form();
  const box = one('decode-as-type-box')!;
  assert.equal(box.hidden, true, 'not for the default decoder (auto)');
  assert.equal(one('decode-as-type'), undefined);
  choose('decode-as-decoder', 'protobuf');
  assert.equal(box.hidden, false);
  assert.deepEqual(options('decode-as-type'), [SCHEMA_LESS, 'demo.Note', 'demo.Num']);
  assert.equal((one('decode-as-type')!.childNodes[0] as ShimElement).textContent, 'schema-less (field numbers)');
  const selected = one('decode-as-type')!.childNodes.map((o) => (o as ShimElement).hasAttribute('selected'));
  assert.deepEqual(selected, [false, false, true], 'the type it decodes as now');
  choose('decode-as-type', 'demo.Note');
  assert.deepEqual(apply(), ['unix:/tmp/a.sock', 'protobuf', 'demo.Note']);
});

test('Decode As… protobuf: schema-less is "", other decoders send no type, and the dropdown goes with them', () => {
  const { one, choose, apply } = form();
  choose('decode-as-decoder', 'protobuf');
  choose('decode-as-type', SCHEMA_LESS);
  assert.deepEqual(apply(), ['unix:/tmp/a.sock', 'protobuf', '']);
  const again = form();
  again.choose('decode-as-decoder', 'protobuf');
  again.choose('decode-as-decoder', 'grpc');
  assert.equal(again.one('decode-as-type-box')!.hidden, true);
  assert.equal(again.one('decode-as-type'), undefined);
  assert.deepEqual(again.apply(), ['unix:/tmp/a.sock', 'grpc', undefined]);
  assert.equal(one('decode-as-box')!.hidden, true, 'closed by Apply');
});

test('Decode As… protobuf without .proto files: no type dropdown, a hint where to add them', () => {
  const { one, choose, apply } = form(null);
  choose('decode-as-decoder', 'protobuf');
  assert.equal(one('decode-as-type'), undefined);
  assert.equal(one('decode-as-type-box')!.hidden, false);
  assert.equal(one('decode-as-type-hint')!.textContent, NO_PROTO_HINT);
  assert.deepEqual(apply(), ['unix:/tmp/a.sock', 'protobuf', undefined]);
});

test('typeChoice: framings over protobuf too; files that no longer load say why', () => {
  assert.equal(typeChoice('raw', proto), undefined);
  assert.equal(typeChoice('protobufx', proto), undefined);
  assert.deepEqual(typeChoice('lenvarint+protobuf', { ...proto, type: undefined }), {
    options: [
      { value: SCHEMA_LESS, label: 'schema-less (field numbers)' },
      { value: 'demo.Note', label: 'demo.Note' },
      { value: 'demo.Num', label: 'demo.Num' },
    ],
    value: SCHEMA_LESS,
  });
  assert.deepEqual(typeChoice('protobuf', { files: ['a.proto'], types: [], error: 'cannot load .proto file a.proto: no such file' }), {
    hint: 'cannot load .proto file a.proto: no such file',
  });
  assert.deepEqual(typeChoice('protobuf', { files: ['a.proto'], types: [] }), { hint: 'the .proto files (a.proto) define no message types' });
});

test("the toolbar's Decode As… opens the form with the session's .proto types, and hands the type on", () => {
  const calls: unknown[][] = [];
  const noop = () => undefined;
  const bar = createToolbar(shimDocument(), {
    filter: noop,
    togglePause: noop,
    clear: noop,
    unclear: noop,
    save: noop,
    jumpToEnd: noop,
    decodeAs: (...a) => calls.push(a),
    focusList: noop,
  });
  bar.setDecodeChoices(taps, decoders);
  bar.setProtoChoices(proto);
  byTestId(bar.root, 'decode-as')[0]!.dispatch('click');
  const one = (id: string) => byTestId(bar.root, id)[0]!;
  assert.equal(one('decode-as-box').hidden, false);
  one('decode-as-decoder').value = 'protobuf';
  one('decode-as-decoder').dispatch('change');
  one('decode-as-tap').value = '*';
  one('decode-as-apply').dispatch('click');
  assert.deepEqual(calls, [[undefined, 'protobuf', 'demo.Num']]);
});

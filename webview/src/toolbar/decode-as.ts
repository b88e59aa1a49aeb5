// Decode As…: the small form under the toolbar. A tap, a decoder, and for protobuf the message
// type, one of those the session's .proto files define (or none: field numbers).
import type { DecoderDescription, SessionProto, TapInfo } from '../../../extension/shared/requests';
import { button, dropdown, dropdownValue } from '../components/index';
import { el, setChildren, type Doc } from '../dom';

/** The type dropdown's value for no type (message type names have no parentheses). */
export const SCHEMA_LESS = '(schema-less)';

export const NO_PROTO_HINT = 'add .proto files (setting ipctap.protoFiles) to decode typed messages';

/** Decoders whose frames are protobuf messages: protobuf alone or under a framing (lenvarint+protobuf). */
export function decodesProtobuf(decoder: string): boolean {
  return /(^|\+)protobuf$/.test(decoder);
}

/** What the type choice shows for a decoder: nothing, a hint, or the types (none first). */
export function typeChoice(decoder: string, proto: SessionProto | undefined): { hint: string } | { options: { value: string; label: string }[]; value: string } | undefined {
  if (!decodesProtobuf(decoder)) return undefined;
  if (!proto) return { hint: NO_PROTO_HINT };
  if (!proto.types.length) return { hint: proto.error ?? `the .proto files (${proto.files.join(', ')}) define no message types` };
  const options = [{ value: SCHEMA_LESS, label: 'schema-less (field numbers)' }, ...proto.types.map((t) => ({ value: t, label: t }))];
  return { options, value: proto.type && proto.types.includes(proto.type) ? proto.type : SCHEMA_LESS };
}

export interface DecodeAsForm {
  root: HTMLElement;
  /** Open the form (fresh choices), or close it when open. */
  toggle(): void;
  setChoices(taps: readonly TapInfo[], decoders: readonly DecoderDescription[]): void;
  setProto(proto: SessionProto | undefined): void;
}

/** `apply` gets the tap (undefined: every tap without its own choice), the decoder and, when
 *  the type choice was shown, the message type ("" = schema-less). */
export function createDecodeAsForm(doc: Doc, apply: (tap: string | undefined, decoder: string, protoType?: string) => void): DecodeAsForm {
  const root = el(doc, 'div', { class: 'decode-as', 'data-testid': 'decode-as-box' });
  root.hidden = true;
  let taps: readonly TapInfo[] = [];
  let decoders: readonly DecoderDescription[] = [];
  let proto: SessionProto | undefined;

  const open = () => {
    const tapSel = dropdown(
      doc,
      [{ value: '*', label: 'every tap without its own choice' }, ...taps.map((t) => ({ value: t.spec, label: t.name ? `${t.name} (${t.spec})` : t.spec }))],
      {
        value: taps.length === 1 ? taps[0]!.spec : '*',
        testid: 'decode-as-tap',
        title: 'Tap',
      },
    );
    const typeBox = el(doc, 'span', { class: 'decode-as-type', 'data-testid': 'decode-as-type-box' });
    let typeSel: HTMLElement | undefined;
    const showType = (decoder: string) => {
      const c = typeChoice(decoder, proto);
      typeSel = c && 'options' in c ? dropdown(doc, c.options, { value: c.value, testid: 'decode-as-type', title: 'Message type' }) : undefined;
      if (typeSel) setChildren(doc, typeBox, el(doc, 'span', {}, 'with type'), typeSel);
      else setChildren(doc, typeBox, ...(c && 'hint' in c ? [el(doc, 'span', { class: 'muted', 'data-testid': 'decode-as-type-hint' }, c.hint)] : []));
      typeBox.hidden = !c;
    };
    const decSel = dropdown(
      doc,
      decoders.map((d) => ({ value: d.name, label: `${d.name} — ${d.description}` })),
      { value: 'auto', testid: 'decode-as-decoder', title: 'Decoder', onChange: showType },
    );
    showType('auto');
    setChildren(
      doc,
      root,
      el(doc, 'span', {}, 'Decode'),
      tapSel,
      el(doc, 'span', {}, 'as'),
      decSel,
      typeBox,
      button(doc, 'Apply', {
        appearance: 'primary',
        testid: 'decode-as-apply',
        onClick: () => {
          const tap = dropdownValue(tapSel);
          const type = typeSel ? dropdownValue(typeSel) : undefined;
          apply(tap === '*' ? undefined : tap, dropdownValue(decSel), type === undefined ? undefined : type === SCHEMA_LESS ? '' : type);
          root.hidden = true;
        },
      }),
      button(doc, 'Cancel', { testid: 'decode-as-cancel', onClick: () => (root.hidden = true) }),
      el(doc, 'span', { class: 'muted' }, 'What is captured is decoded again; a live session goes on with new traffic that way.'),
    );
    root.hidden = false;
  };

  return {
    root,
    toggle: () => (root.hidden ? open() : (root.hidden = true)),
    setChoices(t, d) {
      taps = t;
      decoders = d;
    },
    setProto(p) {
      proto = p;
    },
  };
}

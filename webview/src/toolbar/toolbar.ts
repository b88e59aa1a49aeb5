// The toolbar: filter field, Decode As… (its form: ./decode-as.ts), pause/resume following,
// clear, save, jump to end, row count. Built once; the app updates it through the returned handle.
import type { DecoderDescription, SessionProto, TapInfo } from '../../../extension/shared/requests';
import { badge, button, setBadge } from '../components/index';
import { createDecodeAsForm } from './decode-as';
import { el, setChildren, setText, type Doc } from '../dom';

export interface ToolbarActions {
  /** The filter text changed (debounced) or Enter was pressed. */
  filter(text: string): void;
  togglePause(): void;
  clear(): void;
  unclear(): void;
  save(): void;
  jumpToEnd(): void;
  /** protoType: the message type of protobuf frames ("" = schema-less), when the form offered one. */
  decodeAs(tap: string | undefined, decoder: string, protoType?: string): void;
  /** Focus the list (ArrowDown / Escape from the filter field). */
  focusList(): void;
}

export interface Toolbar {
  root: HTMLElement;
  setFilter(text: string): void;
  setFilterEnabled(enabled: boolean, placeholder?: string): void;
  setErrors(errors: readonly string[]): void;
  setCount(shown: number, all: number | undefined, filtered: boolean): void;
  setPaused(paused: boolean): void;
  setCleared(cleared: boolean): void;
  setSessionState(state: string, live: boolean): void;
  /** How far decoding the capture (again) has come; hidden without. */
  setDecoding(progress: { done: number; total: number } | undefined): void;
  setDecodeChoices(taps: readonly TapInfo[], decoders: readonly DecoderDescription[]): void;
  /** The session's .proto files and their message types (Decode As… protobuf). */
  setProtoChoices(proto: SessionProto | undefined): void;
  /** Completions for the filter text (offered in a list under the field as the user types). */
  setCompleter(complete: (text: string) => string[]): void;
}

export const FILTER_DEBOUNCE_MS = 250;

export function createToolbar(doc: Doc, act: ToolbarActions): Toolbar {
  const input = el(doc, 'input', {
    class: 'filter',
    type: 'text',
    spellcheck: 'false',
    placeholder: 'Filter: text  proto:gob  conn:3  dir:c2s  method:Arith  error  -exclude',
    'aria-label': 'Filter rows',
    'data-testid': 'filter',
    list: 'filter-suggestions',
    autocomplete: 'off',
  });
  const suggestions = el(doc, 'datalist', { id: 'filter-suggestions', 'data-testid': 'filter-suggestions' });
  let complete: (text: string) => string[] = () => [];
  const suggest = () => {
    const list = complete(input.value);
    setChildren(doc, suggestions, ...list.map((v) => el(doc, 'option', { value: v })));
  };
  input.addEventListener('focus', suggest);
  const errors = el(doc, 'div', { class: 'filter-errors', 'data-testid': 'filter-error', role: 'status', 'aria-live': 'polite' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    act.filter(input.value);
  };
  input.addEventListener('input', () => {
    suggest();
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, FILTER_DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (ev) => {
    const k = (ev as KeyboardEvent).key;
    if (k === 'Enter') fire();
    else if (k === 'Escape' && input.value !== '') {
      input.value = '';
      fire();
    } else if (k === 'ArrowDown') {
      ev.preventDefault();
      act.focusList();
    }
  });

  const state = badge(doc, '', 'session-state');
  const count = badge(doc, '0', 'row-count', 'rows shown');
  const decoding = badge(doc, '', 'decode-progress', 'the capture decoded so far');
  decoding.hidden = true;
  const pause = button(doc, 'Pause', { testid: 'pause-follow', title: 'Stop following new rows', onClick: () => act.togglePause() });
  const clear = button(doc, 'Clear', { testid: 'clear', title: 'Hide the rows so far (the capture keeps them)', onClick: () => act.clear() });
  const unclear = button(doc, 'Show cleared', { testid: 'unclear', title: 'Show the rows hidden by Clear', onClick: () => act.unclear() });
  unclear.hidden = true;
  const save = button(doc, 'Save…', { testid: 'save', title: 'Save the capture to a file', onClick: () => act.save() });
  const jump = button(doc, 'Jump to end ⤓', { testid: 'jump-to-end', title: 'Scroll to the last row and follow', onClick: () => act.jumpToEnd() });

  // Decode As…: a small form under the toolbar.
  const decodeAs = createDecodeAsForm(doc, (tap, decoder, protoType) => act.decodeAs(tap, decoder, protoType));
  const decodeBtn = button(doc, 'Decode As…', {
    testid: 'decode-as',
    title: 'Choose the decoder of a tap',
    onClick: () => decodeAs.toggle(),
  });

  const root = el(
    doc,
    'div',
    { class: 'toolbar-wrap' },
    el(
      doc,
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'IPC Tap' },
      el(doc, 'div', { class: 'filter-box' }, input, suggestions, errors),
      count,
      decoding,
      state,
      decodeBtn,
      pause,
      clear,
      unclear,
      save,
      jump,
    ),
    decodeAs.root,
  );
  return {
    root,
    setFilter(text) {
      input.value = text;
    },
    setFilterEnabled(enabled, placeholder) {
      input.disabled = !enabled;
      if (placeholder !== undefined) input.placeholder = placeholder;
    },
    setErrors(list) {
      setText(errors, list.join('  ·  '));
      input.classList.toggle('invalid', list.length > 0);
    },
    setCount(shown, all, filtered) {
      setBadge(count, filtered && all !== undefined ? `${shown.toLocaleString('en-US')} of ${all.toLocaleString('en-US')}` : shown.toLocaleString('en-US'));
      count.setAttribute('data-count', String(shown));
      count.setAttribute('title', filtered ? 'rows matching the filter, of all rows' : 'rows');
    },
    setPaused(paused) {
      setText(pause, paused ? 'Resume' : 'Pause');
      pause.setAttribute('title', paused ? 'Follow new rows again' : 'Stop following new rows');
      pause.setAttribute('data-paused', String(paused));
    },
    setCleared(cleared) {
      unclear.hidden = !cleared;
    },
    setSessionState(s, live) {
      setBadge(state, s);
      pause.hidden = !live;
      clear.hidden = false;
    },
    setDecoding(p) {
      decoding.hidden = !p;
      if (!p) return;
      const pct = Math.floor((100 * p.done) / Math.max(1, p.total));
      setBadge(decoding, `decoding ${pct} %`);
      decoding.setAttribute('data-percent', String(pct));
    },
    setCompleter(fn) {
      complete = fn;
    },
    setDecodeChoices(t, d) {
      decodeAs.setChoices(t, d);
      decodeBtn.hidden = t.length === 0 || d.length === 0;
    },
    setProtoChoices(proto) {
      decodeAs.setProto(proto);
    },
  };
}

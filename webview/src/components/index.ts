// The only place that knows which control library the panel uses (@vscode/webview-ui-toolkit,
// deprecated upstream): swap these factories and register.ts to change it.
import { el, setText, type Attrs, type Doc } from '../dom';

export interface ButtonOptions {
  testid?: string;
  title?: string;
  appearance?: 'primary' | 'secondary' | 'icon';
  disabled?: boolean;
  /** Extra attributes (data-*, aria-*). */
  attrs?: Attrs;
  onClick?: (ev: Event) => void;
}

export function button(doc: Doc, label: string, opts: ButtonOptions = {}): HTMLElement {
  const b = el(
    doc,
    'vscode-button',
    {
      appearance: opts.appearance ?? 'secondary',
      title: opts.title,
      'aria-label': opts.title ?? label,
      'data-testid': opts.testid,
      disabled: opts.disabled,
      ...opts.attrs,
    },
    label,
  );
  if (opts.onClick) {
    const f = opts.onClick;
    b.addEventListener('click', (ev) => {
      if (!b.hasAttribute('disabled')) f(ev);
    });
  }
  return b;
}

export function setDisabled(e: Element, disabled: boolean): void {
  if (disabled) e.setAttribute('disabled', '');
  else e.removeAttribute('disabled');
}

export interface DropdownOption {
  value: string;
  label: string;
}

export function dropdown(
  doc: Doc,
  options: readonly DropdownOption[],
  opts: { value?: string; testid?: string; title?: string; onChange?: (value: string) => void } = {},
): HTMLElement {
  const d = el(doc, 'vscode-dropdown', { 'data-testid': opts.testid, title: opts.title, 'aria-label': opts.title });
  for (const o of options) {
    d.appendChild(el(doc, 'vscode-option', { value: o.value, selected: o.value === opts.value }, o.label));
  }
  if (opts.onChange) {
    const f = opts.onChange;
    d.addEventListener('change', () => f(dropdownValue(d)));
  }
  return d;
}

/** The selected value of a dropdown made by dropdown(). */
export function dropdownValue(d: Element): string {
  const v = (d as unknown as { value?: unknown }).value;
  if (typeof v === 'string' && v !== '') return v;
  const sel = d.querySelector?.('vscode-option[selected]') ?? d.firstElementChild;
  return sel?.getAttribute('value') ?? '';
}

/** A count or state badge. Our own element: the toolkit's badge binds an inline style attribute,
 *  which the panel's CSP (no 'unsafe-inline') blocks and reports. */
export function badge(doc: Doc, text: string, testid?: string, title?: string): HTMLElement {
  return el(doc, 'span', { class: 'badge', 'data-testid': testid, title }, text);
}

export function setBadge(b: Element, text: string): void {
  setText(b, text);
}

export function divider(doc: Doc): HTMLElement {
  return el(doc, 'vscode-divider', { role: 'separator' });
}

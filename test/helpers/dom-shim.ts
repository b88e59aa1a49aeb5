// A tiny DOM for rendering tests in Node: enough for the webview's render functions, and
// deliberately without any HTML parser. innerHTML/outerHTML/insertAdjacentHTML throw, so a
// render function that starts using them fails its tests instead of passing quietly.
type Listener = (ev: unknown) => void;

export class ShimNode {
  parentNode: ShimElement | null = null;
  readonly childNodes: ShimNode[] = [];
  constructor(readonly nodeType: number) {}

  get firstChild(): ShimNode | null {
    return this.childNodes[0] ?? null;
  }

  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }

  set textContent(v: string) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes.length = 0;
    if (v !== '') this.appendChild(new ShimText(String(v)));
  }

  appendChild<T extends ShimNode>(c: T): T {
    if (!(c instanceof ShimNode)) throw new TypeError('appendChild: not a node');
    if (c.parentNode) c.parentNode.removeChild(c);
    c.parentNode = this as unknown as ShimElement;
    this.childNodes.push(c);
    return c;
  }

  get nextSibling(): ShimNode | null {
    const p = this.parentNode;
    if (!p) return null;
    return p.childNodes[p.childNodes.indexOf(this) + 1] ?? null;
  }

  insertBefore<T extends ShimNode>(c: T, ref: ShimNode | null): T {
    if (ref === null) return this.appendChild(c);
    if (c.parentNode) c.parentNode.removeChild(c);
    const i = this.childNodes.indexOf(ref);
    if (i < 0) throw new Error('insertBefore: not a child');
    c.parentNode = this as unknown as ShimElement;
    this.childNodes.splice(i, 0, c);
    return c;
  }

  removeChild<T extends ShimNode>(c: T): T {
    const i = this.childNodes.indexOf(c);
    if (i < 0) throw new Error('removeChild: not a child');
    this.childNodes.splice(i, 1);
    c.parentNode = null;
    return c;
  }
}

export class ShimText extends ShimNode {
  constructor(public data: string) {
    super(3);
  }
  override get textContent(): string {
    return this.data;
  }
  override set textContent(v: string) {
    this.data = v;
  }
}

const NAME = /^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/;

export class ShimElement extends ShimNode {
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, Listener[]>();
  readonly style: Record<string, string> = {};
  hidden = false;
  disabled = false;
  value = '';
  placeholder = '';
  scrollTop = 0;
  namespaceURI = 'http://www.w3.org/1999/xhtml';

  constructor(readonly tagName: string) {
    super(1);
  }

  get firstElementChild(): ShimElement | null {
    return (this.childNodes.find((c) => c instanceof ShimElement) as ShimElement | undefined) ?? null;
  }

  setAttribute(name: string, value: string): void {
    if (!NAME.test(name)) throw new Error(`InvalidCharacterError: ${name}`);
    this.attributes.set(name.toLowerCase(), String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name.toLowerCase()) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name.toLowerCase());
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name.toLowerCase());
  }

  get classList() {
    const get = () => new Set((this.getAttribute('class') ?? '').split(/\s+/).filter(Boolean));
    const set = (s: Set<string>) => this.setAttribute('class', [...s].join(' '));
    return {
      add: (...c: string[]) => set(new Set([...get(), ...c])),
      remove: (...c: string[]) => set(new Set([...get()].filter((x) => !c.includes(x)))),
      contains: (c: string) => get().has(c),
      toggle: (c: string, on?: boolean) => {
        const s = get();
        const want = on ?? !s.has(c);
        if (want) s.add(c);
        else s.delete(c);
        set(s);
        return want;
      },
    };
  }

  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }

  /** Fire listeners of this element and its ancestors (bubbling), with `target` set. */
  dispatch(type: string, extra: Record<string, unknown> = {}): void {
    const ev = { type, target: this, preventDefault() {}, ...extra };
    for (let e: ShimElement | null = this; e; e = e.parentNode) for (const l of e.listeners.get(type) ?? []) l(ev);
  }

  closest(sel: string): ShimElement | null {
    const m = /^\[([-\w]+)\]$/.exec(sel);
    if (!m) throw new Error(`shim closest supports [attr] only: ${sel}`);
    for (let e: ShimElement | null = this; e; e = e.parentNode) if (e.hasAttribute(m[1]!)) return e;
    return null;
  }

  /** "tag[attr]" only (a dropdown's selected option); null for any other selector. */
  querySelector(sel: string): ShimElement | null {
    const m = /^([-\w]+)\[([-\w]+)\]$/.exec(sel);
    if (!m) return null;
    return elements(this).find((e) => e !== this && e.tagName === m[1] && e.hasAttribute(m[2]!)) ?? null;
  }

  set innerHTML(_v: string) {
    throw new Error('innerHTML is forbidden in the webview');
  }
  get innerHTML(): string {
    throw new Error('innerHTML is forbidden in the webview');
  }
  set outerHTML(_v: string) {
    throw new Error('outerHTML is forbidden in the webview');
  }
  insertAdjacentHTML(): void {
    throw new Error('insertAdjacentHTML is forbidden in the webview');
  }
}

export class ShimDocument {
  createElement(tag: string): ShimElement {
    if (!NAME.test(tag)) throw new Error(`InvalidCharacterError: ${tag}`);
    return new ShimElement(tag.toLowerCase());
  }
  createElementNS(ns: string, tag: string): ShimElement {
    if (ns !== 'http://www.w3.org/2000/svg') throw new Error(`shim createElementNS: only SVG (${ns})`);
    if (!NAME.test(tag)) throw new Error(`InvalidCharacterError: ${tag}`);
    const e = new ShimElement(tag);
    e.namespaceURI = ns;
    return e;
  }
  createTextNode(text: string): ShimText {
    return new ShimText(String(text));
  }
}

/** The shim document typed as what render functions take. */
export function shimDocument(): Document {
  return new ShimDocument() as unknown as Document;
}

export function elements(root: unknown): ShimElement[] {
  const out: ShimElement[] = [];
  const walk = (n: ShimNode) => {
    if (n instanceof ShimElement) out.push(n);
    for (const c of n.childNodes) walk(c);
  };
  walk(root as ShimNode);
  return out;
}

export function byTestId(root: unknown, id: string): ShimElement[] {
  return elements(root).filter((e) => e.getAttribute('data-testid') === id);
}

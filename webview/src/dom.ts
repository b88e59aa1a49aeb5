// The one way the webview builds DOM: elements with attributes and text children.
// Text is always inserted as Text nodes (createTextNode) and attributes through setAttribute,
// so captured bytes and decoded strings can never become markup. Nothing here parses HTML.
// Bidirectional-text controls in captured text are shown as ⟨U+202E⟩ and the like, so that a
// payload cannot reorder what the user reads around it (the "Trojan Source" trick).

/** What rendering needs from `document` (a test shim provides the same). */
export type Doc = Pick<Document, 'createElement' | 'createTextNode'>;

export type Attrs = Record<string, string | number | boolean | undefined | null>;
export type Child = Node | string | number | null | undefined | false;

/** Attribute names that could run or load something: never set from rendering code. */
const FORBIDDEN_ATTR = /^(on|style$|src$|href$|srcdoc$|action$|formaction$|xlink:href$)/i;

/** Attributes through setAttribute; names that could run or load something are refused. */
function setAttrs(e: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (FORBIDDEN_ATTR.test(k)) throw new Error(`attribute ${k} is not allowed`);
    e.setAttribute(k, v === true ? '' : String(v));
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(doc: Doc, tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(doc: Doc, tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function el(doc: Doc, tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement {
  const e = doc.createElement(tag);
  setAttrs(e, attrs);
  append(doc, e, ...children);
  return e;
}

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const BIDI_ALL = new RegExp(BIDI.source, 'g');

/** Text as shown: bidirectional controls made visible. */
export function shownText(text: string): string {
  return BIDI.test(text) ? text.replace(BIDI_ALL, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`) : text;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (small inline charts), attributes through setAttribute like el(). */
export function svgEl(doc: Doc & Pick<Document, 'createElementNS'>, tag: string, attrs?: Attrs, ...children: Child[]): SVGElement {
  const e = doc.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(e, attrs);
  append(doc, e, ...children);
  return e;
}

export function append(doc: Doc, parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? doc.createTextNode(shownText(String(c))) : c);
  }
}

/** Replace an element's children. */
export function setChildren(doc: Doc, parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(doc, parent, ...children);
}

/** Replace an element's text (textContent: never parsed as HTML). */
export function setText(node: Node, text: string): void {
  node.textContent = shownText(text);
}

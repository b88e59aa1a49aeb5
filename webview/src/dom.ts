// The one way the webview builds DOM: elements with attributes and text children.
// Text is always inserted as Text nodes (createTextNode) and attributes through setAttribute,
// so captured bytes and decoded strings can never become markup. Nothing here parses HTML.

/** What rendering needs from `document` (a test shim provides the same). */
export type Doc = Pick<Document, 'createElement' | 'createTextNode'>;

export type Attrs = Record<string, string | number | boolean | undefined | null>;
export type Child = Node | string | number | null | undefined | false;

/** Attribute names that could run or load something: never set from rendering code. */
const FORBIDDEN_ATTR = /^(on|style$|src$|href$|srcdoc$|action$|formaction$|xlink:href$)/i;

export function el<K extends keyof HTMLElementTagNameMap>(doc: Doc, tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(doc: Doc, tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function el(doc: Doc, tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement {
  const e = doc.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (FORBIDDEN_ATTR.test(k)) throw new Error(`attribute ${k} is not allowed`);
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(doc, e, ...children);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (small inline charts), attributes through setAttribute like el(). */
export function svgEl(doc: Doc & Pick<Document, 'createElementNS'>, tag: string, attrs?: Attrs, ...children: Child[]): SVGElement {
  const e = doc.createElementNS(SVG_NS, tag) as SVGElement;
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (FORBIDDEN_ATTR.test(k)) throw new Error(`attribute ${k} is not allowed`);
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(doc, e, ...children);
  return e;
}

export function append(doc: Doc, parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? doc.createTextNode(String(c)) : c);
  }
}

/** Replace an element's children. */
export function setChildren(doc: Doc, parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(doc, parent, ...children);
}

/** Replace an element's text (textContent: never parsed as HTML). */
export function setText(node: Node, text: string): void {
  node.textContent = text;
}

// The decoded value as an expandable tree. Keys and values are inserted as text.
import { el, type Doc } from '../dom';
import { preview, type JNode } from './lossless-json';
import { childPointer } from './field-ranges';

export const MAX_CHILDREN = 500;

export interface TreeOptions {
  expanded: ReadonlySet<string>;
  selectedPath?: string;
  /** Paths that have byte ranges (marked so the user knows clicking highlights bytes). */
  rangePaths?: ReadonlySet<string>;
}

function valueText(node: JNode): string {
  switch (node.kind) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.text;
    case 'bool':
      return String(node.value);
    case 'null':
      return 'null';
    default:
      return preview(node);
  }
}

function children(node: JNode): [string, JNode][] {
  if (node.kind === 'object') return node.entries;
  if (node.kind === 'array') return node.items.map((n, i) => [String(i), n]);
  return [];
}

/** Paths expanded by default: the root and its direct children. */
export function defaultExpanded(node: JNode): Set<string> {
  const s = new Set<string>(['']);
  for (const [k, c] of children(node).slice(0, 50)) if (c.kind === 'object' || c.kind === 'array') s.add(childPointer('', k));
  return s;
}

function item(doc: Doc, key: string | undefined, node: JNode, path: string, depth: number, opts: TreeOptions, out: HTMLElement): void {
  const kids = children(node);
  const container = node.kind === 'object' || node.kind === 'array';
  const open = container && opts.expanded.has(path);
  const cls = ['tree-item', `t-${node.kind}`];
  if (path === opts.selectedPath) cls.push('selected');
  if (opts.rangePaths?.has(path)) cls.push('has-range');
  out.appendChild(
    el(
      doc,
      'div',
      {
        class: cls.join(' '),
        role: 'treeitem',
        'aria-expanded': container ? String(open) : undefined,
        'aria-level': depth + 1,
        'data-path': path,
        'data-testid': 'tree-item',
        'data-depth': depth,
      },
      el(doc, 'span', { class: 'twisty', 'data-toggle': container ? path : undefined }, container ? (open ? '▾' : '▸') : ''),
      key !== undefined ? el(doc, 'span', { class: 'key' }, key) : null,
      key !== undefined ? ': ' : null,
      el(doc, 'span', { class: 'value' }, container && open ? (node.kind === 'array' ? `[${kids.length}]` : '') : valueText(node)),
    ),
  );
  if (!open) return;
  kids.slice(0, MAX_CHILDREN).forEach(([k, c]) => item(doc, k, c, childPointer(path, k), depth + 1, opts, out));
  if (kids.length > MAX_CHILDREN) {
    out.appendChild(el(doc, 'div', { class: 'tree-item more', 'data-depth': depth + 1 }, `… ${kids.length - MAX_CHILDREN} more not shown (Copy as JSON has everything)`));
  }
}

/** The tree as a flat list of items (indentation by data-depth), root first. */
export function renderTree(doc: Doc, root: JNode, opts: TreeOptions): HTMLElement {
  const out = el(doc, 'div', { class: 'tree', role: 'tree', 'data-testid': 'decoded-tree' });
  item(doc, undefined, root, '', 0, opts, out);
  return out;
}

// What the filter box offers: a placeholder whose examples come from the session's own rows
// (proto:netrpc, method:Arith.Multiply where those exist) and completions for the word being
// typed (keys, then the values seen for that key). Pure: unit-tested.
import { FILTER_DIRECTIONS, findMethods } from '../../../extension/shared/filter';
import type { WireRow } from '../../../extension/shared/webview';

/** Values seen in the session so far (bounded). */
export interface FilterFacts {
  protos: Set<string>;
  methods: Set<string>;
  kinds: Set<string>;
  conns: Set<number>;
  taps: Set<string>;
}

const MAX_VALUES = 64;
const PLAIN = new Set(['lines', 'raw', 'text']);
const KEYS = ['proto:', 'method:', 'conn:', 'dir:', 'kind:', 'tap:', 'type:', 'error', 'error:'];

export function emptyFacts(): FilterFacts {
  return { protos: new Set(), methods: new Set(), kinds: new Set(), conns: new Set(), taps: new Set() };
}

function add<T>(set: Set<T>, v: T): void {
  if (set.size < MAX_VALUES || set.has(v)) set.add(v);
}

/** Learn from rows as they arrive (each row once, when `seen` is given). Returns true when something new was seen. */
export function learnFacts(facts: FilterFacts, rows: Iterable<WireRow>, seen?: WeakSet<WireRow>): boolean {
  const before = facts.protos.size + facts.methods.size + facts.kinds.size + facts.conns.size + facts.taps.size;
  for (const r of rows) {
    if (seen) {
      if (seen.has(r)) continue;
      seen.add(r);
    }
    if (r.type === 'frame') {
      add(facts.protos, r.proto);
      add(facts.conns, r.conn);
      add(facts.taps, r.tap);
      if (!PLAIN.has(r.proto) && facts.methods.size < MAX_VALUES && r.decodedJson.length < 65536) {
        try {
          for (const m of findMethods(JSON.parse(r.decodedJson))) add(facts.methods, m);
        } catch {
          // not JSON: no method
        }
      }
    } else {
      add(facts.kinds, r.kind);
      if (r.conn !== undefined) add(facts.conns, r.conn);
    }
  }
  return facts.protos.size + facts.methods.size + facts.kinds.size + facts.conns.size + facts.taps.size !== before;
}

function first<T>(set: Set<T>, prefer?: (v: T) => boolean): T | undefined {
  let any: T | undefined;
  for (const v of set) {
    if (!prefer || prefer(v)) return v;
    any ??= v;
  }
  return any;
}

/** Examples that match something in this session. */
export function filterPlaceholder(facts: FilterFacts): string {
  const parts = ['Filter: text'];
  const proto = first(facts.protos, (p) => !PLAIN.has(p));
  if (proto) parts.push(`proto:${proto}`);
  const conn = first(facts.conns);
  if (conn !== undefined) parts.push(`conn:${conn}`);
  parts.push('dir:c2s');
  const method = first(facts.methods);
  if (method) parts.push(`method:${method.includes(' ') ? `"${method}"` : method}`);
  parts.push('error', '-exclude');
  return parts.join('  ');
}

/** Whole-text completions for the last word of `text` (for a datalist: each is the full text). */
export function filterCompletions(text: string, facts: FilterFacts, limit = 30): string[] {
  const cut = text.search(/\S*$/);
  const before = text.slice(0, cut);
  let word = text.slice(cut);
  let neg = '';
  if (word.startsWith('-') || word.startsWith('!')) {
    neg = word[0]!;
    word = word.slice(1);
  }
  const out: string[] = [];
  const push = (w: string) => {
    if (out.length < limit) out.push(before + neg + w);
  };
  const colon = word.indexOf(':');
  if (colon < 0) {
    const w = word.toLowerCase();
    for (const k of KEYS) if (k.startsWith(w) && k !== w) push(k);
    return out;
  }
  const key = word.slice(0, colon).toLowerCase();
  const typed = word.slice(colon + 1).toLowerCase();
  const values: string[] = (() => {
    switch (key) {
      case 'proto':
        return [...facts.protos];
      case 'method':
        return [...facts.methods].map((m) => (m.includes(' ') ? `"${m}"` : m));
      case 'conn':
        return [...facts.conns].sort((a, b) => a - b).map(String);
      case 'dir':
        return [...FILTER_DIRECTIONS];
      case 'kind':
        return [...facts.kinds];
      case 'tap':
        return [...facts.taps];
      case 'type':
        return ['frame', 'event'];
      default:
        return [];
    }
  })();
  // Values that start with the typed text first, then those that contain it.
  const hits = values.filter((v) => v.toLowerCase().includes(typed) && v.toLowerCase() !== typed);
  for (const v of [...hits.filter((v) => v.toLowerCase().startsWith(typed)), ...hits.filter((v) => !v.toLowerCase().startsWith(typed))]) push(`${key}:${v}`);
  return out;
}

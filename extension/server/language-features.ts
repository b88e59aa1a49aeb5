// Language features for the read-only `ipctap` documents rendered by capture-text.ts:
// outline (connections → RPC calls), hover (decoded value + hex), folding per connection,
// and go to definition from a reply to its request. Pure functions over the text model.
import type { DocumentSymbol, FoldingRange, Hover, Location, Position } from 'vscode-languageserver';
import { prettyJson, toJson, type FrameRow } from '../engine';
import type { CaptureTextModel } from './capture-text';
import { hexDump } from './hex';

// LSP enum values (SymbolKind, FoldingRangeKind) written out to keep this file type-only.
const SYMBOL_NAMESPACE = 3;
const SYMBOL_METHOD = 6;
const SYMBOL_EVENT = 24;
const SYMBOL_FIELD = 8;
/** Frames listed under a connection with no request/reply pairing. */
const MAX_PLAIN_SYMBOLS = 200;

function lineLength(model: CaptureTextModel, line: number): number {
  // Cheap enough for the sizes rendered (the text is capped).
  return (model.text.split('\n', line + 1)[line] ?? '').length;
}

function lineRange(model: CaptureTextModel, line: number) {
  return { start: { line, character: 0 }, end: { line, character: lineLength(model, line) } };
}

export function documentSymbols(model: CaptureTextModel): DocumentSymbol[] {
  const lines = model.text.split('\n');
  const range = (a: number, b: number) => ({
    start: { line: a, character: 0 },
    end: { line: b, character: (lines[b] ?? '').length },
  });
  const out: DocumentSymbol[] = [];
  for (const s of model.sections) {
    const children: DocumentSymbol[] = [];
    if (s.conn !== undefined) {
      const frames = s.rowLines.map((l) => model.rows.get(model.lines.get(l)!.rowId) as FrameRow);
      const paired = frames.some((f) => f.pair?.role === 'request');
      for (const f of frames) {
        if (paired ? f.pair?.role !== 'request' : children.length >= MAX_PLAIN_SYMBOLS) continue;
        const line = model.rowLine.get(f.id)!;
        children.push({
          name: f.summary || `#${f.id}`,
          detail: `#${f.id} ${f.dir} ${f.proto}`,
          kind: paired ? SYMBOL_METHOD : SYMBOL_FIELD,
          range: range(line, line),
          selectionRange: range(line, line),
        } as DocumentSymbol);
      }
    } else {
      for (const l of s.rowLines) {
        const row = model.rows.get(model.lines.get(l)!.rowId);
        if (!row || row.type !== 'event') continue;
        children.push({
          name: row.kind + (row.pid !== undefined ? ` ${row.pid}` : '') + (row.signal ? ` ${row.signal}` : ''),
          detail: `#${row.id}`,
          kind: SYMBOL_EVENT,
          range: range(l, l),
          selectionRange: range(l, l),
        } as DocumentSymbol);
      }
    }
    out.push({
      name: s.title.replace(/\s{2,}/g, ' '),
      kind: SYMBOL_NAMESPACE,
      range: range(s.startLine, s.endLine),
      selectionRange: range(s.startLine, s.startLine),
      children,
    } as DocumentSymbol);
  }
  return out;
}

export function foldingRanges(model: CaptureTextModel): FoldingRange[] {
  return model.sections.map((s) => ({ startLine: s.startLine, endLine: s.endLine, kind: 'region' }));
}

export function hover(model: CaptureTextModel, pos: Position): Hover | null {
  const at = model.lines.get(pos.line);
  if (!at) return null;
  const row = model.rows.get(at.rowId);
  if (!row) return null;
  const md: string[] = [];
  if (row.type === 'event') {
    md.push(`**#${row.id} ${row.kind}**`, '', '```json', prettyJson(toJson(row)), '```');
  } else {
    md.push(`**#${row.id}** ${row.dir} · ${row.proto} · ${row.len} bytes · connection ${row.conn}`);
    if (row.summary) md.push('', escapeMd(row.summary));
    if (row.error) md.push('', `**error:** ${escapeMd(row.error)}`);
    if (row.pair?.role === 'response' && row.pair.request !== undefined) {
      md.push('', `reply to #${row.pair.request}` + (row.pair.latencyUs !== undefined ? ` after ${row.pair.latencyUs} µs` : ''));
    }
    let decoded = 'null';
    try {
      decoded = toJson(row.decoded ?? null);
    } catch {
      decoded = '"(not JSON-able)"';
    }
    if (decoded !== 'null') md.push('', '```json', fence(prettyJson(decoded)), '```');
    md.push('', '```', fence(hexDump(row.data, 256)), '```');
  }
  return { contents: { kind: 'markdown', value: md.join('\n') }, range: lineRange(model, pos.line) };
}

export function definition(model: CaptureTextModel, uri: string, pos: Position): Location | null {
  const at = model.lines.get(pos.line);
  if (!at) return null;
  const row = model.rows.get(at.rowId);
  if (!row || row.type !== 'frame') return null;
  let target: number | undefined;
  if (row.pair?.role === 'response') target = row.pair.request;
  else if (row.pair?.role === 'request') {
    // From a request, go to its reply.
    for (const [id, r] of model.rows) {
      if (r.type === 'frame' && r.pair?.role === 'response' && r.pair.request === row.id) {
        target = id;
        break;
      }
    }
  }
  if (target === undefined) return null;
  const line = model.rowLine.get(target);
  if (line === undefined) return null;
  return { uri, range: lineRange(model, line) };
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]<>()#+\-.!|]/g, (c) => '\\' + c);
}

/** Keep captured text from closing the code fence. */
function fence(s: string): string {
  return s.replace(/```/g, '`\u200b``');
}

// "Open Capture as Text": renders a capture's rows as a readable, read-only document (language
// `ipctap`) and keeps a model of it (which line holds which row, where each connection's section
// starts and ends) for the language features: outline, hover, folding, go to definition.
//
// Layout:
//   IPC Tap capture: NAME
//   taps: SPEC, SPEC
//
//   connection 3  TAP  FROM → TO
//     #12  +0.001234s  c2s  gob  48 B  Arith.Multiply {"A":7,"B":8}
//     #13  +0.001400s  s2c  gob  20 B  reply 56 (0.17ms)
//   end connection 3
//
//   events
//     #1  +0.000000s  spawn pid 4242 ./server
//   end events
import type { FrameRow, Row } from '../engine';

/** Frames rendered at most (the panel is the place for huge captures). */
export const MAX_TEXT_FRAMES = 20_000;

export interface TextLine {
  rowId: number;
  conn?: number;
}

export interface TextSection {
  /** Connection id, or undefined for the events section. */
  conn?: number;
  title: string;
  startLine: number;
  endLine: number;
  /** Line numbers of rows in this section. */
  rowLines: number[];
}

export interface CaptureTextModel {
  text: string;
  /** line number → row on that line */
  lines: Map<number, TextLine>;
  /** row id → line number */
  rowLine: Map<number, number>;
  /** row id → row (frames and events shown) */
  rows: Map<number, Row>;
  sections: TextSection[];
  truncated: boolean;
}

export interface RenderHeader {
  name: string;
  taps?: string[];
}

function secs(mono: number): string {
  return `+${(mono / 1e6).toFixed(6)}s`;
}

function oneLine(s: string, max = 200): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

export function frameLine(r: FrameRow): string {
  const parts = [`#${r.id}`, secs(r.mono), r.dir, r.proto, `${r.len} B`, oneLine(r.summary)];
  if (r.error) parts.push(`[error: ${oneLine(r.error, 120)}]`);
  return '  ' + parts.join('  ');
}

function eventText(r: Extract<Row, { type: 'event' }>): string {
  const bits: string[] = [r.kind];
  if (r.pid !== undefined) bits.push(`pid ${r.pid}`);
  if (r.command) bits.push(r.command.join(' '));
  if (r.signal) bits.push(r.signal);
  if (r.code !== undefined && r.code !== null) bits.push(`code ${r.code}`);
  if (r.conn !== undefined) bits.push(`conn ${r.conn}`);
  if (r.tap) bits.push(r.tap);
  if (r.address) bits.push(r.address);
  if (r.reason) bits.push(r.reason);
  if (r.message) bits.push(oneLine(r.message, 160));
  return bits.join(' ');
}

export function eventLine(r: Extract<Row, { type: 'event' }>): string {
  return `  #${r.id}  ${secs(r.mono)}  ${eventText(r)}`;
}

/** Render rows (in id order) into the text and its model. */
export async function renderCaptureText(rows: Iterable<Row> | AsyncIterable<Row>, header: RenderHeader): Promise<CaptureTextModel> {
  const byConn = new Map<number, FrameRow[]>();
  const events: Extract<Row, { type: 'event' }>[] = [];
  const opens = new Map<number, Extract<Row, { type: 'event' }>>();
  const taps = new Set(header.taps ?? []);
  let frames = 0;
  let truncated = false;
  for await (const r of rows as AsyncIterable<Row>) {
    if (r.type === 'event') {
      events.push(r);
      if (r.kind === 'open' && r.conn !== undefined) opens.set(r.conn, r);
      if (r.tap) taps.add(r.tap);
      continue;
    }
    if (frames >= MAX_TEXT_FRAMES) {
      truncated = true;
      continue;
    }
    frames++;
    let list = byConn.get(r.conn);
    if (!list) byConn.set(r.conn, (list = []));
    list.push(r);
  }

  const out: string[] = [];
  const model: CaptureTextModel = {
    text: '',
    lines: new Map(),
    rowLine: new Map(),
    rows: new Map(),
    sections: [],
    truncated,
  };
  out.push(`IPC Tap capture: ${header.name}`);
  if (taps.size) out.push(`taps: ${[...taps].join(', ')}`);
  out.push(`${frames} frames on ${byConn.size} connections, ${events.length} events`);
  if (truncated) out.push(`(only the first ${MAX_TEXT_FRAMES} frames are listed; open the capture in the panel for all)`);

  for (const conn of [...byConn.keys()].sort((a, b) => a - b)) {
    const list = byConn.get(conn)!;
    const open = opens.get(conn);
    const tap = open?.tap ?? list[0]!.tap;
    const route = open?.from || open?.to ? `  ${open?.from ?? '?'} → ${open?.to ?? '?'}` : '';
    const title = `connection ${conn}  ${tap}${route}`;
    out.push('');
    const section: TextSection = { conn, title, startLine: out.length, endLine: 0, rowLines: [] };
    out.push(title);
    for (const r of list) {
      model.lines.set(out.length, { rowId: r.id, conn });
      model.rowLine.set(r.id, out.length);
      model.rows.set(r.id, r);
      section.rowLines.push(out.length);
      out.push(frameLine(r));
    }
    section.endLine = out.length;
    out.push(`end connection ${conn}`);
    model.sections.push(section);
  }

  if (events.length) {
    out.push('');
    const section: TextSection = { title: 'events', startLine: out.length, endLine: 0, rowLines: [] };
    out.push('events');
    for (const e of events) {
      model.lines.set(out.length, { rowId: e.id, conn: e.conn });
      model.rowLine.set(e.id, out.length);
      model.rows.set(e.id, e);
      section.rowLines.push(out.length);
      out.push(eventLine(e));
    }
    section.endLine = out.length;
    out.push('end events');
    model.sections.push(section);
  }
  out.push('');
  model.text = out.join('\n');
  return model;
}

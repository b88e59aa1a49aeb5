// Gob stream items → frames (the shape shown by the CLI and the UI).
import type { Direction, Frame } from '../../types';
import { oneLine, preview } from './render';
import type { GobItem } from './stream';

/** A gob item as a frame; its summary is one line (names from the stream are escaped). */
export function gobFrame(dir: Direction, item: GobItem): Frame {
  switch (item.kind) {
    case 'typedef':
      return { dir, data: item.data, summary: oneLine(item.summary), decoded: { typedef: item.typedef } };
    case 'value': {
      const decoded: Record<string, unknown> = { type: item.typeName, value: item.value };
      if (item.concrete) decoded.concrete = item.concrete;
      if (item.defines) decoded.defines = item.defines;
      // (preview() is one line already; the type name and the rest come from the stream)
      let summary = `${oneLine(item.typeName)} ${preview(item.value)}`;
      if (item.concrete) summary += ` (${oneLine(concreteList(item.concrete))})`;
      if (item.note) summary += ` [${oneLine(item.note)}]`;
      const f: Frame = { dir, data: item.data, summary, decoded };
      if (item.ranges) f.ranges = item.ranges.map((r) => ({ path: `/value${r.path}`, start: r.start, end: r.end }));
      return f;
    }
    case 'error':
      return {
        dir,
        data: item.data,
        summary: oneLine(`error: ${item.error}`),
        decoded: item.typeId !== undefined ? { type: `type#${item.typeId}`, value: null } : null,
        error: item.error,
      };
    case 'empty':
      return { dir, data: item.data, summary: 'empty gob message', decoded: null };
  }
}

/** "S: main.Circle, Items/0: int" — concrete types of interface values, for summaries. */
export function concreteList(concrete: Record<string, string>, limit = 4): string {
  const keys = Object.keys(concrete);
  const shown = keys.slice(0, limit).map((k) => `${k.slice(1) || '.'}: ${concrete[k]}`);
  if (keys.length > limit) shown.push(`+${keys.length - limit} more`);
  return shown.join(', ');
}

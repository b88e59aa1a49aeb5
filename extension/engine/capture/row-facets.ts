// A few bytes per stored row — type, connection, direction, protocol or event kind, tap — kept in
// memory next to the on-disk FrameStore, so filters on those fields (conn:3, dir:c2s, proto:gob,
// kind:exit, tap:…, type:…, after:N and their negations) are answered without reading the rows,
// and filters that also search text only read the rows those fields let through.
//
// The facet terms are evaluated by the filter language's own matchRow on a stand-in row that has
// exactly the fields those terms read, so the answers cannot drift from what the panel shows.
// Because different fields AND together, the facet terms of a filter are a necessary condition of
// the whole filter: rows failing them can be skipped.
import type { Row } from '../types';
import { FILTER_DIRECTIONS, matchRow, type FilterSpec, type FilterTerm, type MatchableRow } from '../../shared/filter';

const FACET_FIELDS: ReadonlySet<FilterTerm['field']> = new Set(['conn', 'dir', 'type', 'kind', 'proto', 'tap', 'after']);
/** Direction codes: 0 none, then the filter language's directions. */
const DIRS = ['', ...FILTER_DIRECTIONS];
/** Past this many rows (~150 MiB of facets) filters go back to reading every row: memory stays
 *  bounded whatever the session's size. */
const MAX_ROWS = 16 * 1024 * 1024;

export class RowFacets {
  private conn = new Int32Array(1024);
  private dir = new Uint8Array(1024);
  /** Interned "f" + proto for frames, "e" + kind for events. */
  private what = new Uint16Array(1024);
  private tap = new Uint16Array(1024);
  private readonly strings: string[] = [''];
  private readonly index = new Map<string, number>([['', 0]]);
  private n = 0;
  /** Set when more distinct strings came than an index holds, or more rows than MAX_ROWS:
   *  facets stop being usable (and stop growing). */
  private overflow = false;

  get usable(): boolean {
    return !this.overflow;
  }

  push(row: Row): void {
    if (this.overflow) return;
    if (this.n >= MAX_ROWS) {
      this.overflow = true;
      this.conn = new Int32Array(0);
      this.dir = new Uint8Array(0);
      this.what = new Uint16Array(0);
      this.tap = new Uint16Array(0);
      return;
    }
    if (this.n === this.conn.length) this.grow();
    const i = this.n++;
    this.conn[i] = row.conn === undefined ? -1 : row.conn;
    this.dir[i] = row.type === 'frame' || row.dir !== undefined ? Math.max(0, DIRS.indexOf(row.dir ?? '')) : 0;
    this.what[i] = this.intern(row.type === 'frame' ? 'f' + row.proto : 'e' + row.kind);
    this.tap[i] = row.tap === undefined ? 0 : this.intern('t' + row.tap);
  }

  /**
   * The part of `spec` these facets can decide (undefined when no term can be), and whether
   * that part is the whole filter.
   */
  static split(spec: FilterSpec): { facet?: FilterSpec; whole: boolean } {
    const facet = spec.terms.filter((t) => FACET_FIELDS.has(t.field));
    return { facet: facet.length ? { terms: facet } : undefined, whole: facet.length === spec.terms.length };
  }

  /** Does the row at `pos` (with id `id`) pass the facet terms of `spec`? */
  matches(spec: FilterSpec, pos: number, id: number): boolean {
    return matchRow(spec, this.standIn(pos, id));
  }

  private standIn(pos: number, id: number): MatchableRow {
    const what = this.strings[this.what[pos]!]!;
    const conn = this.conn[pos]!;
    const dir = DIRS[this.dir[pos]!] || undefined;
    const tapText = this.tap[pos] ? this.strings[this.tap[pos]!]!.slice(1) : undefined;
    if (what[0] === 'f') {
      return { type: 'frame', id, conn, dir: dir ?? '', proto: what.slice(1), tap: tapText ?? '', summary: '' };
    }
    return { type: 'event', id, kind: what.slice(1), conn: conn < 0 ? undefined : conn, dir, tap: tapText } as unknown as MatchableRow;
  }

  private intern(s: string): number {
    let k = this.index.get(s);
    if (k === undefined) {
      if (this.strings.length >= 0xffff) {
        this.overflow = true;
        return 0;
      }
      k = this.strings.length;
      this.strings.push(s);
      this.index.set(s, k);
    }
    return k;
  }

  private grow(): void {
    const size = this.conn.length * 2;
    this.conn = grown(this.conn, new Int32Array(size));
    this.dir = grown(this.dir, new Uint8Array(size));
    this.what = grown(this.what, new Uint16Array(size));
    this.tap = grown(this.tap, new Uint16Array(size));
  }
}

/** `into`, holding `from`'s values first. */
function grown<T extends Int32Array | Uint8Array | Uint16Array>(from: T, into: T): T {
  into.set(from);
  return into;
}

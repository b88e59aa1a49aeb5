// HPACK header block decoder (RFC 7541). One instance per direction of a connection, shared by
// all streams, fed header blocks in wire order. Never throws: errors and mid-stream gaps come
// back in the result, and decoding carries on with the next block.
import { STATIC_COUNT, STATIC_TABLE } from './hpack-static';
import { HPACK_INT_MAX, INT_OVERFLOW, INT_TRUNCATED, headerText, intEnd, readIntAt, readString } from './hpack-primitives';

export type HeaderPair = [name: string, value: string];

export interface HpackResult {
  /** Header fields in order, as [name, value]. */
  headers: HeaderPair[];
  /** Readable notes: placeholders for unseen entries, size updates, never-indexed fields. */
  notes: string[];
  /** Names of fields sent as never-indexed (sensitive). */
  neverIndexed: string[];
  /** Set when a dynamic-table lookup in this block may be wrong (state lost earlier). */
  unverified: boolean;
  /** Set when the block could not be decoded to its end; later blocks are unverified. */
  error?: string;
}

export interface HpackOptions {
  /** The table size the encoder starts with (SETTINGS_HEADER_TABLE_SIZE default 4096). */
  maxTableSize?: number;
  /**
   * False when decoding starts mid-connection: references to dynamic entries inserted before
   * the capture began get a placeholder instead of being an error.
   */
  fromStart?: boolean;
}

/** Largest dynamic table we keep, whatever a size update says (memory bound). */
export const HPACK_TABLE_CAP = 16 * 1024 * 1024;

interface Entry {
  name: string;
  value: string;
  /** HPACK size: name and value octets + 32. */
  size: number;
  /** Octets of the name on the wire (0 for a placeholder: underestimating keeps indexes right). */
  nameSize: number;
}

/** Static table entries as lookup returns them (made once, not per reference). */
const STATIC_ENTRIES = STATIC_TABLE.map(([name, value]) => ({ name, value, nameSize: name.length }));

export function placeholderName(index: number): string {
  return `[HPACK dynamic entry ${index} not seen]`;
}

export class HpackDecoder {
  /** Oldest first; dynamic index 62 is the last element. */
  private entries: Entry[] = [];
  private size = 0;
  private maxSize: number;
  private fromStart: boolean;
  private lost = false;
  private lostReason = '';

  constructor(options: HpackOptions = {}) {
    this.maxSize = Math.min(options.maxTableSize ?? 4096, HPACK_TABLE_CAP);
    this.fromStart = options.fromStart ?? true;
  }

  /** Size of the dynamic table in HPACK octets (name + value + 32 per entry). */
  get tableSize(): number {
    return this.size;
  }

  get maxTableSize(): number {
    return this.maxSize;
  }

  /** Whether lookups are unverified because state was lost. */
  get unverified(): boolean {
    return this.lost;
  }

  /** The dynamic table, newest first (index 62 first), as [name, value, size]. */
  table(): [string, string, number][] {
    return this.entries.map((e) => [e.name, e.value, e.size] as [string, string, number]).reverse();
  }

  /** Record that a header block (or part of one) was lost: later dynamic lookups are unverified. */
  markLost(reason: string): void {
    if (!this.lost) this.lostReason = reason;
    this.lost = true;
  }

  decode(block: Uint8Array): HpackResult {
    const res: HpackResult = { headers: [], notes: [], neverIndexed: [], unverified: false };
    let pos = 0;
    let first = true;
    while (pos < block.length) {
      const b = block[pos];
      let step: number | string;
      if (b & 0x80) step = this.indexed(block, pos, res);
      else if (b & 0x40) step = this.literal(block, pos, 6, 'incremental', res);
      else if (b & 0x20) step = this.sizeUpdate(block, pos, first, res);
      else if (b & 0x10) step = this.literal(block, pos, 4, 'never', res);
      else step = this.literal(block, pos, 4, 'without', res);
      if (typeof step === 'string') {
        res.error = `${step} (at byte ${pos} of the header block)`;
        this.markLost(`an undecodable header block (${step})`);
        break;
      }
      pos = step;
      first = false;
    }
    return res;
  }

  private lookup(index: number, res: HpackResult): { name: string; value: string; nameSize: number } | string {
    if (index === 0) return 'index 0 is not valid';
    if (index <= STATIC_COUNT) return STATIC_ENTRIES[index];
    const d = index - STATIC_COUNT - 1;
    if (this.lost) res.unverified = true;
    if (d < this.entries.length) return this.entries[this.entries.length - 1 - d];
    if (!this.fromStart || this.lost) {
      // Entries we never saw are older than every entry we hold, so the entries we do hold keep
      // their true indexes; only this reference is unknown.
      res.notes.push(
        this.fromStart ? `dynamic entry ${index} was not seen (${this.lostReason || 'state lost'})` : `dynamic entry ${index} was not seen (inserted before the capture began)`,
      );
      return { name: placeholderName(index), value: '', nameSize: 0 };
    }
    return `index ${index} is beyond the dynamic table (${this.entries.length} entries)`;
  }

  private indexed(block: Uint8Array, pos: number, res: HpackResult): number | string {
    const index = readIntAt(block, pos, 7);
    if (index === INT_TRUNCATED) return 'truncated index';
    if (index === INT_OVERFLOW) return 'index too large';
    const next = intEnd.next;
    const e = this.lookup(index, res);
    if (typeof e === 'string') return e;
    res.headers.push([e.name, e.value]);
    return next;
  }

  private literal(block: Uint8Array, pos: number, prefix: number, kind: 'incremental' | 'without' | 'never', res: HpackResult): number | string {
    const index = readIntAt(block, pos, prefix);
    if (index === INT_TRUNCATED) return 'truncated name index';
    if (index === INT_OVERFLOW) return 'name index too large';
    let p = intEnd.next;
    let name: string;
    let nameLen: number;
    if (index === 0) {
      const s = readString(block, p);
      if (typeof s === 'string') return s;
      name = headerText(s.bytes);
      nameLen = s.bytes.length;
      p = s.next;
    } else {
      const e = this.lookup(index, res);
      if (typeof e === 'string') return e;
      name = e.name;
      nameLen = e.nameSize;
    }
    const v = readString(block, p);
    if (typeof v === 'string') return v;
    const value = headerText(v.bytes);
    res.headers.push([name, value]);
    if (kind === 'never') res.neverIndexed.push(name);
    if (kind === 'incremental') this.insert({ name, value, size: nameLen + v.bytes.length + 32, nameSize: nameLen });
    return v.next;
  }

  private sizeUpdate(block: Uint8Array, pos: number, first: boolean, res: HpackResult): number | string {
    let size = readIntAt(block, pos, 5);
    if (size === INT_TRUNCATED) return 'truncated table size update';
    if (size === INT_OVERFLOW || size > HPACK_INT_MAX) return 'table size update too large';
    const next = intEnd.next;
    if (!first) res.notes.push('table size update after the start of the block (not allowed; applied anyway)');
    if (size > HPACK_TABLE_CAP) {
      res.notes.push(`table size update to ${size} capped at ${HPACK_TABLE_CAP}`);
      size = HPACK_TABLE_CAP;
    }
    res.notes.push(`dynamic table size set to ${size}`);
    this.maxSize = size;
    this.evict(0);
    return next;
  }

  private insert(e: Entry): void {
    if (e.size > this.maxSize) {
      // An entry larger than the table empties it and is not added (RFC 7541 4.4).
      this.entries = [];
      this.size = 0;
      return;
    }
    this.evict(e.size);
    this.entries.push(e);
    this.size += e.size;
  }

  private evict(room: number): void {
    let drop = 0;
    while (this.size + room > this.maxSize && drop < this.entries.length) {
      this.size -= this.entries[drop].size;
      drop++;
    }
    if (drop > 0) this.entries.splice(0, drop);
  }
}

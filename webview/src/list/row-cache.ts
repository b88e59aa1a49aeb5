// A small page cache in front of the host's rows/get: the list asks for the pages it shows;
// pages arrive asynchronously and are dropped when the filter changed in between (generation).
export const PAGE_SIZE = 200;
export const MAX_PAGES = 60;

export class RowCache<R> {
  private readonly pages = new Map<number, R[]>();
  private readonly inFlight = new Set<number>();
  /** Bumped by reset(); replies for an older generation are ignored. */
  generation = 0;
  /** Rows in the (filtered) list, as last reported by the host; -1 until known. */
  total = -1;

  constructor(
    readonly pageSize = PAGE_SIZE,
    readonly maxPages = MAX_PAGES,
  ) {}

  get(index: number): R | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Pages covering [first, end) that are neither loaded (fully, or up to total) nor requested. */
  missingPages(first: number, end: number): number[] {
    const out: number[] = [];
    if (end <= first) return out;
    for (let p = Math.floor(first / this.pageSize); p <= Math.floor((end - 1) / this.pageSize); p++) {
      if (this.inFlight.has(p)) continue;
      const page = this.pages.get(p);
      if (page && (page.length === this.pageSize || (this.total >= 0 && p * this.pageSize + page.length >= this.total))) continue;
      out.push(p);
    }
    return out;
  }

  markRequested(page: number): void {
    this.inFlight.add(page);
  }

  /** A reply for `page`; returns false if it belongs to an older generation. */
  fill(generation: number, page: number, rows: R[], total: number): boolean {
    if (generation !== this.generation) return false;
    this.inFlight.delete(page);
    if (total !== this.total) {
      this.total = total;
      // Pages past the new end are stale; a partial last page may grow.
      for (const p of [...this.pages.keys()]) if (p * this.pageSize >= total) this.pages.delete(p);
    }
    this.pages.delete(page); // re-insert: most recent last
    this.pages.set(page, rows.slice(0, this.pageSize));
    return true;
  }

  /** A request failed: allow asking again. */
  failed(generation: number, page: number): void {
    if (generation === this.generation) this.inFlight.delete(page);
  }

  /** Drop least recently filled pages beyond maxPages, keeping those covering [first, end). */
  evict(first: number, end: number): void {
    if (this.pages.size <= this.maxPages) return;
    const keepLo = Math.floor(first / this.pageSize);
    const keepHi = Math.floor(Math.max(first, end - 1) / this.pageSize);
    for (const p of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (p >= keepLo && p <= keepHi) continue;
      this.pages.delete(p);
    }
  }

  /** New rows may have arrived: the last (partial) page must be asked again. */
  invalidateTail(): void {
    if (this.total < 0) return;
    const p = Math.floor(this.total / this.pageSize);
    const page = this.pages.get(p);
    if (page && page.length < this.pageSize) this.pages.delete(p);
    const prev = this.pages.get(p - 1);
    if (prev && prev.length < this.pageSize) this.pages.delete(p - 1);
  }

  /** The filter changed (or the list was cleared): forget everything. */
  reset(): void {
    this.pages.clear();
    this.inFlight.clear();
    this.generation++;
    this.total = -1;
  }

  /** Loaded rows, for lookups such as a request's reply (no particular order). */
  *loaded(): Iterable<R> {
    for (const page of this.pages.values()) yield* page;
  }

  get pageCount(): number {
    return this.pages.size;
  }
}

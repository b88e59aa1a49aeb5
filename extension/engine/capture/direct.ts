// Appends a byte stream to a regular file with O_DIRECT: whole aligned blocks go from our own
// memory to the disk, past the page cache.
//
// Why: writing a capture through the page cache costs the kernel a copy into freshly allocated
// pages — 0.6-3 CPU-seconds per GiB on a 2-core VM, more than forwarding the same bytes —
// and that CPU is taken from the proxy and its peers. A direct write
// of the same GiB costs ~0.1 CPU-seconds (the disk's DMA does the copy).
//
// The stream is copied into aligned staging buffers; full ones are written at their (aligned)
// file offsets, one write at a time, in file order, each taking every buffer that filled
// meanwhile. Bytes of a buffer that is not full yet are written through the ordinary descriptor
// when the caller asks for them to be visible (flushTail); once the buffer fills, the rest of the
// page holding that end is written the ordinary way too and direct writes go on from the next
// page. So a direct write never covers a page a reader may hold cached (the kernel does not
// promise to refresh those), and the file is always an exact prefix of the stream, with no holes.
//
// O_DIRECT needs the memory address, the file offset and the length aligned to the device's
// block size. Node.js does not tell a Buffer's address, so open() finds an aligned offset into the
// staging buffer by trying small direct writes (misaligned ones fail with EINVAL at once, before
// any I/O), at offset 0 of the still-empty file. Where O_DIRECT is not available (tmpfs on older
// kernels, FIFOs, /dev/null, some network file systems) open() returns undefined and the caller
// writes the ordinary way; a direct write failing later switches to ordinary writes too. On tmpfs
// the ordinary way is used too (nothing to gain there).
import { closeSync, constants, fstatSync, ftruncateSync, openSync, statfsSync, writeSync } from 'node:fs';
import { writeAll } from '../util/write-all';

/** File offsets and lengths of direct writes are multiples of this. */
const BLOCK = 4096;
/** File systems in memory: a direct write there is the same copy into memory as any other, plus
 *  ours into the staging buffer. */
const IN_MEMORY = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** Bytes per direct write. */
const STAGING = 1024 * 1024;
/** Staging buffers: one is filled while the others wait for or are in a write. 16 MiB lets the
 *  next write take everything that filled while the forwarding thread was busy (a TCP flood: event
 *  loop stalls of 5-8 ms at p90) instead of stopping the traffic.
 *  They are one allocation, normally of untouched pages: a small capture keeps little resident. */
const SLOTS = 16;

/** A full staging buffer waiting for (or in) a direct write: its slot, the file offset of its byte
 *  0, and how many of its first bytes are in the file already (written the ordinary way). */
interface Block {
  slot: number;
  start: number;
  visible: number;
}

export class DirectAppender {
  /** File offset of the current staging buffer's byte 0 (a multiple of STAGING). */
  private base = 0;
  /** Bytes of the stream in the current staging buffer. */
  private fill = 0;
  /** Bytes of the current staging buffer already in the file (written the ordinary way). */
  private visible = 0;
  private cur = 0;
  /** Full buffers not yet in the file, in file order; the first ones may be being written. */
  private readonly queue: Block[] = [];
  private writing: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;
  private error: Error | undefined;
  private fdClosed = false;
  private fallback = false;

  private constructor(
    private readonly directFd: number,
    private readonly plainFd: number,
    private readonly slots: Buffer[],
  ) {}

  /**
   * Direct appending to the empty regular file open as `plainFd` at `path`, or undefined when the
   * file system does not allow it. Leaves the file empty.
   */
  static open(path: string, plainFd: number): DirectAppender | undefined {
    const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT;
    if (!O_DIRECT || process.platform !== 'linux') return undefined;
    try {
      if (!fstatSync(plainFd).isFile() || IN_MEMORY.has(statfsSync(path).type)) return undefined;
    } catch {
      return undefined;
    }
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | O_DIRECT);
    } catch {
      return undefined;
    }
    const all = aligned(fd, SLOTS * STAGING);
    try {
      if (all) {
        ftruncateSync(plainFd, 0); // (the probe's bytes)
        return new DirectAppender(
          fd,
          plainFd,
          Array.from({ length: SLOTS }, (_, i) => all.subarray(i * STAGING, (i + 1) * STAGING)),
        );
      }
    } catch {
      // fall through: the ordinary way
    }
    closeSync(fd);
    return undefined;
  }

  /** Whether whole blocks still go out with O_DIRECT (false after a fallback). */
  get active(): boolean {
    return !this.fallback;
  }

  /** Bytes appended that are not in the file yet (at most SLOTS staging buffers). */
  get pending(): number {
    const first = this.queue[0];
    return this.base + this.fill - (first ? first.start + first.visible : this.base + this.visible);
  }

  /** Bytes already written at the start of the file by the caller (the header). */
  adopt(head: Buffer): void {
    head.copy(this.slots[0]!, 0);
    this.fill = this.visible = head.length;
  }

  /** Append `views`. A full staging buffer is queued for the disk and the next one filled
   *  meanwhile; waits only when every staging buffer is still queued. Rejects on an I/O error. */
  async append(views: Buffer[]): Promise<void> {
    this.check();
    for (const v of views) {
      let from = 0;
      while (from < v.length) {
        const n = Math.min(v.length - from, STAGING - this.fill);
        v.copy(this.slots[this.cur]!, this.fill, from, from + n);
        this.fill += n;
        from += n;
        if (this.fill === STAGING) await this.launch();
      }
    }
  }

  /** Make every appended byte visible in the file. Rejects on an I/O error. */
  async flushTail(): Promise<void> {
    await this.idle();
    this.check();
    if (this.fill === this.visible) return;
    await writeAll(this.plainFd, [this.slots[this.cur]!.subarray(this.visible, this.fill)], this.base + this.visible);
    this.visible = this.fill;
  }

  /** Close the direct descriptor once no write uses it (a write still queued for the thread pool
   *  would otherwise go to whatever file gets the descriptor's number next). */
  async close(): Promise<void> {
    await this.idle();
    if (this.fdClosed) return;
    this.fdClosed = true;
    try {
      closeSync(this.directFd);
    } catch {
      // nothing to do
    }
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  private async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Queue the full current staging buffer; move on to the next one (waiting until it is free). */
  private async launch(): Promise<void> {
    this.queue.push({ slot: this.cur, start: this.base, visible: this.visible });
    this.cur = (this.cur + 1) % this.slots.length;
    this.base += STAGING;
    this.fill = this.visible = 0;
    this.kick();
    while (this.queue.length === this.slots.length) await new Promise<void>((r) => (this.slotFreed = r));
    this.check();
  }

  /**
   * One write at a time, of every buffer queued by then (one pwritev): the file only ever grows
   * at its end, so a reader never finds a hole where a later block landed before an earlier one
   * (concurrent direct writes could complete in any order and extend the file past a gap).
   */
  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    const group = this.queue.slice();
    this.writing = this.writeGroup(group)
      .catch((e: Error) => {
        this.error ??= e;
      })
      .then(() => {
        this.queue.splice(0, group.length);
        this.writing = undefined;
        const freed = this.slotFreed;
        this.slotFreed = undefined;
        freed?.();
        this.kick();
      });
  }

  /**
   * Write consecutive blocks. The first may begin with bytes already in the file: the rest of the
   * page holding the file's end then goes the ordinary way (a reader may have that page cached,
   * zeros past the old end included, and a direct write is not guaranteed to refresh it), and
   * direct writes start at the next page: they only ever cover pages no reader has seen.
   */
  private async writeGroup(group: Block[]): Promise<void> {
    const first = group[0]!;
    const bufs = group.map((b) => this.slots[b.slot]!);
    let pos = first.start;
    if (first.visible > 0) {
      const page = Math.min(STAGING, Math.ceil(first.visible / BLOCK) * BLOCK);
      if (page > first.visible) await writeAll(this.plainFd, [bufs[0]!.subarray(first.visible, page)], first.start + first.visible);
      bufs[0] = bufs[0]!.subarray(page);
      pos += page;
    }
    if (!this.fallback) {
      try {
        await writeAll(this.directFd, bufs, pos);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.fallback = true;
      }
    }
    await writeAll(this.plainFd, bufs, pos);
  }
}

/** A `size`-byte view of new memory that direct writes accept (tried at offset 0 of the still
 *  empty file `fd`), or undefined. */
function aligned(fd: number, size: number): Buffer | undefined {
  // (Zeroed: the probe writes it to the file, and no stale heap bytes should reach a disk. A large
  // zeroed allocation is normally fresh mmap pages, resident only once written.)
  const raw = Buffer.alloc(size + BLOCK);
  for (let at = 0; at < BLOCK; at += 16) {
    try {
      writeSync(fd, raw, at, BLOCK, 0);
      return raw.subarray(at, at + size);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') return undefined;
    }
  }
  return undefined;
}

// Appends a byte stream to a regular file with O_DIRECT: whole aligned blocks go from our own
// memory to the disk, past the page cache.
//
// Why: writing a capture through the page cache costs the kernel a copy into freshly allocated
// pages — measured on the 2-core VMs this was built on, 0.7-3 CPU-seconds per GiB, more than
// forwarding the same bytes — and that CPU is taken from the proxy and its peers. A direct write
// of the same GiB costs ~0.1 CPU-seconds (the disk's DMA does the copy).
//
// The stream is copied into one aligned staging buffer; each time it is full it is written at its
// (aligned) file offset. Bytes of a staging buffer that is not full yet are written through the
// ordinary descriptor when the caller asks for them to be visible (flushTail), and written again
// as part of the whole block once it fills (the kernel writes back and drops the cached pages of a
// range a direct write covers, so readers always see the file's true bytes). The file on disk is
// therefore always an exact prefix of the stream.
//
// O_DIRECT needs the memory address, the file offset and the length aligned to the device's
// block size. Node.js does not tell a Buffer's address, so open() finds an aligned offset into the
// staging buffer by trying small direct writes (misaligned ones fail with EINVAL at once, before
// any I/O), at offset 0 of the still-empty file. Where O_DIRECT is not available (tmpfs on older
// kernels, FIFOs, /dev/null, some network file systems) open() returns undefined and the caller
// writes the ordinary way; a direct write failing later switches to ordinary writes too. On tmpfs
// the ordinary way is used too (nothing to gain there).
import { closeSync, constants, fstatSync, ftruncateSync, openSync, statfsSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';

const writeAsync = promisify(write);

/** File offsets and lengths of direct writes are multiples of this. */
const BLOCK = 4096;
/** File systems in memory: a direct write there is the same copy into memory as any other, plus
 *  ours into the staging buffer. */
const IN_MEMORY = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** Bytes per direct write. */
const STAGING = 1024 * 1024;
/** Staging buffers: one is filled while the others are being written. 16 MiB in flight keeps the
 *  disk busy while the forwarding thread is busy for a few ms between completions (a TCP flood:
 *  event-loop stalls of 5-8 ms at p90; 4 buffers: 810-850 MB/s captured, 16: 945-960 MB/s).
 *  They are one allocation, normally of untouched pages: a small capture keeps little resident. */
const SLOTS = 16;

export class DirectAppender {
  /** File offset of the current staging buffer's byte 0 (a multiple of STAGING). */
  private base = 0;
  /** Bytes of the stream in the current staging buffer. */
  private fill = 0;
  /** Bytes of the current staging buffer already in the file (written the ordinary way). */
  private visible = 0;
  private cur = 0;
  /** Direct writes under way, oldest first: the file is complete up to the first one's start. */
  private readonly flights: { start: number; done: boolean }[] = [];
  private error: Error | undefined;
  private fallback = false;

  private constructor(
    private readonly directFd: number,
    private readonly plainFd: number,
    private readonly slots: { buf: Buffer; flight?: Promise<void> }[],
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
    let ok = all !== undefined;
    try {
      ftruncateSync(plainFd, 0);
    } catch {
      ok = false;
    }
    if (ok && all) {
      const slots = Array.from({ length: SLOTS }, (_, i) => ({ buf: all.subarray(i * STAGING, (i + 1) * STAGING) }));
      return new DirectAppender(fd, plainFd, slots);
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
    const end = this.base + this.fill;
    return end - (this.flights.length > 0 ? this.flights[0]!.start : this.base + this.visible);
  }

  /** Bytes already written at the start of the file by the caller (the header): kept in staging
   *  so the first direct write covers them too. */
  adopt(head: Buffer): void {
    head.copy(this.slots[0]!.buf, 0);
    this.fill = this.visible = head.length;
  }

  /** Append `views`. A full staging buffer is sent to the disk and the next one filled meanwhile;
   *  waits only when every staging buffer is still being written. Rejects on an I/O error. */
  async append(views: Buffer[]): Promise<void> {
    this.check();
    for (const v of views) {
      let from = 0;
      while (from < v.length) {
        const n = Math.min(v.length - from, STAGING - this.fill);
        v.copy(this.slots[this.cur]!.buf, this.fill, from, from + n);
        this.fill += n;
        from += n;
        if (this.fill === STAGING) await this.launch();
      }
    }
  }

  /** Make every appended byte visible in the file. Rejects on an I/O error. */
  async flushTail(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.flight));
    this.check();
    if (this.fill === this.visible) return;
    await writeFully(this.plainFd, this.slots[this.cur]!.buf, this.visible, this.fill, this.base);
    this.visible = this.fill;
  }

  /** Close the direct descriptor once no write uses it (a write still queued for the thread pool
   *  would otherwise go to whatever file gets the descriptor's number next). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.flight));
    try {
      closeSync(this.directFd);
    } catch {
      // nothing to do
    }
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  /** Start writing the full current staging buffer; move on to the next one. */
  private async launch(): Promise<void> {
    const slot = this.slots[this.cur]!;
    const flight = { start: this.base + this.visible, done: false };
    this.flights.push(flight);
    slot.flight = this.writeBlock(slot.buf, this.base, this.visible).then(
      () => this.land(flight),
      (e: Error) => {
        this.error ??= e;
        this.land(flight);
      },
    );
    this.cur = (this.cur + 1) % this.slots.length;
    this.base += STAGING;
    this.fill = this.visible = 0;
    await this.slots[this.cur]!.flight;
    this.check();
  }

  private land(flight: { done: boolean }): void {
    flight.done = true;
    while (this.flights.length > 0 && this.flights[0]!.done) this.flights.shift();
  }

  private async writeBlock(buf: Buffer, base: number, visible: number): Promise<void> {
    if (!this.fallback) {
      try {
        await writeFully(this.directFd, buf, 0, STAGING, base);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.fallback = true;
      }
    }
    await writeFully(this.plainFd, buf, visible, STAGING, base);
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

/** Write buf[from, to) to the file where buf[0] belongs at `base`. */
async function writeFully(fd: number, buf: Buffer, from: number, to: number, base: number): Promise<void> {
  let pos = base + from;
  while (from < to) {
    const { bytesWritten } = await writeAsync(fd, buf, from, to - from, pos);
    if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
    from += bytesWritten;
    pos += bytesWritten;
  }
}

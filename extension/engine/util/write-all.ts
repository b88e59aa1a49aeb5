// Writing every byte of a list of buffers, whatever the kernel takes per call.
import { writev } from 'node:fs';
import { promisify } from 'node:util';

const writevAsync = promisify(writev);

/**
 * Write `bufs` one after the other to `fd` from file offset `pos`, or at the descriptor's own
 * position when `pos` is null (a FIFO works too); a short write is continued where it stopped.
 * Rejects on an I/O error or when the kernel takes no bytes.
 */
export async function writeAll(fd: number, bufs: Buffer[], pos: number | null): Promise<void> {
  let list = bufs.filter((b) => b.length > 0);
  while (list.length > 0) {
    let total = 0;
    for (const b of list) total += b.length;
    const { bytesWritten } = await writevAsync(fd, list, pos ?? undefined);
    if (bytesWritten === total) return;
    if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
    if (pos !== null) pos += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    list = rest;
  }
}

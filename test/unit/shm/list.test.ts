// Which shared mappings `shm list` shows as channels between processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChannel, isSharedMapping, parseMaps, type SharedMapping } from '../../../extension/engine/shm/list';

// A /proc/PID/maps excerpt: a memfd region written by the process, an mmap'd file it writes, a
// locale archive mapped read-only, and an io_uring ring.
const MAPS = [
  '7f9ffd508000-7f9ffd608000 rw-s 00000000 00:01 19573                      /memfd:shared-memory-region (deleted)',
  '7f00000a0000-7f00000b0000 rw-s 00000000 08:01 4242                       /var/lib/app/ring.buf',
  '7f0000100000-7f0000200000 r--s 00000000 08:01 777                        /usr/lib/locale/locale-archive',
  '7f72f4468000-7f72f446c000 rw-s 00000000 00:0e 153746                     anon_inode:[io_uring]',
].join('\n');

test('shm list: memfd and mmap files written by a process are channels; read-only files and io_uring rings are not', () => {
  const entries = parseMaps(MAPS).filter(isSharedMapping);
  assert.equal(entries.length, 4);
  const shown = entries
    .map((e): SharedMapping => ({
      path: e.path,
      inode: e.inode,
      dev: e.dev,
      deleted: false,
      attached: [{ pid: 1, name: 'p', address: '0x0', end: '0x0', perms: e.perms, offset: e.offset }],
    }))
    .filter(isChannel)
    .map((m) => m.path);
  assert.deepEqual(shown, ['/memfd:shared-memory-region (deleted)', '/var/lib/app/ring.buf']);
});

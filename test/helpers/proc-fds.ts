// Who has a file open, from /proc/*/fd (for tests that prove nothing is left behind).
import { readdirSync, readlinkSync } from 'node:fs';

/** The links of `pid`'s descriptors that match `re`. */
export function fdLinks(pid: number, re: RegExp): string[] {
  const out: string[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (re.test(l)) out.push(l);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Pids with a descriptor whose link is exactly `link`. */
export function holdersOf(link: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => fdLinks(pid, /./).includes(link));
}

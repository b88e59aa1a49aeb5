// `${tap:NAME}` variables in launch configurations: which taps a string refers to, and their
// expansion to the tap's address once it is ready.
import { UserError } from '../engine';
import type { LaunchProcess } from '../shared/requests';

const TAP_VAR = /\$\{tap:([^}]+)\}/g;

/** Names referenced by `${tap:NAME}` in any string of the process. */
export function tapRefs(p: LaunchProcess | string): string[] {
  const texts = typeof p === 'string' ? [p] : [p.command, ...(p.args ?? []), p.cwd ?? '', ...Object.values(p.env ?? {})];
  const out = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(TAP_VAR)) out.add(m[1]!.trim());
  return [...out];
}

/** Address as a client would use it: "/path/app.sock" or "127.0.0.1:7000" (no kind prefix). */
export function clientAddress(address: string): string {
  return address.replace(/^(unix|tcp|fifo):/, '');
}

export function expandTapVars(text: string, addresses: ReadonlyMap<string, string>): string {
  return text.replace(TAP_VAR, (_m, name: string) => {
    const a = addresses.get(name.trim());
    if (a === undefined) {
      const known = [...addresses.keys()];
      throw new UserError(`\${tap:${name}} refers to no tap named "${name}"` + (known.length ? ` (taps: ${known.join(', ')})` : ' (this configuration names no taps)'));
    }
    return a;
  });
}

export function expandProcess(p: LaunchProcess, addresses: ReadonlyMap<string, string>): LaunchProcess {
  const x = (s: string) => expandTapVars(s, addresses);
  return {
    ...p,
    command: x(p.command),
    args: (p.args ?? []).map(x),
    cwd: p.cwd === undefined ? undefined : x(p.cwd),
    env: p.env ? Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, x(v)])) : undefined,
  };
}

/** Split a typed command line into words: quotes ('..' and "..") and backslash escapes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (quote) throw new UserError(`unclosed ${quote} in the command line`);
  if (has || cur) out.push(cur);
  return out;
}

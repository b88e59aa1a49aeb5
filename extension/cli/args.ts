// Command-line parsing for ipctap: small, strict, with clear errors (exit code 1).
import { UserError } from '../engine';

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** Takes a value. */
  value?: boolean;
  /** May be given several times (values collected in an array). */
  multiple?: boolean;
}

export interface Parsed {
  opts: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
  /** Everything after `--` (or, with stopAtPositional, from the first positional on). */
  rest: string[];
}

export function usageError(message: string): UserError {
  return new UserError(message, 1);
}

/**
 * Parse argv against the option specs. Unknown options are errors. With `stopAtPositional`,
 * the first positional and everything after it go to `rest` (for `run CMD ARGS...`).
 */
export function parseArgs(argv: string[], specs: OptionSpec[], command: string, stopAtPositional = false): Parsed {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const opts: Parsed['opts'] = {};
  const positionals: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      let name: string;
      let inline: string | undefined;
      let spec: OptionSpec | undefined;
      if (a.startsWith('--')) {
        const eq = a.indexOf('=');
        name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
        inline = eq >= 0 ? a.slice(eq + 1) : undefined;
        spec = byLong.get(name);
      } else {
        name = a.slice(1, 2);
        inline = a.length > 2 ? a.slice(2) : undefined;
        spec = byShort.get(name);
      }
      if (!spec) throw usageError(`unknown option ${a} for 'ipctap ${command}' (see 'ipctap help ${command}')`);
      let val: string | boolean = true;
      if (spec.value) {
        if (inline !== undefined) val = inline;
        else if (i + 1 < argv.length) val = argv[++i]!;
        else throw usageError(`option --${spec.name} needs a value`);
      } else if (inline !== undefined) {
        throw usageError(`option --${spec.name} takes no value`);
      }
      if (spec.multiple) {
        const list = (opts[spec.name] as string[] | undefined) ?? [];
        list.push(String(val));
        opts[spec.name] = list;
      } else {
        opts[spec.name] = val;
      }
      continue;
    }
    if (stopAtPositional) {
      rest = argv.slice(i);
      break;
    }
    positionals.push(a);
  }
  return { opts, positionals, rest };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.opts[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.opts[name];
  return Array.isArray(v) ? v : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.opts[name] === true;
}

export function intOpt(p: Parsed, name: string, fallback: number): number {
  const v = str(p, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw usageError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

/** `--decode PROTO` and `--decode PROTO@TAPSPEC` → default decoder and per-tap overrides. */
export function decodeChoice(values: string[]): { decode?: string; decodeByTap: Record<string, string> } {
  let decode: string | undefined;
  const decodeByTap: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('@');
    if (at < 0) {
      decode = v;
    } else {
      const proto = v.slice(0, at);
      const tap = v.slice(at + 1);
      if (!proto || !tap) throw usageError(`--decode ${v}: expected PROTO or PROTO@TAPSPEC`);
      decodeByTap[tap] = proto;
    }
  }
  return { decode, decodeByTap };
}

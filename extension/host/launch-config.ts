// .vscode/ipctap.json: launch configurations (JSON with comments; schema in
// schema/ipctap.schema.json). Pure parsing and variable expansion, no 'vscode' import, so it is
// unit-tested in Node. `${tap:NAME}` is left for the engine, which knows the tap addresses.
import { isAbsolute, resolve } from 'node:path';
import type { LaunchProcess, SessionStartParams, TapDef } from '../shared/requests';

export interface RawProcess {
  name?: string;
  command: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  delayMs?: number;
}

export interface RawConfiguration extends Partial<RawProcess> {
  name: string;
  decode?: string;
  taps?: (string | TapDef)[];
  processes?: RawProcess[];
  capture?: string;
  lossless?: boolean;
  directIo?: boolean;
  trace?: boolean;
  traceFiles?: boolean;
  traceAllCpus?: boolean;
  /** .proto files, relative to the workspace folder or absolute. */
  proto?: string[];
  /** The message type of protobuf frames, e.g. "pkg.Msg". */
  protoType?: string;
}

export interface ConfigFile {
  version?: number;
  configurations: RawConfiguration[];
}

export class ConfigError extends Error {}

/** JSON with // and /* comments and trailing commas. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // Trailing commas before } or ] (outside strings: strings were copied verbatim above, but a
  // string containing ",}" is rare enough; guard by only touching commas followed by whitespace).
  out = out.replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(out);
}

export function readConfigFile(text: string, file = '.vscode/ipctap.json'): ConfigFile {
  let data: unknown;
  try {
    data = parseJsonc(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cfgs = (data as { configurations?: unknown })?.configurations;
  if (!Array.isArray(cfgs)) throw new ConfigError(`${file}: expected an object with "configurations": [...]`);
  cfgs.forEach((c: unknown, i) => {
    const cfg = c as RawConfiguration;
    if (!cfg || typeof cfg.name !== 'string') throw new ConfigError(`${file}: configuration ${i + 1} has no "name"`);
    if (!cfg.command && !(cfg.processes && cfg.processes.length) && !(cfg.taps && cfg.taps.length)) {
      throw new ConfigError(`${file}: configuration "${cfg.name}" has no "command", "processes" or "taps"`);
    }
    if (cfg.proto !== undefined && !(Array.isArray(cfg.proto) && cfg.proto.every((f) => typeof f === 'string'))) {
      throw new ConfigError(`${file}: "proto" of "${cfg.name}" must be a list of .proto file paths`);
    }
    if (cfg.protoType !== undefined && typeof cfg.protoType !== 'string')
      throw new ConfigError(`${file}: "protoType" of "${cfg.name}" must be a message type name, e.g. "pkg.Msg"`);
    for (const p of cfg.processes ?? []) {
      if (!p || typeof p.command !== 'string') throw new ConfigError(`${file}: a process of "${cfg.name}" has no "command"`);
    }
  });
  return data as ConfigFile;
}

export interface ExpandContext {
  workspaceFolder: string;
  env: Record<string, string | undefined>;
}

/** ${workspaceFolder}, ${workspaceFolderBasename}, ${env:NAME}, ${userHome}; ${tap:...} untouched. */
export function expandVars(text: string, ctx: ExpandContext): string {
  return text.replace(/\$\{([^}]+)\}/g, (m, name: string) => {
    if (name === 'workspaceFolder') return ctx.workspaceFolder;
    if (name === 'workspaceFolderBasename') return ctx.workspaceFolder.split(/[\\/]/).filter(Boolean).pop() ?? '';
    if (name === 'userHome') return ctx.env.HOME ?? '';
    if (name.startsWith('env:')) return ctx.env[name.slice(4)] ?? '';
    return m;
  });
}

function expandProcess(p: RawProcess, ctx: ExpandContext): LaunchProcess {
  const x = (s: string) => expandVars(s, ctx);
  return {
    name: p.name,
    command: x(p.command),
    args: (p.args ?? []).map((a) => x(String(a))),
    cwd: x(p.cwd ?? '${workspaceFolder}'),
    env: p.env ? Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, x(String(v))])) : undefined,
    delayMs: p.delayMs,
  };
}

/** A configuration → the session/start request. */
export function toStartParams(cfg: RawConfiguration, ctx: ExpandContext): SessionStartParams {
  const single: RawProcess[] = cfg.command ? [{ command: cfg.command, args: cfg.args, cwd: cfg.cwd, env: cfg.env }] : [];
  const processes = [...single, ...(cfg.processes ?? [])];
  const taps: TapDef[] = (cfg.taps ?? []).map((t) => (typeof t === 'string' ? { spec: expandVars(t, ctx) } : { ...t, spec: expandVars(t.spec, ctx) }));
  return {
    name: cfg.name,
    decode: cfg.decode,
    taps,
    processes: processes.map((p) => expandProcess(p, ctx)),
    capturePath: cfg.capture ? expandVars(cfg.capture, ctx) : undefined,
    ...(cfg.lossless ? { lossless: true } : {}),
    ...(cfg.trace ? { trace: true, ...(cfg.traceFiles ? { traceFiles: true } : {}), ...(cfg.traceAllCpus ? { traceAllCpus: true } : {}) } : {}),
    ...(cfg.directIo === false ? { directIo: false } : {}),
    ...(cfg.proto?.length ? { protoFiles: protoPaths(cfg.proto, ctx) } : {}),
    ...(cfg.protoType ? { protoType: cfg.protoType } : {}),
  };
}

/** .proto paths as the engine takes them: variables expanded, relative ones resolved against the
 *  workspace folder. */
export function protoPaths(files: readonly string[], ctx: ExpandContext): string[] {
  return files.map((f) => {
    const x = expandVars(f, ctx);
    return isAbsolute(x) ? x : resolve(ctx.workspaceFolder, x);
  });
}

/** Request params with the setting ipctap.protoFiles added before their own .proto files (once
 *  each): every session and opened capture decodes with them. */
export function withProtoSetting<T extends object>(params: T, setting: unknown, ctx: ExpandContext): T {
  const given = Array.isArray(setting) ? setting.filter((f): f is string => typeof f === 'string' && f.trim() !== '') : [];
  if (given.length === 0) return params;
  const files = [...new Set([...protoPaths(given, ctx), ...((params as { protoFiles?: string[] }).protoFiles ?? [])])];
  return { ...params, protoFiles: files };
}

// Schema-based protobuf decoding with protobufjs, given .proto files.
// decoded = the message as an object: field names as written in the .proto, every field present
// (defaults included), enums by name, bytes as base64, 64-bit integers exact (bigint past 2^53).
import protobuf from 'protobufjs';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors';

const roots = new Map<string, protobuf.Root>();
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Load .proto files once (cached by path list and the files' modification times and sizes, so
 *  a file edited since is read again — by the engine server, which outlives sessions; files they
 *  import are not looked at). Throws UserError naming the file that cannot be loaded (missing,
 *  unreadable, or not parsable: the parser's complaint with its line). */
export function loadProtoRoot(files: string[]): protobuf.Root {
  const paths = files.map((f) => resolve(f));
  const stamps = paths.map((path, i) => {
    try {
      const st = statSync(path);
      return `${path}\0${st.mtimeMs}\0${st.size}`;
    } catch {
      throw new UserError(`cannot load .proto file ${files[i]}: no such file`);
    }
  });
  const key = stamps.join('\n');
  let root = roots.get(key);
  if (root) return root;
  root = new protobuf.Root();
  // The file being read when the parser complains: a given one, or one it imports.
  let current = '';
  const resolvePath = root.resolvePath.bind(root);
  root.resolvePath = (origin, target) => {
    const path = resolvePath(origin, target);
    if (path) current = path;
    return path;
  };
  for (const [i, path] of paths.entries()) {
    current = path;
    try {
      root.loadSync(path, { keepCase: true });
    } catch (err) {
      const imported = current !== path ? ` (imported by ${files[i]})` : '';
      throw new UserError(`cannot load .proto file ${current === path ? files[i] : current}${imported}: ${protoProblem(err)}`);
    }
  }
  try {
    root.resolveAll();
  } catch (err) {
    throw new UserError(`cannot load .proto files (${files.join(', ')}): ${protoProblem(err)}`);
  }
  roots.set(key, root);
  return root;
}

/** The parser's complaint in printable text: a binary file's bytes are not echoed, and the
 *  parser's internal failures on a file that ends early read as what they are. */
function protoProblem(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return 'no such file';
  if (err instanceof TypeError) return 'the file ends early or is not a .proto file (the parser stopped inside a definition)';

  const printable = msg.replace(/[^\x20-\x7e]/g, '?');
  // (bytes that are not text: a binary file, not a .proto with a typo)
  return /illegal token/.test(msg) && printable !== msg ? `not a .proto file: ${printable.slice(0, 200)}` : printable.slice(0, 500);
}

/** Types found by name, per root (protobufjs walks its namespaces on every lookup). */
const typeCache = new WeakMap<protobuf.Root, Map<string, protobuf.Type>>();

/** A message type by full name, e.g. "pkg.Msg". Throws UserError naming the known types (and
 *  `files`, the .proto files the root was loaded from, when given). */
export function lookupMessageType(root: protobuf.Root, name: string, files?: readonly string[]): protobuf.Type {
  let types = typeCache.get(root);
  if (!types) typeCache.set(root, (types = new Map()));
  const known = types.get(name);
  if (known) return known;
  try {
    const type = root.lookupType(name.replace(/^\./, ''));
    types.set(name, type);
    return type;
  } catch {
    const known = messageTypeNames(root).slice(0, 30).join(', ');
    const where = files?.length ? ` (${files.join(', ')})` : '';
    throw new UserError(`no message type "${name}" in the .proto files${where}; known types: ${known || '(none)'}`);
  }
}

/** Request and response type names of a gRPC method path "/pkg.Svc/Method", or undefined. */
export function lookupMethod(root: protobuf.Root, path: string): { requestType: string; responseType: string } | undefined {
  const m = /^\/?([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  try {
    const svc = root.lookupService(m[1]);
    const method = svc.methods[m[2]];
    if (!method) return undefined;
    method.resolve();
    return { requestType: typeName(method.resolvedRequestType), responseType: typeName(method.resolvedResponseType) };
  } catch {
    return undefined;
  }
}

function typeName(t: protobuf.Type | null): string {
  return t ? t.fullName.replace(/^\./, '') : '';
}

/** Every message type the root defines (nested ones too), by full name, sorted. */
export function messageTypeNames(root: protobuf.Root): string[] {
  return listTypes(root).sort();
}

function listTypes(ns: protobuf.NamespaceBase, out: string[] = []): string[] {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) out.push(obj.fullName.replace(/^\./, ''));
    if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) listTypes(obj, out);
  }
  return out;
}

/** Decode `bytes` as `type`; throws when they do not match it. */
export function decodeWithType(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const msg = type.decode(bytes);
  const obj = type.toObject(msg, { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true, oneofs: true });
  return exactLongs(type, obj);
}

const INTEGER = /^-?\d+$/;

function exactInt(s: unknown): unknown {
  if (typeof s !== 'string' || !INTEGER.test(s)) return s;
  if (s.length <= 15) return Number(s) || 0; // at most 15 digits: exact as a double (0, not -0, for "-0")
  const b = BigInt(s);
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/** Fields in declaration order, 64-bit integers exact, nested messages likewise. */
function exactLongs(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!(field.name in obj)) continue;
    const v = obj[field.name];
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const long = LONG_TYPES.has(field.type);
    if ((!sub && !long) || v === undefined || v === null) {
      out[field.name] = v;
      continue;
    }
    const one = (x: unknown): unknown => (sub ? exactLongs(sub, x as Record<string, unknown>) : exactInt(x));
    if (field.map) {
      const m = v as Record<string, unknown>;
      for (const k of Object.keys(m)) m[k] = one(m[k]);
      out[field.name] = m;
    } else if (field.repeated && Array.isArray(v)) {
      out[field.name] = v.map(one);
    } else out[field.name] = one(v);
  }
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k]; // oneof names
  return out;
}

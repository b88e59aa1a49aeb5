// The decoder registry: every decoder module is listed in ./all.ts; names are resolved here.
// Names: a registered name ("lines", "gob"), "auto", or layered "OUTER+INNER" (e.g.
// "len32be+msgpack": the outer framing's payloads are decoded by the inner decoder; see
// ./layered.ts). INNER may itself be layered or auto ("a+b+c" is a+(b+c)).
import { UserError } from '../../util/errors';
import { ALL_DECODERS } from './all';
import { autoDecoder } from './auto';
import type { DecoderInfo, DecoderOptions } from './decoder';
import { layeredDecoder } from './layered';
import { shmDecoder } from '../shm';

const byName = new Map<string, DecoderInfo>();
let loaded = false;

function ensureLoaded(): void {
  if (loaded) return;
  loaded = true;
  for (const d of [...ALL_DECODERS, shmDecoder(resolveDecoder)]) if (!byName.has(d.name)) byName.set(d.name, d);
}

/** Add a decoder (or replace one of the same name). ALL_DECODERS and shm are registered on first use. */
export function registerDecoder(info: DecoderInfo): void {
  ensureLoaded();
  byName.set(info.name, info);
}

export function getDecoder(name: string): DecoderInfo | undefined {
  ensureLoaded();
  return name === 'auto' ? AUTO : byName.get(name);
}

/** Every registered decoder, then `auto` (for `ipctap decoders` and the UI). */
export function listDecoders(): DecoderInfo[] {
  ensureLoaded();
  return [...byName.values(), AUTO];
}

const AUTO: DecoderInfo = autoDecoder(() => {
  ensureLoaded();
  return [...byName.values()];
});

/**
 * A decoder by name: plain, "auto", or "OUTER+INNER". Throws UserError (exit code 1) naming the
 * available decoders when a name is unknown. With `options`, the decoder is created once to
 * check them (e.g. protobuf's .proto files) and the returned info applies them by default
 * (options given to create() override them key by key).
 */
export function resolveDecoder(name: string, options?: DecoderOptions): DecoderInfo {
  const info = resolveName(name.trim());
  if (!options) return info;
  info.create(options); // throws UserError for bad options
  return {
    ...info,
    create: (o?: DecoderOptions) => info.create(o ? { ...options, ...o } : options),
  };
}

function resolveName(name: string): DecoderInfo {
  const plus = name.indexOf('+');
  if (plus >= 0) {
    const outerName = name.slice(0, plus).trim();
    const innerName = name.slice(plus + 1).trim();
    if (!outerName || !innerName) throw new UserError(`bad layered decoder "${name}": use OUTER+INNER, e.g. len32be+msgpack`, 1);
    if (outerName === 'auto') throw new UserError(`"auto" cannot be the outer decoder of "${name}"`, 1);
    const outer = resolveName(outerName);
    const inner = resolveName(innerName);
    return layeredDecoder(`${outer.name}+${inner.name}`, outer, inner);
  }
  const info = getDecoder(name);
  if (!info) {
    const names = listDecoders()
      .map((d) => d.name)
      .join(', ');
    throw new UserError(`unknown decoder "${name}"; available: ${names} (layer with OUTER+INNER, e.g. len32be+msgpack)`, 1);
  }
  return info;
}

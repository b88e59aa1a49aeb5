// Which decoder a session's taps use, as Decode As… changes it: one choice for a tap, or one for
// every tap without its own. The engine decodes a capture read again with it, and the extension
// host reopens a session with it after an engine restart.

export interface DecodeChoice {
  /** For every tap without its own (default: the capture's, else auto). */
  decode?: string;
  /** Tap spec → decoder. */
  decodeByTap?: Record<string, string>;
}

/** `choice` after Decode As… `decoder` for `tap` (undefined: every tap without its own choice). */
export function withDecodeAs(choice: DecodeChoice, tap: string | undefined, decoder: string): DecodeChoice {
  if (tap === undefined) return { ...choice, decode: decoder };
  return { ...choice, decodeByTap: { ...choice.decodeByTap, [tap]: decoder } };
}

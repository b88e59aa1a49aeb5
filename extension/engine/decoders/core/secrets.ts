// Credentials seen on the wire are masked in what decoders show (decoded values, summaries), so a
// capture shown on screen, pasted in an issue or piped as JSON Lines does not leak them. The raw
// bytes (frame data, hex, the capture file) stay as they were sent: they are the capture.
// DecoderOptions.showSecrets (CLI --show-secrets, VS Code setting ipctap.showSecrets) reveals them.
//
// What counts as a secret:
// - ZMTP PLAIN HELLO: username and password;
// - HTTP/2 (and so gRPC) header fields named authorization, proxy-authorization, cookie or
//   set-cookie, and any header or gRPC metadata key (text or -bin) with one of the words auth,
//   token, secret, password, passwd, apikey/api-key, credential(s), session or cookie in its name
//   (as a whole dash-, underscore- or dot-separated word: x-auth-token, x-api-key,
//   session-id-bin; not :authority). Other -bin metadata (traces, status details) stays visible.
import type { DecoderOptions } from './decoder';

/** Whether decoders should show secrets as sent. */
export function showSecrets(options?: DecoderOptions): boolean {
  return options?.showSecrets === true;
}

/** What a secret of `bytes` bytes is shown as. */
export function masked(bytes: number): string {
  return `•••• (${bytes} byte${bytes === 1 ? '' : 's'})`;
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SECRET_WORD = /(?:^|[-_.])(?:auth|token|secret|password|passwd|apikey|api[-_]key|credentials?|session|cookie)(?:[-_.]|$)/;

/** Whether an HTTP/2 header field or gRPC metadata key carries a credential. */
export function isSecretHeader(name: string): boolean {
  const n = name.toLowerCase();
  if (n.startsWith(':')) return false;
  if (SECRET_HEADERS.has(n)) return true;
  return SECRET_WORD.test(n.endsWith('-bin') ? n.slice(0, -4) : n);
}

/** The header list with secret values masked; the same array when nothing is secret. */
export function maskHeaders<T extends [string, string]>(headers: T[]): { headers: T[]; masked: string[] } {
  let out: T[] | undefined;
  const names: string[] = [];
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i];
    if (!isSecretHeader(name)) continue;
    out ??= headers.slice();
    out[i] = [name, masked(Buffer.byteLength(value))] as T;
    if (!names.includes(name)) names.push(name);
  }
  return { headers: out ?? headers, masked: names };
}

// ipctap run / ipctap proxy
import { resolve } from 'node:path';
import { signalExitStatus, parseTapSpec, openCapture, checkProtoOptions, UserError, type DecoderOptions, type ProtoOptionNames } from '../../engine';
import { decodeChoice, flag, list, parseArgs, str, usageError, type OptionSpec } from '../args';
import { LiveSession } from '../live';

/** Options of every command that taps and captures (run, proxy, attach --tap). */
export const COMMON: OptionSpec[] = [
  { name: 'tap', short: 't', value: true, multiple: true },
  { name: 'write', short: 'w', value: true },
  { name: 'checksum-data' },
  { name: 'lossless' },
  { name: 'no-direct-io' },
  { name: 'decode', short: 'd', value: true, multiple: true },
  { name: 'proto', value: true, multiple: true },
  { name: 'proto-type', value: true },
  { name: 'show-secrets' },
  { name: 'json' },
  { name: 'quiet', short: 'q' },
  { name: 'stats' },
];

/** --trace and the options that go with it (run and attach). */
export const TRACE: OptionSpec[] = [{ name: 'trace' }, { name: 'trace-files' }, { name: 'trace-all-cpus' }];

/** The trace tap's options from --trace-files and --trace-all-cpus, which need --trace. */
export function traceOptions(p: ReturnType<typeof parseArgs>): { traceFiles: boolean; allCpus: boolean } {
  for (const f of ['trace-files', 'trace-all-cpus']) if (flag(p, f) && !flag(p, 'trace')) throw usageError(`--${f} goes with --trace`);
  return { traceFiles: flag(p, 'trace-files'), allCpus: flag(p, 'trace-all-cpus') };
}

const RUN: OptionSpec[] = [
  ...COMMON,
  { name: 'show-stdio' },
  { name: 'cwd', value: true },
  { name: 'env', short: 'e', value: true, multiple: true },
  { name: 'group' },
  { name: 'no-stdin' },
  ...TRACE,
];

/** What the command line calls the .proto options, in their errors. */
const PROTO_NAMES: ProtoOptionNames = { files: '--proto FILE', type: '--proto-type' };

/** Decoder options from the command line: --proto FILE... and --proto-type pkg.Msg (protobuf,
 *  and gRPC's methods), and --show-secrets (where the command has it). */
export function protoOptions(p: ReturnType<typeof parseArgs>): { decoderOptions?: DecoderOptions } {
  const files = list(p, 'proto').map((f) => resolve(f));
  const type = str(p, 'proto-type');
  const reveal = flag(p, 'show-secrets');
  if (files.length === 0 && type === undefined && !reveal) return {};
  // Checked now, whichever decoder is chosen: a missing or bad file, or a type they do not define,
  // is an error (naming them) before anything starts. The protobuf decoder is schema-less
  // without a type; asked for by name, it needs one.
  checkProtoOptions(
    files,
    type,
    PROTO_NAMES,
    list(p, 'decode').some((d) => /(^|\+)protobuf(@|$)/.test(d)),
  );
  const options: DecoderOptions = {};
  if (files.length) Object.assign(options, { protoFiles: files, ...(type !== undefined ? { protoType: type } : {}) });
  if (reveal) options.showSecrets = true;
  return { decoderOptions: options };
}

/** Every --decode PROTO@TAP must name a tap of this command. */
function checkDecodeTaps(byTap: Record<string, string>, specs: string[], stdio: boolean): void {
  const known = new Set(specs.map((s) => parseTapSpec(s).spec));
  if (stdio) known.add('stdio');
  for (const tap of Object.keys(byTap)) {
    if (!known.has(tap)) throw new UserError(`--decode ${byTap[tap]}@${tap}: this command has no tap ${tap} (taps: ${[...known].join(', ') || 'none'})`);
  }
}

/** --decode values with their tap part canonicalised like the tap's own name. */
export function decodeOptions(values: string[]): { decode?: string; decodeByTap: Record<string, string> } {
  const choice = decodeChoice(values);
  const byTap: Record<string, string> = {};
  for (const [tap, proto] of Object.entries(choice.decodeByTap)) {
    byTap[tap === 'stdio' || tap === 'trace' ? tap : parseTapSpec(tap).spec] = proto;
  }
  return { decode: choice.decode, decodeByTap: byTap };
}

/** How to decode a capture again: as it was captured (its header), with `--decode` given on
 *  the command line winning (for every tap, or for the taps it names). */
export async function captureDecodeOptions(file: string, values: string[]): Promise<{ decode: string; decodeByTap: Record<string, string> }> {
  const reader = await openCapture(file);
  const header = reader.header as { decode?: string; decodeByTap?: Record<string, string> };
  await reader.close?.();
  const given = decodeOptions(values);
  return { decode: given.decode ?? header.decode ?? 'auto', decodeByTap: { ...(header.decodeByTap ?? {}), ...given.decodeByTap } };
}

export function liveOptions(p: ReturnType<typeof parseArgs>, textOut: NodeJS.WritableStream) {
  const write = str(p, 'write');
  if (flag(p, 'lossless') && !write) throw usageError('--lossless needs a capture file (-w FILE): it makes forwarding wait for the file instead of dropping data');
  if (flag(p, 'no-direct-io') && !write) throw usageError('--no-direct-io needs a capture file (-w FILE): it says how the file is written');
  return {
    ...decodeOptions(list(p, 'decode')),
    ...protoOptions(p),
    capturePath: write ? resolve(write) : undefined,
    checksumData: flag(p, 'checksum-data'),
    lossless: flag(p, 'lossless'),
    directIo: !flag(p, 'no-direct-io'),
    json: flag(p, 'json'),
    quiet: flag(p, 'quiet'),
    stats: flag(p, 'stats'),
    showStdio: flag(p, 'show-stdio'),
    textOut,
  };
}

/** Start every tap; takeovers wait for their path in the background. Failures stop the session. */
function startTaps(live: LiveSession, specs: string[], abort: AbortController): Promise<void>[] {
  return specs.map((spec) =>
    live.session.addTap(spec, abort.signal).then(
      () => undefined,
      (err: unknown) => {
        if (abort.signal.aborted) return;
        throw err;
      },
    ),
  );
}

export async function runCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN, 'run', true);
  const command = p.rest;
  if (command.length === 0) throw usageError('ipctap run needs a command: ipctap run [options] -- COMMAND [ARGS...]');
  const specs = list(p, 'tap');
  specs.forEach((s) => parseTapSpec(s)); // usage errors before anything starts
  const env: Record<string, string> = {};
  for (const kv of list(p, 'env')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`--env ${kv}: expected NAME=VALUE`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const json = flag(p, 'json');
  const traced = traceOptions(p);
  const opts = liveOptions(p, process.stderr);
  checkDecodeTaps(opts.decodeByTap, specs, true);
  const live = new LiveSession(opts);
  await live.start();
  let trace: Awaited<ReturnType<typeof live.session.addTrace>> | undefined;
  try {
    if (flag(p, 'trace')) trace = await live.session.addTrace(traced);
  } catch (err) {
    await live.stop();
    throw err;
  }
  const abort = new AbortController();
  let failure: unknown;
  let status = 0;
  const tapsReady = startTaps(live, specs, abort).map((t) =>
    t.catch((err: unknown) => {
      failure ??= err;
      void live.stop();
    }),
  );
  try {
    const proc = await live.session.launch(command, {
      cwd: str(p, 'cwd'),
      env: Object.keys(env).length ? env : undefined,
      stdin: flag(p, 'no-stdin') ? 'ignore' : 'pipe',
      stdinFrom: flag(p, 'no-stdin') ? undefined : process.stdin,
      stdout: json ? undefined : process.stdout,
      stderr: json ? undefined : process.stderr,
      detached: flag(p, 'group'),
      trace,
    });
    const stopped = live.stopped;
    const exit = await Promise.race([proc.exited, stopped.then(() => undefined)]);
    if (exit && !json) {
      live.flushRows();
      process.stderr.write(`ipctap: ${command[0]} exited ${exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`}\n`);
    }
    // Like env, time or strace, run ends with the program's own status (also when it was ended
    // because ipctap was stopped), so `ipctap run -w x.ipctap -- ./tests` fails when the tests do.
    if (!exit) await live.stop();
    status = exitStatus(exit ?? (await proc.exited));
  } catch (err) {
    failure ??= err;
  } finally {
    abort.abort();
    await Promise.allSettled(tapsReady);
    await live.stop();
  }
  if (failure) throw failure;
  // A capture that stopped on an I/O error fails the command (2), whatever the program's status.
  return live.captureFailed ? 2 : status;
}

/** A shell-style exit status: the code, or 128 + the signal's number. */
function exitStatus(e: { code: number | null; signal: string | null }): number {
  return e.code ?? (e.signal ? signalExitStatus(e.signal) : 1);
}

export async function proxyCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, COMMON, 'proxy');
  if (p.positionals.length) throw usageError(`unexpected argument '${p.positionals[0]}' (taps are given with --tap SPEC)`);
  const specs = list(p, 'tap');
  if (specs.length === 0) throw usageError('ipctap proxy needs at least one --tap SPEC (see ipctap help proxy)');
  return serveTaps(p, specs);
}

/** Run taps until Ctrl-C / SIGTERM; used by proxy and attach --tap. */
export async function serveTaps(p: ReturnType<typeof parseArgs>, specs: string[], note?: string): Promise<number> {
  specs.forEach((s) => parseTapSpec(s));
  const opts = liveOptions(p, process.stdout);
  checkDecodeTaps(opts.decodeByTap, specs, false);
  const live = new LiveSession(opts);
  await live.start();
  const abort = new AbortController();
  try {
    await Promise.all(startTaps(live, specs, abort));
  } catch (err) {
    abort.abort();
    await live.stop();
    throw err instanceof Error && !(err instanceof UserError) ? new UserError(err.message) : err;
  }
  if (note && !flag(p, 'json')) process.stderr.write(`ipctap: ${note}\n`);
  if (!flag(p, 'json')) process.stderr.write('ipctap: tapping; press Ctrl-C to stop\n');
  await live.stopped;
  return live.captureFailed ? 2 : 0;
}

// ipctap send FILE --frame ID --to ENDPOINT (--value JSON | --value-file FILE | --hex HEX)
// Edit a captured client message and send it: the connection's client frames up to that one are
// sent on a fresh connection (so whatever the protocol sets up first — type definitions, a
// handshake, settings — is there), with the edited bytes in place of the frame's, and the
// server's answers are compared with the original ones.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeEdited, loadEditableFrame, parseJsonExact, parseReplayTarget, sendEdited, toJson, UserError } from '../../engine';
import { flag, intOpt, list, parseArgs, str, usageError } from '../args';
import { LiveSession } from '../live';
import { captureDecodeOptions, protoOptions } from './run';

function loopbackOrTyped(to: ReturnType<typeof parseReplayTarget>): void {
  if (to.kind === 'tcp' && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(to.host)) {
    process.stderr.write(`ipctap: sending to ${to.host}, which is not this machine (as you typed it)\n`);
  }
}

export async function sendCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'frame', value: true },
      { name: 'to', value: true },
      { name: 'value', value: true },
      { name: 'value-file', value: true },
      { name: 'hex', value: true },
      { name: 'timeout', value: true },
      { name: 'decode', short: 'd', value: true, multiple: true },
      { name: 'write', short: 'w', value: true },
      { name: 'json' },
      { name: 'proto', value: true, multiple: true },
      { name: 'proto-type', value: true },
    ],
    'send',
  );
  if (p.positionals.length !== 1) throw usageError('usage: ipctap send FILE --frame ID --to ENDPOINT (--value JSON | --hex HEX)');
  const file = p.positionals[0]!;
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  const frameText = str(p, 'frame');
  if (!frameText || !/^\d+$/.test(frameText)) throw usageError('--frame ID is required (the # of a client frame in ipctap read)');
  const toText = str(p, 'to');
  if (!toText) throw usageError('--to ENDPOINT is required (unix:PATH, tcp:HOST:PORT, fifo:PATH, or exec -- CMD ARGS)');
  const to = parseReplayTarget(toText, p.rest);
  loopbackOrTyped(to);
  const valueFile = str(p, 'value-file');
  const hex = str(p, 'hex');
  if ([str(p, 'value'), valueFile, hex].filter((x) => x !== undefined).length !== 1)
    throw usageError('give the new message as --value JSON (the decoded value, edited), --value-file FILE (that JSON in a file; - for stdin) or --hex HEX (raw bytes)');
  let valueText = str(p, 'value');
  if (valueFile !== undefined) {
    try {
      valueText = readFileSync(valueFile === '-' ? 0 : valueFile, 'utf8');
    } catch (e) {
      throw new UserError(`--value-file ${valueFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const id = Number(frameText);

  const { decode, decodeByTap } = await captureDecodeOptions(file, list(p, 'decode'));
  const { decoderOptions } = protoOptions(p);
  const edit = await loadEditableFrame(file, id, { decode, decodeByTap, decoderOptions });
  const frame = edit.frame;
  let bytes: Uint8Array;
  if (hex !== undefined) {
    const clean = hex.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw usageError('--hex: expected pairs of hex digits');
    bytes = Buffer.from(clean, 'hex');
  } else {
    let value: unknown;
    try {
      value = parseJsonExact(valueText!);
    } catch (e) {
      throw usageError(`${valueFile !== undefined ? '--value-file' : '--value'}: not JSON: ${(e as Error).message}`);
    }
    bytes = encodeEdited(edit, value, { protoFiles: decoderOptions?.protoFiles as string[] | undefined, protoType: decoderOptions?.protoType as string | undefined });
  }

  const write = str(p, 'write');
  const json = flag(p, 'json');
  const live = new LiveSession({
    decode,
    decodeByTap,
    decoderOptions,
    capturePath: write ? resolve(write) : undefined,
    json,
    quiet: true,
    showStdio: true,
    textOut: process.stdout,
  });
  await live.session.start();
  let result;
  try {
    result = await sendEdited({ file, edit, bytes, to, session: live.session, timeoutMs: intOpt(p, 'timeout', 5000), decode, decodeByTap, decoderOptions });
  } finally {
    await live.session.stop();
    live.flushRows();
  }
  const grpc = result.grpc;
  for (const n of result.notes) process.stderr.write(`ipctap: ${n}\n`);
  // (Whitespace a server writes between messages — Go's JSON encoder ends each with a newline —
  // is not an answer.)
  const blank = (r: { data: Uint8Array } | undefined) => r !== undefined && Buffer.from(r.data).toString('latin1').trim() === '';
  const comparisons = result.comparisons.filter((c) => !(c.result === 'extra' && blank(c.replayed)));
  const changed = comparisons.filter((c) => c.result !== 'same');
  if (json) {
    process.stdout.write(
      toJson({
        type: 'send-result',
        frame: id,
        sent: result.sent,
        total: result.total,
        editedSent: result.editedSent,
        bytes: Buffer.from(bytes).toString('base64'),
        responses: comparisons.map((c) => ({
          result: c.result,
          original: c.original ? { id: c.original.id, summary: c.original.summary, decoded: c.original.decoded ?? null } : null,
          now: c.replayed ? { summary: c.replayed.summary, decoded: c.replayed.decoded ?? null } : null,
        })),
      }) + '\n',
    );
  } else {
    if (!result.editedSent)
      process.stdout.write(
        grpc
          ? `#${id} edited not sent: the new call on a fresh HTTP/2 connection stopped after ${result.sent} of its ${result.total} request messages\n`
          : `#${id} edited not sent: the fresh connection stopped after ${result.sent} of its ${result.total} client frames\n`,
      );
    else if (grpc)
      process.stdout.write(
        `sent #${id} edited as a new call on a fresh HTTP/2 connection (${bytes.length}-byte message${result.sent > 1 ? `, with the call's other ${result.sent - 1} request message${result.sent === 2 ? '' : 's'} as captured` : ''}${result.total > result.sent ? `; ${result.total - result.sent} not sent` : ''})\n`,
      );
    else process.stdout.write(`sent connection ${frame.conn}'s first ${result.sent} client frame${result.sent === 1 ? '' : 's'}, #${id} edited (${bytes.length} bytes)\n`);
    for (const c of comparisons) {
      if (c.result === 'same') continue;
      process.stdout.write(`  ${c.result}: ${c.original ? `was  ${c.original.summary}` : ''}${c.replayed ? `\n           now  ${c.replayed.summary}` : ''}\n`);
    }
    if (changed.length === 0) process.stdout.write('  every answer the same as the original\n');
  }
  // (a message left unsent, the edited one or one after it in a call, is a difference too: the
  // notes on stderr say why)
  return changed.length || result.sent < result.total ? 3 : 0;
}

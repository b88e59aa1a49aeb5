// ipctap send FILE --frame ID --to ENDPOINT (--edit | --value JSON | --value-file FILE | --hex HEX)
// Edit a captured client message and send it: the connection's client frames up to that one are
// sent on a fresh connection (so whatever the protocol sets up first — type definitions, a
// handshake, settings — is there), with the edited bytes in place of the frame's, and the
// server's answers are compared with the original ones.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { editableText, editedBytes, loadEditableFrame, parseReplayTarget, sendEdited, toJson, UserError } from '../../engine';
import { flag, intOpt, list, parseArgs, str, usageError } from '../args';
import { LiveSession } from '../live';
import { captureDecodeOptions, protoOptions } from './run';

/**
 * `text` opened in the user's editor ($VISUAL, $EDITOR, else vi) as a private temporary file named
 * `name`; what it holds once the editor exits. Like git, a Ctrl-C meanwhile is the editor's (it
 * does not end ipctap and leave the file behind); the file is removed whatever happens.
 */
function editInEditor(text: string, name: string): string {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-edit-'));
  const file = join(dir, name);
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    // The editor talks to the terminal (never into a --json output piped elsewhere); without one,
    // its output goes to stderr.
    let tty: number | undefined;
    try {
      tty = openSync('/dev/tty', 'r+');
    } catch {
      // no controlling terminal
    }
    let r;
    try {
      r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: tty !== undefined ? [tty, tty, tty] : ['inherit', 2, 'inherit'] });
    } finally {
      if (tty !== undefined) closeSync(tty);
    }
    if (r.error) throw new UserError(`cannot run the editor ${editor}: ${r.error.message}`);
    if (r.status !== 0) throw new UserError(`the editor (${editor}) exited with ${r.signal ?? `code ${r.status}`}: nothing sent`, 1);
    const out = readFileSync(file, 'utf8');
    if (!out.trim()) throw new UserError('the edited message is empty: nothing sent', 1);
    return out;
  } finally {
    process.off('SIGINT', ignore);
    rmSync(dir, { recursive: true, force: true });
  }
}

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
      { name: 'edit' },
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
  if (p.positionals.length !== 1) throw usageError('usage: ipctap send FILE --frame ID --to ENDPOINT (--edit | --value JSON | --hex HEX)');
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
  const editing = flag(p, 'edit');
  if ([str(p, 'value'), valueFile, hex, editing || undefined].filter((x) => x !== undefined).length !== 1)
    throw usageError(
      'give the new message as --edit (its decoded value opened in your editor), --value JSON (the decoded value, edited), --value-file FILE (that JSON in a file; - for stdin) or --hex HEX (raw bytes)',
    );
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
  const schema = { protoFiles: decoderOptions?.protoFiles as string[] | undefined, protoType: decoderOptions?.protoType as string | undefined };
  const bytesOf = (given: { hex: string } | { json: string }, what: string): Uint8Array =>
    editedBytes(edit, given, schema, { notHex: `${what}: expected pairs of hex digits`, notJson: (m) => `${what}: not JSON: ${m}`, error: usageError });
  let bytes: Uint8Array;
  if (editing) {
    // The value as JSON where the protocol can be encoded back, else the bytes as hex. An edit
    // that cannot be sent is kept, not lost.
    const { text, encodable } = editableText(edit);
    const name = `frame-${id}.${encodable ? 'json' : 'hex'}`;
    const edited = editInEditor(text, name);
    try {
      bytes = encodable ? bytesOf({ json: edited }, 'the edited value') : bytesOf({ hex: edited }, 'the edited bytes');
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const kept = join(mkdtempSync(join(tmpdir(), 'ipctap-edit-')), name);
      writeFileSync(kept, edited, { mode: 0o600 });
      throw new UserError(`${e.message} (your edit is kept in ${kept}${encodable ? `: send it with --value-file ${kept} once fixed` : ''})`, e.exitCode);
    }
  } else bytes = hex !== undefined ? bytesOf({ hex }, '--hex') : bytesOf({ json: valueText! }, valueFile !== undefined ? '--value-file' : '--value');

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

// ipctap: the headless front end over the engine.
import { version } from '../../package.json';
import { restoreAll, restoreOwnSync, UserError } from '../engine';
import { HELP, MAIN_HELP } from './help';
import { attachCommand } from './commands/attach';
import { decodersCommand } from './commands/decoders';
import { proxyCommand, runCommand } from './commands/run';
import { readCommand } from './commands/read';
import { replayCommand } from './commands/replay';
import { restoreCommand } from './commands/restore';
import { signalCommand } from './commands/signal';
import { shmCommand } from './commands/shm';
import { exportCommand } from './commands/export';
import { diffCommand } from './commands/diff';
import { sendCommand } from './commands/send';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  proxy: proxyCommand,
  attach: attachCommand,
  read: readCommand,
  replay: replayCommand,
  signal: signalCommand,
  restore: restoreCommand,
  decoders: decodersCommand,
  shm: shmCommand,
  export: exportCommand,
  diff: diffCommand,
  send: sendCommand,
};

const VERSION = version;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = cmd === 'help' && rest[0] !== 'help' ? rest[0] : undefined;
    if (topic && !HELP[topic]) throw new UserError(`no such command '${topic}'\n\n${MAIN_HELP}`, 1);
    process.stdout.write((topic ? HELP[topic] : MAIN_HELP) + '\n');
    return cmd ? 0 : 1;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`ipctap ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) throw new UserError(`unknown command '${cmd}' (see 'ipctap help')`, 1);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP[cmd] + '\n');
    return 0;
  }
  if (cmd !== 'restore') await restoreLeftovers();
  return command(rest);
}

/** Put back what a crashed ipctap left renamed; say so on stderr. */
async function restoreLeftovers(): Promise<void> {
  try {
    for (const r of await restoreAll()) {
      if (r.action === 'restored' || r.action === 'removed' || r.action === 'failed') process.stderr.write(`ipctap: ${r.message}\n`);
    }
  } catch (err) {
    process.stderr.write(`ipctap: could not check the takeover journal: ${(err as Error).message}\n`);
  }
}

function fail(err: unknown): number {
  if (err instanceof UserError) {
    process.stderr.write(`ipctap: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`ipctap: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.IPCTAP_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 2;
}

if (require.main === module) {
  // Whatever happens, put back what this process took over.
  process.on('exit', () => {
    try {
      restoreOwnSync();
    } catch {
      /* best effort at exit */
    }
  });
  process.on('uncaughtException', (err) => {
    process.exitCode = fail(err);
    process.exit();
  });
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2)).then(
    // Exit once stdout is flushed: a child's stdin relay or a control socket must not keep us alive.
    (code) => process.stdout.write('', () => process.exit(code)),
    (err) => {
      const code = fail(err);
      process.stdout.write('', () => process.exit(code));
    },
  );
}

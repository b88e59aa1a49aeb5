// Launch and Tap…, Tap Endpoint…, Attach to Process…: each starts a session and opens the panel.
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { splitCommandLine } from '../../server/launch-plan';
import { showEngineError } from '../engine-client';
import { ConfigError, readConfigFile, toStartParams, type RawConfiguration } from '../launch-config';
import type { Services } from '../services';
import { ask, pick, pickMany } from '../ask';

const TAP_HINT = 'unix:/path.sock, unix:LISTEN=TARGET, fifo:/path, tcp:7000=127.0.0.1:1234';

export function validateTapSpec(v: string): string | undefined {
  const t = v.trim();
  if (!t) return undefined;
  for (const spec of t.split(/[\s,]+/)) {
    if (!/^(unix|fifo|tcp):.+/.test(spec)) return `"${spec}" is not a tap: expected ${TAP_HINT}`;
  }
  return undefined;
}

export async function startSession(svc: Services, params: P.SessionStartParams): Promise<P.SessionSummary | undefined> {
  try {
    const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `IPC Tap: starting ${params.name ?? 'session'}…` }, () =>
      svc.engine.request(P.SessionStart, params),
    );
    svc.model.put(s);
    await svc.panels.show(s.id);
    return s;
  } catch (err) {
    showEngineError(err, `starting ${params.name ?? 'the session'}`, svc.output);
    return undefined;
  }
}

interface ConfigSource {
  folder: vscode.WorkspaceFolder;
  uri: vscode.Uri;
  configurations: RawConfiguration[];
}

async function readConfigs(): Promise<ConfigSource[]> {
  const out: ConfigSource[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, '.vscode', 'ipctap.json');
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      continue;
    }
    try {
      out.push({ folder, uri, configurations: readConfigFile(text, vscode.workspace.asRelativePath(uri)).configurations });
    } catch (err) {
      if (err instanceof ConfigError) void vscode.window.showErrorMessage(err.message);
      else throw err;
    }
  }
  return out;
}

function describe(cfg: RawConfiguration): string {
  const procs = [...(cfg.command ? [cfg.command] : []), ...(cfg.processes ?? []).map((p) => p.name ?? p.command)];
  const taps = (cfg.taps ?? []).map((t) => (typeof t === 'string' ? t : (t.name ?? t.spec)));
  return [procs.length ? procs.join(' + ') : '', taps.length ? `taps: ${taps.join(', ')}` : ''].filter(Boolean).join(' · ');
}

type LaunchItem = vscode.QuickPickItem & { run: () => Promise<unknown> };

export async function launchAndTap(svc: Services, configName?: string): Promise<void> {
  const sources = await readConfigs();
  const items: LaunchItem[] = [];
  for (const src of sources) {
    for (const cfg of src.configurations) {
      const run = () => startSession(svc, toStartParams(cfg, { workspaceFolder: src.folder.uri.fsPath, env: process.env as Record<string, string> }));
      if (configName && cfg.name === configName) {
        await run();
        return;
      }
      items.push({ label: cfg.name, description: sources.length > 1 ? src.folder.name : undefined, detail: describe(cfg), run });
    }
  }
  if (configName) {
    void vscode.window.showErrorMessage(`IPC Tap: no configuration named "${configName}" in .vscode/ipctap.json`);
    return;
  }
  if (items.length) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, run: async () => undefined });
  items.push({ label: '$(terminal) Type a command line…', run: () => launchTyped(svc) });
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder) {
    const existing = sources.find((s) => s.folder === folder);
    items.push({
      label: existing ? '$(gear) Edit .vscode/ipctap.json' : '$(new-file) Create .vscode/ipctap.json…',
      run: () => editConfig(folder, !existing),
    });
  }
  const picked = await pick(items, { placeHolder: 'Launch configuration (from .vscode/ipctap.json) or a command line', matchOnDetail: true });
  await picked?.run();
}

async function launchTyped(svc: Services): Promise<void> {
  const line = await ask({
    title: 'IPC Tap: Launch and Tap (1/2)',
    prompt: 'Command line to run (its stdin, stdout and stderr are tapped)',
    placeHolder: './server --listen /tmp/app.sock',
    validateInput: (v) => {
      try {
        return splitCommandLine(v).length ? undefined : 'Type a command';
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
  if (!line) return;
  const taps = await ask({
    title: 'IPC Tap: Launch and Tap (2/2)',
    prompt: `Taps besides stdio, separated by spaces (optional): ${TAP_HINT}`,
    validateInput: validateTapSpec,
  });
  if (taps === undefined) return;
  const [command, ...args] = splitCommandLine(line);
  await startSession(svc, {
    name: command!.split('/').pop(),
    processes: [{ command: command!, args, cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath }],
    taps: taps.trim()
      ? taps
          .trim()
          .split(/[\s,]+/)
          .map((spec) => ({ spec }))
      : [],
  });
}

const TEMPLATE = `{
  // IPC Tap launch configurations: "IPC Tap: Launch and Tap…" lists them.
  // Variables: \${workspaceFolder}, \${env:NAME}, \${tap:NAME} (the address of the tap named NAME).
  "version": 1,
  "configurations": [
    {
      "name": "server and client",
      "taps": [{ "name": "app", "spec": "tcp:0=127.0.0.1:7301" }],
      "processes": [
        { "name": "server", "command": "\${workspaceFolder}/bin/server", "args": ["-listen", "127.0.0.1:7301"] },
        { "name": "client", "command": "\${workspaceFolder}/bin/client", "args": ["-connect", "\${tap:app}"], "delayMs": 300 }
      ]
    }
  ]
}
`;

async function editConfig(folder: vscode.WorkspaceFolder, create: boolean): Promise<void> {
  const uri = vscode.Uri.joinPath(folder.uri, '.vscode', 'ipctap.json');
  if (create) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(TEMPLATE));
  await vscode.window.showTextDocument(uri);
}

export async function tapEndpoint(svc: Services, specArg?: string): Promise<void> {
  const spec =
    specArg ??
    (await ask({
      title: 'IPC Tap: Tap Endpoint',
      prompt: `Take over or proxy an endpoint without launching anything: ${TAP_HINT}`,
      placeHolder: 'unix:/tmp/app.sock',
      validateInput: (v) => (v.trim() ? validateTapSpec(v) : 'Type a tap spec'),
    }));
  if (!spec?.trim()) return;
  const specs = spec.trim().split(/[\s,]+/);
  await startSession(svc, { name: specs.join(' '), taps: specs.map((s) => ({ spec: s })) });
}

export async function attachToProcess(svc: Services, pidArg?: number): Promise<void> {
  let pid = pidArg;
  let name = pid !== undefined ? `pid ${pid}` : '';
  try {
    if (pid === undefined) {
      const procs = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'IPC Tap: listing processes' }, () => svc.engine.request(P.AttachList, {}));
      const picked = await pick(
        procs.map((p) => ({ label: p.name, description: `pid ${p.pid} · ${p.endpoints} IPC endpoint${p.endpoints === 1 ? '' : 's'}`, detail: p.command.join(' '), p })),
        { placeHolder: 'Process to attach to', matchOnDescription: true, matchOnDetail: true },
      );
      if (!picked) return;
      pid = picked.p.pid;
      name = picked.p.name;
    }
    const endpoints = await svc.engine.request(P.AttachEndpoints, { pid });
    const usable = endpoints.filter((e) => e.tapSpec);
    const how = await pick(
      [
        {
          label: '$(pulse) Trace all I/O (already-open connections, pipes, signals)',
          detail: 'Through strace: every pipe, socket and FIFO it reads or writes, and the signals it receives. Slows the process.',
          trace: true,
        },
        {
          label: '$(plug) Take over endpoints',
          detail: usable.length ? `New connections to ${usable.map((e) => e.tapSpec).join(', ')} go through a proxy` : 'It has no endpoint to take over',
          trace: false,
        },
      ],
      { placeHolder: `How to attach to ${name} (${pid})` },
    );
    if (!how) return;
    if (how.trace) {
      await startSession(svc, { name: `${name} (${pid}) trace`, attachPid: pid, trace: true });
      return;
    }
    if (usable.length === 0) {
      void vscode.window.showInformationMessage(
        `${name} (${pid}) has no endpoint IPC Tap can take over (listening Unix sockets, FIFOs, local TCP listeners).` +
          (endpoints.length ? ` It has: ${endpoints.map((e) => e.label).join('; ')}` : ''),
      );
      return;
    }
    const chosen = await pickMany(
      usable.map((e) => ({ label: e.label, description: e.tapSpec, detail: e.detail, picked: usable.length === 1, e })),
      { placeHolder: 'Endpoints to take over (new connections are captured; open ones keep talking directly)' },
    );
    if (!chosen?.length) return;
    await startSession(svc, { name: `${name} (${pid})`, attachPid: pid, taps: chosen.map((c) => ({ spec: c.e.tapSpec! })) });
  } catch (err) {
    showEngineError(err, 'attaching', svc.output);
  }
}

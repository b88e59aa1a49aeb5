import type { ChildProcess } from 'node:child_process';
export declare const CODE_SERVER_VERSION: string;
export declare const repoRoot: string;
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
export declare function ensureCodeServer(opts?: { log?: (m: string) => void }): { bin: string; path: string; dir: string };
export declare function installExtension(extensionsDir: string): string;
export declare function freePort(): Promise<number>;
export interface RunningCodeServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
  output(): string;
}
export declare function startCodeServer(opts: {
  port: number;
  extensionsDir: string;
  userDataDir: string;
  workspace: string;
  env?: Record<string, string>;
  log?: (m: string) => void;
  /** Where the first-run install says what it is doing (default: log). */
  progress?: (m: string) => void;
}): Promise<RunningCodeServer>;

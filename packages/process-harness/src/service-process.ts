/**
 * Runs a Natter service as a real child process — as `npm run dev`, the walkthrough test and the
 * benchmark need — and knows when it is listening from its structured log line
 * (`{"msg":"listening","url":…}`, written by @natter/service-kit's `serve`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** tsx's loader, resolved from here so children find it whatever their working directory. */
const TSX_LOADER = import.meta.resolve('tsx');

export interface StartOptions {
  /** Short name used in errors and log prefixes. */
  readonly name: string;
  /** A `.ts` file (run through tsx) or a `.mjs`/`.js` file (plain node). */
  readonly entry: string;
  readonly args?: readonly string[];
  /** The child's complete environment: nothing is inherited unless passed here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Receives every output line (stdout and stderr), e.g. to forward logs. @default - kept for errors only */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** @default 30000 */
  readonly startTimeoutMs?: number;
  /**
   * A command that runs node for us, given node's path and arguments after its own, e.g. a
   * sandbox that drops privileges and then execs. @default - node is started directly
   */
  readonly launcher?: readonly string[];
  /** Called as soon as the process exists, before it is listening (so a supervisor can stop it). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export interface ServiceProcess {
  readonly name: string;
  /** The URL the service reported, e.g. `http://127.0.0.1:4567`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** The last output lines, for diagnostics. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how the process ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const KEPT_LINES = 50;

export function nodeArguments(entry: string, args: readonly string[] = []): string[] {
  return entry.endsWith('.ts') ? ['--import', TSX_LOADER, entry, ...args] : [entry, ...args];
}

/** Starts the service and resolves once it logs that it is listening (rejects if it exits first). */
export async function startService(options: StartOptions): Promise<ServiceProcess> {
  const [command, ...prefix] = [...(options.launcher ?? []), process.execPath];
  const child = spawn(command!, [...prefix, ...nodeArguments(options.entry, options.args)], {
    cwd: options.cwd,
    env: withoutUndefined(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  const recent: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const failedToSpawn = new Promise<never>((_resolve, reject) => child.once('error', reject));
  // Only start-up waits for this; a later 'error' (a failed kill) must not become an unhandled rejection.
  failedToSpawn.catch(() => undefined);

  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name} did not report listening within ${options.startTimeoutMs ?? 30_000} ms`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
      recent.push(line);
      if (recent.length > KEPT_LINES) recent.shift();
      options.onLine?.(line, stream);
      const url = listeningUrl(line);
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    createInterface({ input: child.stdout! }).on('line', (line) => onLine(line, 'stdout'));
    createInterface({ input: child.stderr! }).on('line', (line) => onLine(line, 'stderr'));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (code ${code}, signal ${signal}) before listening`));
    });
  });

  const stop = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(killer);
      return result;
    }
    return exited;
  };

  try {
    const url = await Promise.race([listening, failedToSpawn]);
    return { name: options.name, url, child, recentOutput: () => recent.join('\n'), stop };
  } catch (error) {
    await stop(2000);
    throw new Error(`${(error as Error).message}\n--- last output of ${options.name} ---\n${recent.join('\n')}`);
  }
}

function listeningUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return entry.msg === 'listening' && typeof entry.url === 'string' ? reachableUrl(entry.url) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a one-shot command (e.g. the migration) to completion; resolves with its exit code. */
export async function runToCompletion(options: Omit<StartOptions, 'startTimeoutMs' | 'launcher'>): Promise<number> {
  const child = spawn(process.execPath, nodeArguments(options.entry, options.args), {
    cwd: options.cwd,
    env: withoutUndefined(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  createInterface({ input: child.stdout }).on('line', (line) => options.onLine?.(line, 'stdout'));
  createInterface({ input: child.stderr }).on('line', (line) => options.onLine?.(line, 'stderr'));
  // 'close', not 'exit': every line of output has been read by then.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return code ?? (signal === null ? 1 : 128);
}

/** A service bound to every interface is reached on loopback. */
function reachableUrl(url: string): string {
  return url.replace(/^http:\/\/0\.0\.0\.0:/, 'http://127.0.0.1:').replace(/^http:\/\/\[::\]:/, 'http://[::1]:');
}

function withoutUndefined(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * A TCP port that was free a moment ago on `host`, for services whose configuration needs the
 * port up front (the Natter API's Host allowlist includes it). The tiny race with other processes
 * is acceptable for tests and development; the service fails loudly if it lost it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** The environment every child gets from us: enough for Node to run, no secrets or proxies of ours. */
export function baseEnvironment(): Record<string, string | undefined> {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], TMPDIR: process.env['TMPDIR'], TZ: process.env['TZ'] };
}

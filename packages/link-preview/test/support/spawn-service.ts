import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * `node --import tsx <script>` rather than the tsx CLI: one process, so SIGTERM reaches the service
 * itself (the CLI wrapper runs the script in a child process).
 */
export const NODE_WITH_TSX = [process.execPath, '--import', 'tsx'] as const;

export interface SpawnedService {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` (whatever address was bound, reached over loopback). */
  readonly url: string;
  readonly stdout: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function launch(script: string, args: string[], env: Record<string, string>): { child: ChildProcess; out: string[]; err: string[] } {
  const [node, ...nodeArgs] = NODE_WITH_TSX;
  const child = spawn(node, [...nodeArgs, join(PACKAGE_DIR, script), ...args], {
    cwd: PACKAGE_DIR,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  return { child, out, err };
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** Runs a script that is expected to exit by itself (e.g. on a configuration error). */
export async function runToExit(script: string, args: string[], env: Record<string, string>): Promise<Exited> {
  const { child, out, err } = launch(script, args, env);
  const code = await exitOf(child);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Starts a service script and waits for its `{"msg":"listening","url":…}` line. */
export async function startService(script: string, args: string[], env: Record<string, string>): Promise<SpawnedService> {
  const { child, out, err } = launch(script, args, env);
  const listening = await new Promise<{ url: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a service running that no test will stop.
      child.kill('SIGKILL');
      reject(new Error(`no listening line; stdout: ${out.join('')} stderr: ${err.join('')}`));
    }, 20_000);
    const check = (): void => {
      for (const line of out.join('').split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve({ url: entry.url });
        }
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code}; stderr: ${err.join('')}`)));
  });
  const port = new URL(listening.url).port;
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out.join(''),
    stop: async () => {
      child.kill('SIGTERM');
      return exitOf(child);
    },
  };
}

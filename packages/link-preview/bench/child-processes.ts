import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Extra node flags for measured processes, e.g. BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function extraNodeFlags(): string[] {
  return (process.env.BENCH_NODE_OPTIONS ?? '').split(/\s+/).filter((flag) => flag !== '');
}

/**
 * Forks a TypeScript module (through tsx) with an IPC channel. `modulePath` is relative to bench/.
 * Only `measured` processes get BENCH_NODE_OPTIONS.
 */
export function forkTypeScript(
  modulePath: string,
  args: readonly string[],
  /** `stdout` may also be a file descriptor the child writes to directly. */
  options: { measured: boolean; env?: NodeJS.ProcessEnv; stdout?: 'inherit' | 'ignore' | 'pipe' | number },
): ChildProcess {
  return fork(fileURLToPath(new URL(modulePath, import.meta.url)), [...args], {
    cwd: PACKAGE_DIR,
    execArgv: ['--import', 'tsx', ...(options.measured ? extraNodeFlags() : [])],
    env: options.env ?? process.env,
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the first IPC message matching `accept`; rejects on exit or after `timeoutMs`. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer from child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`child exited (code ${code}, signal ${signal}) before answering`));
    function finish(error: Error | undefined, message?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as T);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Ends a child we started and waits for it to be gone. With `graceMs` it first waits that long
 * for the child to exit by itself (so `--cpu-prof` can write its profile).
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (graceMs > 0) {
    const exitedByItself = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (exitedByItself) return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(forced);
}

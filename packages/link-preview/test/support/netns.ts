import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when this process may create network namespaces (root, `ip` installed, netns supported). */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

export async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

/** Runs `command` inside namespace `ns` and returns its stdout. */
export async function inNamespace(ns: string, command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, command, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  return stdout;
}

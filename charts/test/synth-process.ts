import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { PROFILE_FILE } from '../src/profiles.js';
import { REPOSITORY_ROOT } from './natter-cluster.js';

const run = promisify(execFile);

/**
 * A throwaway copy of the repository's top level for running `npm run synth` or the cdk8s CLI
 * without touching the working tree: main.ts, cdk8s.yaml, package.json and the profile files are
 * copied (main.ts writes dist/ next to itself; the tsconfig files map @natter/constructs to its source), every other directory but the outputs is symlinked.
 */
export interface ScratchRepository {
  readonly path: string;
  remove(): void;
}

export function scratchRepository(): ScratchRepository {
  const path = mkdtempSync(join(tmpdir(), 'natter-synth-'));
  const copied = ['main.ts', 'cdk8s.yaml', 'package.json', 'tsconfig.json', 'tsconfig.base.json', ...readdirSync(REPOSITORY_ROOT).filter((entry) => PROFILE_FILE.test(entry))];
  for (const file of copied) copyFileSync(join(REPOSITORY_ROOT, file), join(path, file));
  const outputs = new Set(['dist', 'cdk8s.out', '.git']);
  for (const entry of readdirSync(REPOSITORY_ROOT, { withFileTypes: true })) {
    if (entry.isDirectory() && !outputs.has(entry.name)) symlinkSync(join(REPOSITORY_ROOT, entry.name), join(path, entry.name));
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result, not an exception. */
export async function runIn(directory: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['NATTER_PROFILE', 'NATTER_MESH_MODE', 'CDK8S_OUTDIR']) if (!(name in env)) delete environment[name];
  try {
    const { stdout, stderr } = await run(command, [...args], { cwd: directory, env: environment });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number') throw error;
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** `npm run synth`, exactly as package.json runs it. */
export function npmRunSynth(directory: string, env: NodeJS.ProcessEnv = {}, args: readonly string[] = []): Promise<ProcessResult> {
  const script = (JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['synth']!;
  const [command, ...scriptArgs] = script.split(' ');
  if (command !== 'node') throw new Error(`the synth script no longer starts with node: ${script}`);
  return runIn(directory, process.execPath, [...scriptArgs, ...args], env);
}

/** The cdk8s CLI from node_modules, as `npx cdk8s <args>` runs it. */
export function cdk8sCli(directory: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runIn(directory, process.execPath, [join(REPOSITORY_ROOT, 'node_modules/cdk8s-cli/bin/cdk8s'), ...args], env);
}

/** Every file under `directory` (relative POSIX path → content); empty when it does not exist. */
export function readTree(directory: string): Record<string, string> {
  if (!existsSync(directory)) return {};
  const tree: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else tree[relative(directory, path).split('\\').join('/')] = readFileSync(path, 'utf8');
    }
  };
  walk(directory);
  return tree;
}

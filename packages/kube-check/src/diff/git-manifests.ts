import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../cli/usage.js';

function git(cwd: string, args: readonly string[]): Buffer {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

/** The repository's top directory, or a UsageError outside a git work tree. */
export function repositoryRoot(cwd: string): string {
  try {
    return git(cwd, ['rev-parse', '--show-toplevel']).toString('utf8').trim();
  } catch {
    throw new UsageError(`${cwd} is not inside a git repository`);
  }
}

export interface Checkout {
  /** The temporary directory to remove when done. */
  readonly temporary: string;
  /** Where `cwd` lies inside it: `join(mirror, path)` is the committed version of `path`. */
  readonly mirror: string;
}

/**
 * Copies the YAML files that `ref` holds under each of `paths` (relative to `cwd`) into a fresh
 * temporary directory, laid out as in the repository. Reads the committed files only
 * (`git show ref:path`): the working tree is never touched.
 */
export function checkoutManifests(cwd: string, ref: string, paths: readonly string[]): Checkout {
  const root = repositoryRoot(cwd);
  let commit: string;
  try {
    commit = git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).toString('utf8').trim();
  } catch {
    throw new UsageError(`${ref} is not a commit in this repository`);
  }
  const temporary = mkdtempSync(join(tmpdir(), 'kube-check-diff-'));
  const mirror = join(temporary, relative(root, cwd));
  for (const path of paths) {
    const prefix = relative(root, join(cwd, path)).split('\\').join('/');
    const files = git(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', prefix || '.']).toString('utf8').split('\0').filter((file) => /\.ya?ml$/.test(file));
    for (const file of files) {
      const destination = join(temporary, file);
      mkdirSync(dirname(destination), { recursive: true });
      writeFileSync(destination, git(root, ['show', `${commit}:${file}`]));
    }
  }
  return { temporary, mirror };
}

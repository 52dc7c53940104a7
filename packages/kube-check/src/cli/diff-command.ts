import { existsSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { manifestDirectories, nameSets, readManifestSet } from '../checks/load.js';
import { type Checkout, checkoutManifests } from '../diff/git-manifests.js';
import { objectDiff } from '../diff/object-diff.js';
import { AREA_TITLES, type ChangeArea, type SecurityChange, detectRenames, securityDiff } from '../diff/security-diff.js';
import type { Manifest } from '../manifest.js';
import { summarizeWorkloads } from '../workload-summary.js';
import { type CliIo, EXIT_OK, EXIT_USAGE, UsageError } from './usage.js';

/** The change opens a flow or widens privileges: CI requires an acknowledgement. */
export const EXIT_WIDENS = 3;

export const DIFF_USAGE = `usage: npm run diff -- <git-ref> [--json] [DIR...]

Compares the manifests committed at <git-ref> with the working tree (default: every directory under
dist/ holding YAML; run npm run synth first) and prints, per set, what changed in security terms —
flows opened and closed, peers Linkerd admits, Pod Security levels, capabilities, privilege and host
access, images, Secrets mounted, RBAC, objects added/removed/renamed — then the plain object diff.
Exit 0: nothing widened; 3: the change opens a flow or widens privileges; 2: usage error.`;

export interface SetDiff {
  readonly name: string;
  readonly directory: string;
  readonly changes: readonly SecurityChange[];
  readonly objectDiff: readonly string[];
}

const AREA_ORDER: readonly ChangeArea[] = ['flows', 'linkerd', 'pod-security', 'privileges', 'secrets', 'rbac', 'images', 'objects'];

export function diffManifests(before: readonly Manifest[], after: readonly Manifest[]): { changes: SecurityChange[]; objectDiff: string[] } {
  const renames = detectRenames(before, after, summarizeWorkloads(before), summarizeWorkloads(after));
  return { changes: securityDiff(before, after), objectDiff: objectDiff(before, after, renames.objects) };
}

export function runDiffCommand(argv: readonly string[], io: CliIo): number {
  let parsed;
  try {
    try {
      parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (parsed.values.help) throw new UsageError('');
    if (parsed.positionals.length === 0) throw new UsageError('name the git ref to compare with (e.g. origin/main)');
  } catch (error) {
    return usage(io, error);
  }
  const [ref, ...paths] = parsed.positionals as [string, ...string[]];
  let checkout: Checkout | undefined;
  try {
    const roots = paths.length > 0 ? paths : ['dist'];
    for (const path of roots) {
      const absolute = resolve(io.cwd, path);
      if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new UsageError(`${path}: not a directory${path === 'dist' ? ' (run npm run synth first)' : ''}`);
    }
    checkout = checkoutManifests(io.cwd, ref, roots);
    const mirror = checkout.mirror;
    const diffs: SetDiff[] = [];
    for (const path of roots) {
      const afterDirectories = manifestDirectories(resolve(io.cwd, path)).map((directory) => relative(io.cwd, directory) || '.');
      const beforeDirectories = existsSync(join(mirror, path)) ? manifestDirectories(join(mirror, path)).map((directory) => relative(mirror, directory) || '.') : [];
      const directories = [...new Set([...afterDirectories, ...beforeDirectories])].sort();
      const afterSets = nameSets(afterDirectories.map((directory) => readManifestSet(resolve(io.cwd, directory))), io.cwd);
      for (const directory of directories) {
        const afterSet = afterSets.find((set) => (relative(io.cwd, set.directory) || '.') === directory);
        const beforeObjects = beforeDirectories.includes(directory) ? readManifestSet(join(mirror, directory)).objects : [];
        const { changes, objectDiff: patches } = diffManifests(beforeObjects, afterSet?.objects ?? []);
        diffs.push({ name: afterSet?.name ?? directory, directory, changes, objectDiff: patches });
      }
    }
    const widens = diffs.some((diff) => diff.changes.some((change) => change.widens));
    if (parsed.values.json) io.stdout(`${JSON.stringify({ ref, widens, sets: diffs }, null, 2)}\n`);
    else io.stdout(renderText(ref, diffs));
    return widens ? EXIT_WIDENS : EXIT_OK;
  } catch (error) {
    return usage(io, error);
  } finally {
    if (checkout) rmSync(checkout.temporary, { recursive: true, force: true });
  }
}

function usage(io: CliIo, error: unknown): number {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) io.stderr(`diff: ${error.message}\n`);
  io.stderr(`${DIFF_USAGE}\n`);
  return error.message ? EXIT_USAGE : EXIT_OK;
}

export function renderText(ref: string, diffs: readonly SetDiff[]): string {
  const out: string[] = [];
  let widening = 0;
  for (const diff of diffs) {
    out.push(`== ${diff.name} — security changes since ${ref}`);
    if (diff.changes.length === 0) out.push('  no security-relevant change');
    for (const area of AREA_ORDER) {
      const changes = diff.changes.filter((change) => change.area === area);
      if (changes.length === 0) continue;
      out.push(`${AREA_TITLES[area]}:`);
      for (const change of changes) out.push(`  ${change.sign} ${change.text}${change.widens ? '   [WIDENS]' : ''}`);
    }
    widening += diff.changes.filter((change) => change.widens).length;
    out.push('');
  }
  out.push(widening > 0
    ? `diff: ${widening} change(s) open a flow or widen privileges (exit ${EXIT_WIDENS}: needs an explicit acknowledgement)`
    : 'diff: nothing opens a flow or widens privileges');
  const patches = diffs.flatMap((diff) => diff.objectDiff.map((patch) => ({ directory: diff.directory, patch })));
  if (patches.length > 0) {
    out.push('', '== plain object diff (YAML with sorted keys)');
    for (const { directory, patch } of patches) out.push(`# ${directory}`, patch.trimEnd());
  }
  return `${out.join('\n')}\n`;
}

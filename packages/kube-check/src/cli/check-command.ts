import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CrdCatalog, emptyCrdCatalog, readCrdDirectory } from '../crd-schema.js';
import { parseKubeVersion } from '../kube-version.js';
import type { LinkerdMode } from '../linkerd.js';
import { type Finding, countBySeverity, formatFinding } from '../checks/finding.js';
import { type ManifestSet, manifestDirectories, nameSets, readManifestSet } from '../checks/load.js';
import { type CheckResult, runChecks } from '../checks/run-checks.js';
import { type CliIo, EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError } from './usage.js';

export const CHECK_USAGE = `usage: npm run check -- [--json] [--crds DIR]... [--kube-version 1.N] [--linkerd-mode linkerd-cni|linkerd-init] [DIR...]

Checks every directory of manifests offline (default: every directory under dist/ holding YAML),
each as one set: Kubernetes OpenAPI schema, custom resources against their CRDs (every CRD under
charts/crds/ and in the input), the target Kubernetes version, Pod Security per namespace, wiring,
NetworkPolicy coverage, Linkerd, secrets. Prints 'FAIL|WARN object field: reason' lines and a
summary. Exit 0: no FAIL; 1: at least one FAIL; 2: usage error.`;

export interface CheckedSet {
  readonly set: ManifestSet;
  readonly result: CheckResult;
  readonly findings: readonly Finding[];
}

export interface CheckInvocation {
  readonly directories: string[];
  readonly json: boolean;
  readonly crds: CrdCatalog;
  readonly kubeVersion?: string;
  readonly linkerdMode?: LinkerdMode;
}

/** Parses the command line; throws UsageError on anything it does not understand. */
export function parseCheckArguments(argv: readonly string[], cwd: string): CheckInvocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        crds: { type: 'string', multiple: true },
        'kube-version': { type: 'string' },
        'linkerd-mode': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  const kubeVersion = values['kube-version'];
  if (kubeVersion !== undefined) {
    try {
      parseKubeVersion(kubeVersion);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const linkerdMode = values['linkerd-mode'];
  if (linkerdMode !== undefined && linkerdMode !== 'linkerd-cni' && linkerdMode !== 'linkerd-init') {
    throw new UsageError(`--linkerd-mode must be linkerd-cni or linkerd-init, got ${JSON.stringify(linkerdMode)}`);
  }
  const crdDirectories = values.crds ?? (existsSync(resolve(cwd, 'charts/crds')) ? ['charts/crds'] : []);
  const crds = emptyCrdCatalog();
  for (const directory of crdDirectories) {
    const path = resolve(cwd, directory);
    if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--crds ${directory}: not a directory`);
    readCrdDirectory(path, crds);
  }
  let directories: string[];
  if (positionals.length > 0) {
    directories = positionals.map((directory) => {
      const path = resolve(cwd, directory);
      if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${directory}: not a directory`);
      return path;
    });
  } else {
    const dist = resolve(cwd, 'dist');
    if (!existsSync(dist)) throw new UsageError('no directory given and no dist/ here: run npm run synth first, or name a directory');
    directories = manifestDirectories(dist);
  }
  return { directories, json: values.json ?? false, crds, ...(kubeVersion ? { kubeVersion } : {}), ...(linkerdMode ? { linkerdMode } : {}) };
}

/** Reads and checks every set of the invocation. */
export function checkSets(invocation: CheckInvocation, cwd: string): CheckedSet[] {
  const sets = nameSets(invocation.directories.map((directory) => readManifestSet(directory)), cwd);
  return sets.map((set) => {
    const result = runChecks(set.objects, {
      crds: invocation.crds,
      ...(invocation.kubeVersion ? { kubeVersion: invocation.kubeVersion } : {}),
      ...(invocation.linkerdMode ? { linkerdMode: invocation.linkerdMode } : {}),
    });
    return { set, result, findings: [...set.problems, ...result.findings] };
  });
}

/** `npm run check`: returns the exit code. */
export function runCheckCommand(argv: readonly string[], io: CliIo): number {
  let invocation: CheckInvocation;
  try {
    invocation = parseCheckArguments(argv, io.cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) io.stderr(`check: ${error.message}\n`);
    io.stderr(`${CHECK_USAGE}\n`);
    return error.message ? EXIT_USAGE : EXIT_OK;
  }
  const checked = checkSets(invocation, io.cwd);
  const all = checked.flatMap((entry) => entry.findings);
  const total = countBySeverity(all);
  if (invocation.json) {
    io.stdout(`${JSON.stringify({
      sets: checked.map(({ set, result, findings }) => ({
        name: set.name,
        directory: set.directory,
        files: set.files,
        objects: set.objects.length,
        kubernetesVersion: result.target,
        summary: countBySeverity(findings),
        findings,
      })),
      crdFiles: invocation.crds.files,
      summary: total,
    }, null, 2)}\n`);
  } else {
    for (const { set, result, findings } of checked) {
      io.stdout(`== ${set.name}: ${set.objects.length} objects from ${set.files.length} file(s), target Kubernetes ${result.target.version} (${result.target.source})\n`);
      for (const found of findings) io.stdout(`${formatFinding(found)}\n`);
      const counts = countBySeverity(findings);
      io.stdout(`${set.name}: ${counts.fail} FAIL, ${counts.warn} WARN\n\n`);
    }
    io.stdout(`check: ${checked.length} set(s), ${invocation.crds.files.length} CRD file(s), ${total.fail} FAIL, ${total.warn} WARN\n`);
  }
  return total.fail > 0 ? EXIT_FAIL : EXIT_OK;
}

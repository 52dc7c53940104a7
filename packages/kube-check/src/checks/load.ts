import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../manifest.js';
import { type Finding, finding } from './finding.js';

/** One directory of manifests, checked as a set (what `kubectl apply -f <dir>` would apply). */
export interface ManifestSet {
  /** The profile name (from an Argo CD Application pointing at it) or the directory. */
  readonly name: string;
  readonly directory: string;
  readonly files: readonly string[];
  readonly objects: readonly Manifest[];
  /** Unparseable documents and documents that are not Kubernetes objects. */
  readonly problems: readonly Finding[];
}

const YAML_FILE = /\.ya?ml$/;

/** Reads the `*.yaml`/`*.yml` files directly inside `directory` (not recursive, like `kubectl apply -f`). */
export function readManifestSet(directory: string, name = directory): ManifestSet {
  const files = readdirSync(directory).filter((file) => YAML_FILE.test(file) && statSync(join(directory, file)).isFile()).sort().map((file) => join(directory, file));
  const objects: Manifest[] = [];
  const problems: Finding[] = [];
  for (const file of files) {
    const documents = parseAllDocuments(readFileSync(file, 'utf8'));
    (Array.isArray(documents) ? documents : [documents]).forEach((document, index) => {
      const where = `${file}#${index + 1}`;
      if (document.errors.length > 0) {
        problems.push(finding('FAIL', 'parse', { object: where, field: '-', message: `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}` }));
        return;
      }
      const value: unknown = document.toJS();
      if (value === null || value === undefined) return; // an empty document, e.g. only a comment
      for (const object of value && typeof value === 'object' && (value as Manifest).kind === 'List' ? ((value as { items?: unknown[] }).items ?? []) : [value]) {
        if (isObject(object)) objects.push(object);
        else problems.push(finding('FAIL', 'parse', { object: where, field: '-', message: 'not a Kubernetes object (needs apiVersion, kind and metadata.name)' }));
      }
    });
  }
  return { name, directory, files, objects, problems };
}

function isObject(value: unknown): value is Manifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.apiVersion === 'string' && typeof candidate.kind === 'string' && typeof (candidate.metadata as { name?: unknown } | undefined)?.name === 'string';
}

/** Every directory under `root` (itself included) that directly holds YAML files, sorted. */
export function manifestDirectories(root: string): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    const entries = readdirSync(directory, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && YAML_FILE.test(entry.name))) found.push(directory);
    for (const entry of entries.filter((candidate) => candidate.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) walk(join(directory, entry.name));
  };
  walk(root);
  return found;
}

/**
 * Names each set after the Argo CD Application whose source path is its directory (relative to
 * `repositoryRoot`), e.g. `dist/prod` → `natter-prod`; sets nobody points at keep their directory.
 */
export function nameSets(sets: readonly ManifestSet[], repositoryRoot: string): ManifestSet[] {
  const applications = sets.flatMap((set) => set.objects).filter((object) => object.kind === 'Application' && object.apiVersion.startsWith('argoproj.io/'));
  return sets.map((set) => {
    const inside = relative(repositoryRoot, set.directory);
    const path = inside.startsWith('..') ? set.directory : inside || '.';
    const application = applications.find((candidate) => ((candidate.spec as { source?: { path?: string } } | undefined)?.source?.path ?? '').replace(/\/$/, '') === path);
    return { ...set, name: application?.metadata?.name ? `${application.metadata.name} (${path})` : path };
  });
}

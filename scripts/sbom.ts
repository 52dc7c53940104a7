/**
 * The CycloneDX SBOM of a service image: every package its bundles contain, with the version and
 * SHA-512 the pnpm lockfile pins. The image ships bundles, not node_modules, so a scanner looking
 * at it finds no packages at all; this file is how it learns what is inside.
 *
 * The components are the packages esbuild actually put into the bundles (read from the bundle's
 * inputs), each checked against the service's locked production dependencies: a bundled package
 * that is not one of them (a devDependency imported by mistake, a version the lockfile does not
 * pin) fails the build. Packages the service depends on but does not ship (the development-only
 * database, tsx) are left out, so the list matches the image byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';

export const CYCLONEDX_SPEC_VERSION = '1.6';

interface LockfileDependencyMap {
  readonly [name: string]: string | { readonly version: string };
}

export interface Lockfile {
  readonly importers: Readonly<Record<string, { readonly dependencies?: LockfileDependencyMap; readonly optionalDependencies?: LockfileDependencyMap }>>;
  readonly packages?: Readonly<Record<string, { readonly resolution?: { readonly integrity?: string } }>>;
  readonly snapshots?: Readonly<Record<string, { readonly dependencies?: LockfileDependencyMap; readonly optionalDependencies?: LockfileDependencyMap }>>;
}

/** A package of the service's locked production closure: `name@version` (peer suffix removed). */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly integrity: string | undefined;
  /** `name@version` of its own production dependencies. */
  readonly dependsOn: ReadonlySet<string>;
}

export interface CycloneDxComponent {
  readonly type: 'library';
  readonly 'bom-ref': string;
  readonly group?: string;
  readonly name: string;
  readonly version: string;
  readonly purl?: string;
  readonly hashes?: readonly { readonly alg: 'SHA-512'; readonly content: string }[];
  readonly licenses?: readonly ({ readonly expression: string } | { readonly license: { readonly name: string } })[];
}

export interface CycloneDxBom {
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: string;
  readonly version: 1;
  readonly metadata: {
    readonly tools: { readonly components: readonly { readonly type: 'application'; readonly name: string }[] };
    readonly component: { readonly type: 'application'; readonly 'bom-ref': string; readonly group?: string; readonly name: string; readonly version: string };
  };
  readonly components: readonly CycloneDxComponent[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license?: unknown;
}

/** Code-point order: the same on every Node version and locale. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const versionOf = (entry: string | { readonly version: string }): string => (typeof entry === 'string' ? entry : entry.version);
/** `15.7.0(koa@3.3.0)` → `15.7.0`: pnpm appends the resolved peers to the version. */
const withoutPeers = (version: string): string => version.replace(/\(.*$/, '');

/**
 * The locked production closure of a workspace package: its `dependencies` and
 * `optionalDependencies`, transitively, following workspace links into the linked importer.
 * Returns the registry packages by `name@version` and the workspace importers reached.
 */
export function productionClosure(lockfile: Lockfile, importer: string): { packages: Map<string, LockedPackage>; workspaces: Map<string, ReadonlySet<string>> } {
  const packages = new Map<string, LockedPackage>();
  const workspaces = new Map<string, ReadonlySet<string>>();
  const snapshotKeys = (dependencies: readonly (LockfileDependencyMap | undefined)[]) =>
    dependencies.flatMap((map) => Object.entries(map ?? {}).map(([name, entry]) => ({ name, version: versionOf(entry) })));

  const visitImporter = (path: string): void => {
    if (workspaces.has(path)) return;
    const entry = lockfile.importers[path];
    if (entry === undefined) throw new Error(`pnpm-lock.yaml has no importer '${path}'`);
    const direct = new Set<string>();
    workspaces.set(path, direct);
    for (const { name, version } of snapshotKeys([entry.dependencies, entry.optionalDependencies])) {
      if (version.startsWith('link:')) {
        const linked = posix.normalize(posix.join(path, version.slice('link:'.length)));
        direct.add(`workspace:${linked}`);
        visitImporter(linked);
      } else {
        direct.add(`${name}@${withoutPeers(version)}`);
        visitSnapshot(name, version);
      }
    }
  };

  const visitSnapshot = (name: string, version: string): void => {
    const key = `${name}@${withoutPeers(version)}`;
    if (packages.has(key)) return;
    const snapshot = lockfile.snapshots?.[`${name}@${version}`];
    if (snapshot === undefined) throw new Error(`pnpm-lock.yaml has no snapshot '${name}@${version}'`);
    const children = snapshotKeys([snapshot.dependencies, snapshot.optionalDependencies]);
    packages.set(key, {
      name,
      version: withoutPeers(version),
      integrity: lockfile.packages?.[key]?.resolution?.integrity,
      dependsOn: new Set(children.map((child) => `${child.name}@${withoutPeers(child.version)}`)),
    });
    for (const child of children) visitSnapshot(child.name, child.version);
  };

  visitImporter(importer);
  return { packages, workspaces };
}

/** The package folder a bundled file belongs to, relative to the repository root. */
function packageFolderOf(input: string): string | undefined {
  const marker = input.lastIndexOf('node_modules/');
  if (marker !== -1) {
    const rest = input.slice(marker + 'node_modules/'.length).split('/');
    const depth = rest[0]?.startsWith('@') ? 2 : 1;
    return rest.length > depth ? input.slice(0, marker) + 'node_modules/' + rest.slice(0, depth).join('/') : undefined;
  }
  return /^packages\/[^/]+\//.exec(input)?.[0].slice(0, -1);
}

/** `sha512-<base64>` → lower-case hex, as CycloneDX wants it. */
function sha512Hex(integrity: string | undefined): string | undefined {
  const match = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('hex') : undefined;
}

function licensesOf(manifest: Manifest): CycloneDxComponent['licenses'] {
  if (typeof manifest.license !== 'string' || manifest.license === '') return undefined;
  // An SPDX expression (MIT, (MIT OR Apache-2.0), …); anything else is a free-text name.
  return /^[A-Za-z0-9.+\-() ]+$/.test(manifest.license) && !/^SEE /.test(manifest.license)
    ? [{ expression: manifest.license }]
    : [{ license: { name: manifest.license } }];
}

/** Splits `@scope/name` into CycloneDX group and name; builds the npm package URL. */
function identity(name: string, version: string): { group?: string; name: string; purl: string } {
  const [scope, bare] = name.startsWith('@') ? (name.split('/') as [string, string]) : [undefined, name];
  const purl = `pkg:npm/${scope === undefined ? '' : `${encodeURIComponent(scope)}/`}${encodeURIComponent(bare)}@${encodeURIComponent(version)}`;
  return { ...(scope === undefined ? {} : { group: scope }), name: bare, purl };
}

export interface SbomOptions {
  /** The repository (or build workspace) root: where pnpm-lock.yaml, packages/ and node_modules/ are. */
  readonly root: string;
  /** The service's folder under packages/. */
  readonly service: string;
  /** The files esbuild bundled, relative to `root` (esbuild's metafile inputs). */
  readonly bundleInputs: readonly string[];
}

export function readLockfile(root: string): Lockfile {
  return parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8')) as Lockfile;
}

/** The SBOM of what the bundles contain; throws when they contain anything the lockfile does not account for. */
export function serviceSbom({ root, service, bundleInputs }: SbomOptions): CycloneDxBom {
  const lockfile = readLockfile(root);
  const importer = `packages/${service}`;
  const closure = productionClosure(lockfile, importer);
  const readManifest = (folder: string) => JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as Manifest;

  const shipped = new Map<string, CycloneDxComponent>();
  const unaccounted: string[] = [];
  for (const folder of new Set(bundleInputs.map(packageFolderOf).filter((folder) => folder !== undefined))) {
    const manifest = readManifest(folder);
    if (folder.startsWith('packages/')) {
      if (folder === importer) continue;
      if (!closure.workspaces.has(folder)) {
        unaccounted.push(`${manifest.name} (${folder})`);
        continue;
      }
      const { group, name } = identity(manifest.name, manifest.version);
      const ref = `workspace:${folder}`;
      const licenses = licensesOf(manifest);
      shipped.set(ref, { type: 'library', 'bom-ref': ref, ...(group === undefined ? {} : { group }), name, version: manifest.version, ...(licenses === undefined ? {} : { licenses }) });
      continue;
    }
    const key = `${manifest.name}@${manifest.version}`;
    const locked = closure.packages.get(key);
    if (locked === undefined) {
      unaccounted.push(`${key} (${folder})`);
      continue;
    }
    const { group, name, purl } = identity(locked.name, locked.version);
    const hash = sha512Hex(locked.integrity);
    const licenses = licensesOf(manifest);
    shipped.set(key, {
      type: 'library',
      'bom-ref': purl,
      ...(group === undefined ? {} : { group }),
      name,
      version: locked.version,
      purl,
      ...(hash === undefined ? {} : { hashes: [{ alg: 'SHA-512' as const, content: hash }] }),
      ...(licenses === undefined ? {} : { licenses }),
    });
  }
  if (unaccounted.length > 0) {
    throw new Error(`the ${service} bundle contains packages that are not locked production dependencies of ${importer}: ${unaccounted.sort(byCodePoint).join(', ')}`);
  }

  const serviceManifest = readManifest(importer);
  const rootIdentity = identity(serviceManifest.name, serviceManifest.version);
  const rootRef = `workspace:${importer}`;
  // Edges only between shipped components: a dependency that is not in the bundles is not in the image.
  const edges = (dependsOn: ReadonlySet<string>) =>
    [...dependsOn].map((dependency) => shipped.get(dependency)?.['bom-ref']).filter((ref) => ref !== undefined).sort(byCodePoint);
  const dependencies = [
    { ref: rootRef, dependsOn: edges(closure.workspaces.get(importer)!) },
    ...[...shipped].map(([key, component]) => ({
      ref: component['bom-ref'],
      dependsOn: edges(key.startsWith('workspace:') ? closure.workspaces.get(key.slice('workspace:'.length))! : closure.packages.get(key)!.dependsOn),
    })),
  ].sort((a, b) => byCodePoint(a.ref, b.ref));

  return {
    bomFormat: 'CycloneDX',
    specVersion: CYCLONEDX_SPEC_VERSION,
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'natter scripts/sbom.ts' }] },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        ...(rootIdentity.group === undefined ? {} : { group: rootIdentity.group }),
        name: rootIdentity.name,
        version: serviceManifest.version,
      },
    },
    components: [...shipped.values()].sort((a, b) => byCodePoint(a['bom-ref'], b['bom-ref'])),
    dependencies,
  };
}

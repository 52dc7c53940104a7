// Internal: the volumes of a hardened pod — emptyDirs for writable paths, read-only Secret files.
import type { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { SecretFile } from './hardened-pod-props.js';

/** Volumes and the main container's mounts for them. */
export interface VolumeSet {
  readonly volumes: k8s.Volume[];
  readonly mounts: k8s.VolumeMount[];
}

/** One emptyDir per writable directory; the name derives from the path ('/var/run/x' -> 'var-run-x'). */
export function writableVolumes(directories: readonly string[], sizeLimit: Size): VolumeSet {
  const mounts = directories.map((dir) => ({ name: volumeNameFor(dir), mountPath: dir }));
  const volumes = mounts.map(({ name }) => ({ name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit.asString()) } }));
  return { volumes, mounts };
}

/** Where a Secret key is mounted: `<directory>/<secretName>/<key>`. */
export function secretFilePath(directory: string, file: SecretFile): string {
  return `${directory}/${file.secretName}/${file.key}`;
}

/**
 * One read-only Secret volume per Secret, projecting only the requested keys (mode 0440: readable
 * by the fsGroup, which the non-root user belongs to), mounted at `<directory>/<secretName>`.
 */
export function secretVolumes(files: Iterable<SecretFile>, directory: string): VolumeSet {
  const keysBySecret = new Map<string, string[]>();
  for (const { secretName, key } of files) {
    keysBySecret.set(secretName, [...(keysBySecret.get(secretName) ?? []), key]);
  }
  const entries = [...keysBySecret].map(([secretName, keys]) => {
    const name = volumeNameFor(`/secret-${secretName}`);
    return {
      volume: { name, secret: { secretName, items: keys.map((key) => ({ key, path: key })), defaultMode: 0o440 } },
      mount: { name, mountPath: `${directory}/${secretName}`, readOnly: true },
    };
  });
  return { volumes: entries.map((e) => e.volume), mounts: entries.map((e) => e.mount) };
}

/** Throws when two mounts share a path or two volumes share a name. */
export function assertDistinctVolumes(volumeNames: readonly string[], mounts: readonly k8s.VolumeMount[]): void {
  assertUnique('volume name', volumeNames);
  assertUnique('volume mount path', mounts.map((m) => m.mountPath));
}

export function volumeNameFor(path: string): string {
  return path.slice(1).toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 63).replace(/^-+|-+$/g, '');
}

function assertUnique(what: string, values: readonly string[]): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) {
      throw new Error(`${what} '${value}' is used twice in one pod; give each volume its own name and path`);
    }
    seen.add(value);
  }
}

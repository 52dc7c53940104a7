import { Duration, type Size } from 'cdk8s';
import { k8s, type IConfigMap, type IPersistentVolumeClaim } from 'cdk8s-plus-27';
import { assertAbsolutePath, assertDnsLabel, assertDnsSubdomain } from './names.js';
import { volumeNameFor } from './pod-volumes.js';

/** Options shared by every extra volume. */
export interface MountedVolumeOptions {
  /** Where the volume is mounted in the main container. */
  readonly mountPath: string;
  /**
   * Name of the volume in the pod (a DNS label, unique in the pod).
   * @default - derived from mountPath ('/etc/app/config' -> 'etc-app-config')
   */
  readonly name?: string;
}

/** Options of `MountedVolume.configMap`. */
export interface ConfigMapVolumeOptions extends MountedVolumeOptions {
  /** The ConfigMap: its name, or a cdk8s-plus `ConfigMap` (or `ConfigMap.fromConfigMapName(...)`). */
  readonly configMap: string | IConfigMap;
  /**
   * Keys to project, each to a file name (relative path) under mountPath.
   * @default - every key, each as a file of the same name
   */
  readonly items?: Readonly<Record<string, string>>;
}

/** Options of `MountedVolume.persistentVolumeClaim`. */
export interface ClaimVolumeOptions extends MountedVolumeOptions {
  /** The claim: its name, or a cdk8s-plus `PersistentVolumeClaim`. */
  readonly claim: string | IPersistentVolumeClaim;
  /**
   * Mount read-only. Set false only for a workload that writes to the volume.
   * @default true
   */
  readonly readOnly?: boolean;
}

/** Options of `MountedVolume.memory`. */
export interface MemoryVolumeOptions extends MountedVolumeOptions {
  /**
   * The most the volume may hold; it counts against the container's memory limit, and the pod is
   * evicted when it is exceeded.
   */
  readonly sizeLimit: Size;
}

/** Options of `MountedVolume.serviceAccountToken`. */
export interface ServiceAccountTokenVolumeOptions extends MountedVolumeOptions {
  /** The audience the token is for (the service that verifies it), e.g. `vault`. */
  readonly audience: string;
  /**
   * Lifetime of the token; the kubelet rotates it before it expires. At least 10 minutes.
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;
  /**
   * File name of the token under mountPath.
   * @default 'token'
   */
  readonly fileName?: string;
}

/**
 * A volume mounted into a hardened workload's main container, limited to the volume types Pod
 * Security "restricted" allows. ConfigMaps and projected tokens are always read-only; claims are
 * read-only unless `readOnly: false`. (Writable scratch space: `writableDirectories`; Secrets:
 * `secretFiles`.)
 */
export class MountedVolume {
  /** A ConfigMap's keys as read-only files (mode 0440). */
  public static configMap(options: ConfigMapVolumeOptions): MountedVolume {
    const configMapName = typeof options.configMap === 'string' ? options.configMap : options.configMap.name;
    assertDnsSubdomain('configMap', configMapName);
    const items = options.items === undefined ? undefined : Object.entries(options.items).map(([key, path]) => {
      assertRelativeFileName(`items path of key '${key}'`, path);
      return { key, path };
    });
    return new MountedVolume(options, (name) => ({ name, configMap: { name: configMapName, items, defaultMode: 0o440 } }), true);
  }

  /**
   * A writable, size-limited tmpfs (`emptyDir` with `medium: Memory`), e.g. `/dev/shm` for
   * PostgreSQL's shared memory, which the container runtime's default (64 MiB) would starve.
   */
  public static memory(options: MemoryVolumeOptions): MountedVolume {
    if (options.sizeLimit.toKibibytes() <= 0) {
      throw new Error(`sizeLimit of the memory volume at ${options.mountPath} must be positive, got ${options.sizeLimit.asString()}`);
    }
    const sizeLimit = k8s.Quantity.fromString(options.sizeLimit.asString());
    return new MountedVolume(options, (name) => ({ name, emptyDir: { medium: 'Memory', sizeLimit } }), false);
  }

  /** A PersistentVolumeClaim created elsewhere (StatefulSets: use `volumeClaims`). */
  public static persistentVolumeClaim(options: ClaimVolumeOptions): MountedVolume {
    const claimName = typeof options.claim === 'string' ? options.claim : options.claim.name;
    assertDnsSubdomain('claim', claimName);
    const readOnly = options.readOnly ?? true;
    return new MountedVolume(options, (name) => ({ name, persistentVolumeClaim: { claimName, readOnly } }), readOnly);
  }

  /**
   * A short-lived ServiceAccount token for one audience (projected volume), for workloads that prove
   * their identity to another service without mounting the Kubernetes API token.
   */
  public static serviceAccountToken(options: ServiceAccountTokenVolumeOptions): MountedVolume {
    if (options.audience.trim() === '') {
      throw new Error('serviceAccountToken audience must not be empty; pass the name the receiving service checks');
    }
    const expirationSeconds = (options.expiration ?? Duration.hours(1)).toSeconds();
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
      throw new Error(`serviceAccountToken expiration must be whole seconds >= 600 (10 minutes), got ${expirationSeconds}`);
    }
    const path = options.fileName ?? 'token';
    assertRelativeFileName('serviceAccountToken fileName', path);
    return new MountedVolume(
      options,
      (name) => ({
        name,
        projected: {
          defaultMode: 0o440,
          sources: [{ serviceAccountToken: { audience: options.audience, expirationSeconds, path } }],
        },
      }),
      true,
    );
  }

  /** Name of the volume in the pod. */
  public readonly name: string;
  /** Where it is mounted. */
  public readonly mountPath: string;

  private constructor(
    options: MountedVolumeOptions,
    private readonly renderVolume: (name: string) => k8s.Volume,
    private readonly readOnly: boolean,
  ) {
    assertAbsolutePath('mountPath', options.mountPath);
    this.mountPath = options.mountPath;
    this.name = options.name ?? volumeNameFor(options.mountPath);
    assertDnsLabel('volume name', this.name);
  }

  /** The pod volume. Used by the hardened workloads. */
  public volume(): k8s.Volume {
    return this.renderVolume(this.name);
  }

  /** The main container's mount. Used by the hardened workloads. */
  public mount(): k8s.VolumeMount {
    return { name: this.name, mountPath: this.mountPath, readOnly: this.readOnly };
  }
}

function assertRelativeFileName(what: string, path: string): void {
  if (path === '' || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`${what} must be a relative path without '.', '..' or empty parts, got '${path}'`);
  }
}

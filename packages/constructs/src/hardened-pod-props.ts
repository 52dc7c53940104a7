import type { Duration, Size } from 'cdk8s';
import type { Cpu, EnvValue, ImagePullPolicy, k8s } from 'cdk8s-plus-27';
import type { AppArmorProfile } from './app-armor-profile.js';
import type { MountedVolume } from './mounted-volume.js';

/** One key of a Kubernetes Secret, mounted read-only as a file. The value never enters the YAML. */
export interface SecretFile {
  /** Name of the Secret (created out of band, never in the synthesized YAML). */
  readonly secretName: string;
  /** Key inside the Secret; becomes the file name. */
  readonly key: string;
}

/** Props shared by every hardened pod: HardenedDeployment, HardenedStatefulSet and HardenedJob. */
export interface HardenedPodProps {
  /**
   * `metadata.name` of the workload, its ServiceAccount and its `app` label (a DNS label).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of every object the construct creates.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Container image, preferably pinned by digest (`registry/name@sha256:…`). Required, non-empty. */
  readonly image: string;
  /**
   * When the kubelet pulls the image.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Overrides the image's ENTRYPOINT.
   * @default - the image's entrypoint
   */
  readonly command?: readonly string[];
  /**
   * Overrides the image's CMD.
   * @default - the image's command
   */
  readonly args?: readonly string[];
  /**
   * Environment variables: plain strings, or cdk8s-plus `EnvValue`s that read a ConfigMap key
   * (`EnvValue.fromConfigMap`), a pod field (`EnvValue.fromFieldRef(EnvFieldPaths.POD_NAME)`) or a
   * resource (`EnvValue.fromResource`). Never secret values: `EnvValue.fromSecretValue` is rejected
   * (use `secretFiles`), and so are names ending in PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY or
   * CREDENTIALS.
   * @default - none (add more with `addEnv`)
   */
  readonly env?: Readonly<Record<string, string | EnvValue>>;
  /**
   * Secret keys mounted read-only as files at `<secretsDirectory>/<secretName>/<key>`.
   * Get the path with `secretFilePath(secretName, key)` to pass it in a `*_FILE` variable.
   * @default - none (add more with `mountSecretFile`)
   */
  readonly secretFiles?: readonly SecretFile[];
  /**
   * Directory under which Secrets are mounted, one sub-directory per Secret.
   * @default '/var/run/secrets/app'
   */
  readonly secretsDirectory?: string;
  /**
   * More volumes for the main container: ConfigMaps, claims created elsewhere, audience-bound
   * ServiceAccount tokens (`MountedVolume.configMap(...)` etc.), all read-only by default.
   * @default - none
   */
  readonly volumes?: readonly MountedVolume[];
  /**
   * Writable directories besides `/tmp`, each backed by its own emptyDir
   * (the root filesystem is always read-only).
   * @default - only /tmp is writable
   */
  readonly writableDirectories?: readonly string[];
  /**
   * Size limit of each writable emptyDir; the pod is evicted when it is exceeded.
   * @default Size.mebibytes(64)
   */
  readonly writableDirectorySizeLimit?: Size;
  /**
   * CPU request of the container.
   * @default Cpu.millis(50)
   */
  readonly cpuRequest?: Cpu;
  /**
   * CPU limit of the container (CPU limits throttle; most clusters leave them unset).
   * @default - no CPU limit
   */
  readonly cpuLimit?: Cpu;
  /**
   * Memory request of the container.
   * @default Size.mebibytes(128)
   */
  readonly memoryRequest?: Size;
  /**
   * Memory limit of the container; must be >= memoryRequest.
   * @default Size.mebibytes(256)
   */
  readonly memoryLimit?: Size;
  /**
   * Numeric UID the container runs as; >= 10001 unless `allowLowIds` is set. Never 0.
   * @default 10001
   */
  readonly runAsUser?: number;
  /**
   * Numeric GID the container runs as; >= 10001 unless `allowLowIds` is set. Never 0.
   * @default 10001
   */
  readonly runAsGroup?: number;
  /**
   * Group that owns mounted volumes; >= 10001 unless `allowLowIds` is set. Never 0.
   * @default - the value of runAsGroup
   */
  readonly fsGroup?: number;
  /**
   * Relaxation: accept UIDs/GIDs 1-10000 (e.g. an upstream image whose user is baked in as 999).
   * Such IDs may collide with host users; 0 (root) is never accepted.
   * @default false
   */
  readonly allowLowIds?: boolean;
  /**
   * Relaxation: mount the ServiceAccount token into the pod (only for workloads that call the
   * Kubernetes API).
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * AppArmor profile of every container (pod `securityContext.appArmorProfile`, Kubernetes >= 1.30).
   * The kubelet refuses the pod on nodes without AppArmor; see `AppArmorProfile.notSpecified()`.
   * @default AppArmorProfile.runtimeDefault()
   */
  readonly appArmorProfile?: AppArmorProfile;
  /**
   * Run the pod in its own user namespace (`hostUsers: false`), so its UIDs map to unprivileged
   * IDs on the node. Needs Kubernetes >= 1.33 (earlier: the UserNamespacesSupport feature gate), a
   * runtime that supports it (containerd >= 2.0, CRI-O >= 1.25) and Linux >= 6.3 for volumes. Off by
   * default: a cluster without support drops the field silently or cannot start the pod.
   * @default false
   */
  readonly userNamespace?: boolean;
  /**
   * Secrets (type kubernetes.io/dockerconfigjson) the kubelet uses to pull the image.
   * @default - none (the node's or the ServiceAccount's credentials)
   */
  readonly imagePullSecrets?: readonly string[];
  /**
   * Node labels the pod may only be scheduled onto, e.g. `{ 'kubernetes.io/arch': 'amd64' }`.
   * @default - any node
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Node taints the pod tolerates.
   * @default - none
   */
  readonly tolerations?: readonly k8s.Toleration[];
  /**
   * Node affinity and pod (anti-)affinity.
   * @default - none (replicated workloads are spread by topologySpreadConstraints instead)
   */
  readonly affinity?: k8s.Affinity;
  /**
   * PriorityClass of the pod (its scheduling and eviction priority).
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * Time between SIGTERM and SIGKILL when the pod stops; must cover the app's graceful shutdown.
   * @default - Kubernetes' default, 30 seconds
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Extra labels on every object the construct creates (not `app`, which is the name).
   * @default - only `app: <name>`
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations on the pod template (e.g. service-mesh settings). Legacy seccomp and AppArmor
   * annotations are rejected (use `appArmorProfile`).
   * @default - none (add more with `addPodAnnotation`)
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
}

/** An init container that runs to completion before the main container, hardened identically. */
export interface InitContainerProps {
  /** Container name (a DNS label, unique in the pod). */
  readonly name: string;
  /**
   * Container image.
   * @default - the workload's image
   */
  readonly image?: string;
  /**
   * Overrides the image's ENTRYPOINT.
   * @default - the image's entrypoint
   */
  readonly command?: readonly string[];
  /**
   * Overrides the image's CMD.
   * @default - the image's command
   */
  readonly args?: readonly string[];
  /**
   * Plain environment variables (the main container's are not inherited).
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
}

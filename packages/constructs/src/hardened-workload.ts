import { Chart, JsonPatch, Size, type ApiObject } from 'cdk8s';
import {
  EnvValue,
  ImagePullPolicy,
  LabelSelector,
  k8s,
  type INetworkPolicyPeer,
  type IPodSelector,
  type NetworkPolicyPeerConfig,
  type PodSelectorConfig,
} from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AppArmorProfile } from './app-armor-profile.js';
import { addPatchAfterSerialization } from './late-json-patch.js';
import { type HardenedPodProps, type InitContainerProps, type SecretFile } from './hardened-pod-props.js';
import { assertAbsolutePath, assertDnsLabel, assertDnsSubdomain, assertNoReservedKeys } from './names.js';
import {
  containerSecurityContext,
  podSecurityContext,
  POD_ISOLATION,
  resolveIdentity,
  resolveResources,
  type PodIdentity,
} from './pod-hardening.js';
import type { MountedVolume } from './mounted-volume.js';
import { assertImage, assertPlainEnvName, assertSafePodAnnotation, envVar, renderEnv } from './pod-inputs.js';
import { resolveScheduling, type PodScheduling } from './pod-scheduling.js';
import { assertDistinctVolumes, secretFilePath, secretVolumes, writableVolumes } from './pod-volumes.js';
import type { IWorkload } from './workload.js';

/** Label key that selects a workload's pods; its value is the workload name. */
export const APP_LABEL = 'app';

/** What a concrete workload adds to the shared hardened pod template (internal to the package). */
export interface PodTemplateExtras {
  /** @default - no ports */
  readonly ports?: readonly k8s.ContainerPort[];
  /** @default - no readiness probe */
  readonly readinessProbe?: k8s.Probe;
  /** @default - no liveness probe */
  readonly livenessProbe?: k8s.Probe;
  /** @default - no startup probe */
  readonly startupProbe?: k8s.Probe;
  /** Mounts of volumes the controller provides (e.g. volumeClaimTemplates). @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /** @default - the controller's default (Always) */
  readonly restartPolicy?: string;
  /** @default - none */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
}

/**
 * Base of every hardened workload: one dedicated ServiceAccount, and a pod template that meets the
 * Pod Security Standards "restricted" profile. Subclasses add the controller object.
 */
export abstract class HardenedWorkload extends Construct implements IWorkload, IPodSelector, INetworkPolicyPeer {
  /** `metadata.name` of the workload, its ServiceAccount, and the value of its `app` label. */
  public readonly name: string;
  /** Labels selecting exactly this workload's pods (`app: <name>`). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** The workload's dedicated ServiceAccount (token not mounted unless relaxed). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** Name of the dedicated ServiceAccount (the identity a service mesh authorizes). */
  public readonly serviceAccountName: string;
  /** Image of the main container. */
  public readonly image: string;
  /** Directory under which Secrets are mounted. */
  public readonly secretsDirectory: string;

  /** Labels on every object of this workload. */
  protected readonly labels: Readonly<Record<string, string>>;
  private readonly explicitNamespace: string | undefined;
  private readonly imagePullPolicy: ImagePullPolicy;
  private readonly command: readonly string[] | undefined;
  private readonly args: readonly string[] | undefined;
  private readonly identity: PodIdentity;
  private readonly resources: k8s.ResourceRequirements;
  private readonly automountToken: boolean;
  private readonly writableDirectories: readonly string[];
  private readonly writableSizeLimit: Size;
  private readonly appArmorProfile: AppArmorProfile;
  private readonly userNamespace: boolean;
  private readonly scheduling: PodScheduling;
  private readonly volumes: readonly MountedVolume[];
  private readonly env = new Map<string, k8s.EnvVar>();
  private readonly secretFiles = new Map<string, SecretFile>();
  private readonly podAnnotations = new Map<string, string>();
  private readonly initContainers: InitContainerProps[] = [];

  protected constructor(scope: Construct, id: string, props: HardenedPodProps) {
    super(scope, id);
    this.name = props.name ?? id;
    assertDnsLabel(`name of ${this.node.path}`, this.name);
    if (props.namespace !== undefined) {
      assertDnsLabel('namespace', props.namespace);
    }
    assertImage(props.image);
    assertNoReservedKeys('labels', props.labels ?? {}, [APP_LABEL]);
    this.explicitNamespace = props.namespace;
    this.image = props.image;
    this.imagePullPolicy = props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;
    this.command = props.command;
    this.args = props.args;
    this.identity = resolveIdentity(props);
    this.resources = resolveResources(props);
    this.automountToken = props.automountServiceAccountToken ?? false;
    this.secretsDirectory = props.secretsDirectory ?? '/var/run/secrets/app';
    assertAbsolutePath('secretsDirectory', this.secretsDirectory);
    this.writableDirectories = ['/tmp', ...(props.writableDirectories ?? [])];
    this.writableDirectories.forEach((dir) => assertAbsolutePath('writableDirectories entry', dir));
    this.writableSizeLimit = props.writableDirectorySizeLimit ?? Size.mebibytes(64);
    this.volumes = [...(props.volumes ?? [])];
    this.appArmorProfile = props.appArmorProfile ?? AppArmorProfile.runtimeDefault();
    this.userNamespace = props.userNamespace ?? false;
    this.scheduling = resolveScheduling(props);
    this.selectorLabels = { [APP_LABEL]: this.name };
    this.labels = { ...props.labels, ...this.selectorLabels };
    this.serviceAccountName = this.name;
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: this.metadata(this.serviceAccountName),
      automountServiceAccountToken: this.automountToken,
    });
    Object.entries(props.env ?? {}).forEach(([key, value]) => this.addEnv(key, value));
    (props.secretFiles ?? []).forEach((file) => this.mountSecretFile(file));
    Object.entries(props.podAnnotations ?? {}).forEach(([key, value]) => this.addPodAnnotation(key, value));
  }

  /** Namespace of the pods; `undefined` means the namespace `kubectl apply` targets. */
  public get namespace(): string | undefined {
    return this.explicitNamespace ?? Chart.of(this).namespace;
  }

  /**
   * Adds an environment variable to the main container: a plain value, or a cdk8s-plus `EnvValue`
   * reading a ConfigMap key, a pod field or a resource. Never secret values (use `mountSecretFile`).
   */
  public addEnv(name: string, value: string | EnvValue): void {
    assertPlainEnvName(name);
    if (this.env.has(name)) {
      throw new Error(`environment variable '${name}' is already set on ${this.name}; set it once`);
    }
    this.env.set(name, envVar(name, value));
  }

  /**
   * Mounts one Secret key read-only into the main container and returns the file's path,
   * e.g. to inject it as `DATABASE_PASSWORD_FILE`. Mounting the same key twice returns the same path.
   */
  public mountSecretFile(file: SecretFile): string {
    assertDnsSubdomain('secretName', file.secretName);
    if (!/^[-._a-zA-Z0-9]+$/.test(file.key) || file.key === '.' || file.key === '..') {
      throw new Error(`secret key must consist of letters, digits, '-', '_' or '.', got '${file.key}'`);
    }
    const path = secretFilePath(this.secretsDirectory, file);
    this.secretFiles.set(path, file);
    return path;
  }

  /** Path of a Secret key mounted with `secretFiles` or `mountSecretFile`; throws if it is not mounted. */
  public secretFilePath(secretName: string, key: string): string {
    const path = secretFilePath(this.secretsDirectory, { secretName, key });
    if (!this.secretFiles.has(path)) {
      throw new Error(
        `secret '${secretName}' key '${key}' is not mounted on ${this.name}; ` +
          `add it to secretFiles or call mountSecretFile first`,
      );
    }
    return path;
  }

  /** Adds an annotation to the pod template (e.g. `linkerd.io/inject`). */
  public addPodAnnotation(key: string, value: string): void {
    assertSafePodAnnotation(key, value);
    if (this.podAnnotations.has(key)) {
      throw new Error(`pod annotation '${key}' is already set on ${this.name}; set it once`);
    }
    this.podAnnotations.set(key, value);
  }

  /** Adds an init container with the same hardening, resources and writable directories. */
  public addInitContainer(props: InitContainerProps): void {
    assertDnsLabel('init container name', props.name);
    if (props.name === this.name || this.initContainers.some((c) => c.name === props.name)) {
      throw new Error(`container name '${props.name}' is already used in ${this.name}; pick another name`);
    }
    assertImage(props.image ?? this.image);
    Object.keys(props.env ?? {}).forEach(assertPlainEnvName);
    this.initContainers.push(props);
  }

  /** cdk8s-plus `IPodSelector`: lets a cdk8s-plus Service or NetworkPolicy select this workload's pods. */
  public toPodSelectorConfig(): PodSelectorConfig {
    const namespace = this.namespace;
    return {
      labelSelector: LabelSelector.of({ labels: { ...this.selectorLabels } }),
      namespaces: namespace === undefined ? undefined : { names: [namespace] },
    };
  }

  /** cdk8s-plus `INetworkPolicyPeer`: this workload's pods as a peer of a cdk8s-plus NetworkPolicy. */
  public toNetworkPolicyPeerConfig(): NetworkPolicyPeerConfig {
    return { podSelector: this.toPodSelectorConfig() };
  }

  /** cdk8s-plus `INetworkPolicyPeer`: the pod selector behind the peer (this workload). */
  public toPodSelector(): IPodSelector {
    return this;
  }

  /** metadata for an object of this workload with the given name. */
  protected metadata(name: string): k8s.ObjectMeta {
    return { name, namespace: this.explicitNamespace, labels: { ...this.labels } };
  }

  /**
   * Adds what cdk8s-plus-27's generated types cannot express to the controller object: the pod's
   * AppArmor profile (a Kubernetes 1.30 field). Subclasses call it once with their `Resource`.
   * @param templatePath JSON pointer of the pod template inside the object
   */
  protected patchPodTemplate(resource: ApiObject, templatePath = '/spec/template'): void {
    const appArmor = this.appArmorProfile.field;
    if (appArmor !== undefined) {
      addPatchAfterSerialization(resource, JsonPatch.add(`${templatePath}/spec/securityContext/appArmorProfile`, { ...appArmor }));
    }
  }

  /** Renders the hardened pod template; called lazily at synthesis time. */
  protected renderPodTemplate(extras: PodTemplateExtras): k8s.PodTemplateSpec {
    const writable = writableVolumes(this.writableDirectories, this.writableSizeLimit);
    const secrets = secretVolumes(this.secretFiles.values(), this.secretsDirectory);
    const controllerMounts = extras.volumeMounts ?? [];
    const mounts = [...writable.mounts, ...secrets.mounts, ...this.volumes.map((v) => v.mount()), ...controllerMounts];
    const volumes = [...writable.volumes, ...secrets.volumes, ...this.volumes.map((v) => v.volume())];
    assertDistinctVolumes([...volumes, ...controllerMounts].map((v) => v.name), mounts);
    const annotations = this.podAnnotations.size === 0 ? undefined : Object.fromEntries(this.podAnnotations);
    return {
      metadata: { labels: { ...this.labels }, annotations },
      spec: {
        serviceAccountName: this.serviceAccountName,
        automountServiceAccountToken: this.automountToken,
        ...POD_ISOLATION,
        hostUsers: this.userNamespace ? false : undefined,
        securityContext: podSecurityContext(this.identity),
        ...this.scheduling,
        restartPolicy: extras.restartPolicy,
        topologySpreadConstraints: extras.topologySpreadConstraints ? [...extras.topologySpreadConstraints] : undefined,
        initContainers:
          this.initContainers.length === 0 ? undefined : this.initContainers.map((c) => this.container(c, writable.mounts)),
        containers: [
          {
            ...this.container({ name: this.name, command: this.command, args: this.args }, mounts),
            env: renderEnv([...this.env.values()]),
            ports: extras.ports && extras.ports.length > 0 ? [...extras.ports] : undefined,
            readinessProbe: extras.readinessProbe,
            livenessProbe: extras.livenessProbe,
            startupProbe: extras.startupProbe,
          },
        ],
        volumes,
      },
    };
  }

  private container(props: InitContainerProps, volumeMounts: readonly k8s.VolumeMount[]): k8s.Container {
    return {
      name: props.name,
      image: props.image ?? this.image,
      imagePullPolicy: this.imagePullPolicy,
      command: props.command ? [...props.command] : undefined,
      args: props.args ? [...props.args] : undefined,
      env: props.env ? renderEnv(Object.entries(props.env).map(([name, value]) => envVar(name, value))) : undefined,
      resources: this.resources,
      securityContext: containerSecurityContext(this.identity),
      volumeMounts: [...volumeMounts],
    };
  }
}

import { Lazy } from 'cdk8s';
import { Protocol, k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { HardenedPodProps } from './hardened-pod-props.js';
import { HardenedWorkload, type PodTemplateExtras } from './hardened-workload.js';
import { assertPortNumber } from './port.js';
import type { HealthProbe } from './health-probe.js';
import { WorkloadService, type ExposeOptions } from './workload-service.js';
import type { WorkloadPort, IServableWorkload } from './workload.js';

/** Props shared by long-running, replicated workloads (HardenedDeployment, HardenedStatefulSet). */
export interface ServingWorkloadProps extends HardenedPodProps {
  /**
   * Ports the main container listens on.
   * @default - none
   */
  readonly ports?: readonly WorkloadPort[];
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Create a PodDisruptionBudget (maxUnavailable 1). Requires replicas >= 2.
   * @default - true when replicas >= 2
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * Let a node drain evict pods that are not ready even when the PodDisruptionBudget is exhausted
   * (`unhealthyPodEvictionPolicy: AlwaysAllow`): when a dependency is down every pod is unready, and
   * the default policy would block every drain. Set false for workloads whose unready pods must not
   * be evicted (e.g. a quorum member still catching up).
   * @default true
   */
  readonly evictUnhealthyPods?: boolean;
  /**
   * Spread pods across nodes and zones (topologySpreadConstraints, maxSkew 1, ScheduleAnyway).
   * Requires replicas >= 2.
   * @default - true when replicas >= 2
   */
  readonly spreadAcrossNodes?: boolean;
  /**
   * Readiness probe; use `HealthProbe.httpGet(path, { hostHeader })` for servers that check Host.
   * @default - no readiness probe
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * Liveness probe.
   * @default - no liveness probe
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * Startup probe for slow starters.
   * @default - no startup probe
   */
  readonly startupProbe?: HealthProbe;
}

/** Base of HardenedDeployment and HardenedStatefulSet: ports, probes, replicas, PDB, spreading. */
export abstract class ServingWorkload extends HardenedWorkload implements IServableWorkload {
  /** The main container's ports. */
  public readonly containerPorts: readonly WorkloadPort[];
  /** Number of pods. */
  public readonly replicas: number;
  /** The PodDisruptionBudget, when one was created. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  private readonly spread: boolean;
  private readonly probes: Pick<ServingWorkloadProps, 'readinessProbe' | 'livenessProbe' | 'startupProbe'>;

  protected constructor(scope: Construct, id: string, props: ServingWorkloadProps) {
    super(scope, id, props);
    this.containerPorts = validatePorts(props.ports ?? []);
    this.replicas = props.replicas ?? 1;
    if (!Number.isInteger(this.replicas) || this.replicas < 0) {
      throw new Error(`replicas must be a non-negative integer, got ${this.replicas}`);
    }
    const highlyAvailable = this.replicas >= 2;
    const wantsPdb = props.podDisruptionBudget ?? highlyAvailable;
    this.spread = props.spreadAcrossNodes ?? highlyAvailable;
    for (const [prop, wanted] of [['podDisruptionBudget', wantsPdb], ['spreadAcrossNodes', this.spread]] as const) {
      if (wanted && !highlyAvailable) {
        throw new Error(
          `replicas must be >= 2 when ${prop} is requested, got ${this.replicas}; raise replicas or drop ${prop}`,
        );
      }
    }
    this.probes = { readinessProbe: props.readinessProbe, livenessProbe: props.livenessProbe, startupProbe: props.startupProbe };
    if (wantsPdb) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: this.metadata(this.name),
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: { ...this.selectorLabels } },
          unhealthyPodEvictionPolicy: (props.evictUnhealthyPods ?? true) ? 'AlwaysAllow' : 'IfHealthyBudget',
        },
      });
    }
  }

  /**
   * Creates a Service whose selector and targetPort come from this workload.
   * @returns the Service, to reference from an Ingress or to learn its DNS name
   */
  public exposeViaService(options: ExposeOptions): WorkloadService {
    return new WorkloadService(this, `Service-${options.name}`, { ...options, workload: this });
  }

  /**
   * The pod template with ports, probes and spreading; rendered lazily.
   * @param extras mounts of controller-provided volumes
   * @param revisionLabelKey label the controller puts on each revision's pods (Deployment:
   *   `pod-template-hash`), so spreading counts only pods of the same revision during a rollout
   */
  protected servingPodTemplate(extras: Pick<PodTemplateExtras, 'volumeMounts'> = {}, revisionLabelKey?: string): k8s.PodTemplateSpec {
    return Lazy.any({
      produce: () => {
        return this.renderPodTemplate({
          ...extras,
          ports: this.containerPorts.map((p) => ({ name: p.name, containerPort: p.number, protocol: p.protocol ?? Protocol.TCP })),
          readinessProbe: this.probes.readinessProbe?.render(this.containerPorts),
          livenessProbe: this.probes.livenessProbe?.render(this.containerPorts),
          startupProbe: this.probes.startupProbe?.render(this.containerPorts),
          topologySpreadConstraints: this.spread ? this.spreadConstraints(revisionLabelKey) : undefined,
        });
      },
    }) as k8s.PodTemplateSpec;
  }

  private spreadConstraints(revisionLabelKey: string | undefined): k8s.TopologySpreadConstraint[] {
    return ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...this.selectorLabels } },
      matchLabelKeys: revisionLabelKey === undefined ? undefined : [revisionLabelKey],
    }));
  }
}

function validatePorts(ports: readonly WorkloadPort[]): readonly WorkloadPort[] {
  const names = new Set<string>();
  const numbers = new Set<string>();
  for (const port of ports) {
    if (port.name.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(port.name) || !/[a-z]/.test(port.name)) {
      throw new Error(`container port name must be 1-15 lower-case letters, digits or '-' with a letter, got '${port.name}'`);
    }
    assertPortNumber(`container port '${port.name}'`, port.number);
    const key = `${port.protocol ?? Protocol.TCP}/${port.number}`;
    if (names.has(port.name) || numbers.has(key)) {
      throw new Error(`container port '${port.name}' (${key}) is declared twice; declare each port once`);
    }
    names.add(port.name);
    numbers.add(key);
  }
  return [...ports];
}

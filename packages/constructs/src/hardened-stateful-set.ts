import { JsonPatch, type Size } from 'cdk8s';
import { Protocol, k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { addPatchAfterSerialization } from './late-json-patch.js';
import { assertAbsolutePath, assertDnsLabel, assertServiceName } from './names.js';
import { ServingWorkload, type ServingWorkloadProps } from './serving-workload.js';

/** A PersistentVolumeClaim template: one ReadWriteOnce volume per pod. */
export interface VolumeClaim {
  /** Name of the claim template and of the volume (a DNS label). */
  readonly name: string;
  /** Where the volume is mounted in the main container. */
  readonly mountPath: string;
  /** Requested storage size. */
  readonly storage: Size;
  /**
   * StorageClass to provision from.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** What happens to a StatefulSet's PersistentVolumeClaims (`persistentVolumeClaimRetentionPolicy`). */
export enum VolumeClaimRetention {
  /** Keep the claims and their data (the volume outlives the pod and the StatefulSet). */
  RETAIN = 'Retain',
  /** Delete the claims, and with most StorageClasses the data. */
  DELETE = 'Delete',
}

/** Props of HardenedStatefulSet. */
export interface HardenedStatefulSetProps extends ServingWorkloadProps {
  /**
   * Persistent volumes, one ReadWriteOnce claim per pod each.
   * @default - none
   */
  readonly volumeClaims?: readonly VolumeClaim[];
  /**
   * What happens to the claims when the StatefulSet is deleted (e.g. by a GitOps prune or a
   * renamed construct).
   * @default VolumeClaimRetention.RETAIN
   */
  readonly volumeClaimsWhenDeleted?: VolumeClaimRetention;
  /**
   * What happens to the claims of the pods removed when the StatefulSet is scaled down.
   * @default VolumeClaimRetention.RETAIN
   */
  readonly volumeClaimsWhenScaled?: VolumeClaimRetention;
  /**
   * Name of the headless Service that gives the pods stable DNS names (`spec.serviceName`).
   * @default - `<name>-headless`
   */
  readonly headlessServiceName?: string;
  /**
   * Create the headless Service. Set false only when it is created elsewhere.
   * @default true
   */
  readonly createHeadlessService?: boolean;
}

/**
 * A StatefulSet with the same hardened pod template as HardenedDeployment, plus
 * volumeClaimTemplates and a headless governing Service. The StatefulSet object has id `Resource`.
 */
export class HardenedStatefulSet extends ServingWorkload {
  /** The StatefulSet object. */
  public readonly resource: k8s.KubeStatefulSet;
  /** Name of the governing headless Service (`spec.serviceName`). */
  public readonly headlessServiceName: string;
  /** The headless Service, unless createHeadlessService was false. */
  public readonly headlessService?: k8s.KubeService;

  public constructor(scope: Construct, id: string, props: HardenedStatefulSetProps) {
    super(scope, id, props);
    const claims = props.volumeClaims ?? [];
    claims.forEach((claim) => {
      assertDnsLabel('volume claim name', claim.name);
      assertAbsolutePath(`mountPath of volume claim '${claim.name}'`, claim.mountPath);
      if (claim.storage.toKibibytes() <= 0) {
        throw new Error(`storage of volume claim '${claim.name}' must be positive, got ${claim.storage.asString()}`);
      }
    });
    this.headlessServiceName = props.headlessServiceName ?? `${this.name}-headless`;
    assertServiceName('headlessServiceName', this.headlessServiceName);
    if (props.createHeadlessService ?? true) {
      this.headlessService = new k8s.KubeService(this, 'HeadlessService', {
        metadata: this.metadata(this.headlessServiceName),
        spec: {
          clusterIp: 'None',
          selector: { ...this.selectorLabels },
          ports: this.containerPorts.map((p) => ({
            name: p.name,
            port: p.number,
            protocol: p.protocol ?? Protocol.TCP,
            targetPort: k8s.IntOrString.fromString(p.name),
          })),
        },
      });
    }
    this.resource = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: this.metadata(this.name),
      spec: {
        replicas: this.replicas,
        serviceName: this.headlessServiceName,
        selector: { matchLabels: { ...this.selectorLabels } },
        template: this.servingPodTemplate({
          volumeMounts: claims.map((claim) => ({ name: claim.name, mountPath: claim.mountPath })),
        }),
        persistentVolumeClaimRetentionPolicy:
          claims.length === 0
            ? undefined
            : {
                whenDeleted: props.volumeClaimsWhenDeleted ?? VolumeClaimRetention.RETAIN,
                whenScaled: props.volumeClaimsWhenScaled ?? VolumeClaimRetention.RETAIN,
              },
        volumeClaimTemplates: claims.map((claim) => ({
          metadata: { name: claim.name, labels: { ...this.labels } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: claim.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(claim.storage.asString()) } },
          },
        })),
      },
    });
    this.patchPodTemplate(this.resource);
    // The generated type has no apiVersion/kind on claim templates; without them Argo CD compares
    // the template with the defaulted live object and reports the StatefulSet OutOfSync forever.
    claims.forEach((_, index) => {
      addPatchAfterSerialization(
        this.resource,
        JsonPatch.add(`/spec/volumeClaimTemplates/${index}/apiVersion`, 'v1'),
        JsonPatch.add(`/spec/volumeClaimTemplates/${index}/kind`, 'PersistentVolumeClaim'),
      );
    });
  }
}

import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { RolloutStrategy } from './rollout-strategy.js';
import { ServingWorkload, type ServingWorkloadProps } from './serving-workload.js';

/** Label the Deployment controller puts on each ReplicaSet's pods; distinguishes rollout revisions. */
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Props of HardenedDeployment. */
export interface HardenedDeploymentProps extends ServingWorkloadProps {
  /**
   * How pods are replaced when the template changes.
   * @default - Kubernetes' default: RollingUpdate with maxSurge and maxUnavailable 25%
   */
  readonly strategy?: RolloutStrategy;
}

/**
 * A Deployment whose pods meet the Pod Security Standards "restricted" profile, run under a
 * dedicated ServiceAccount without a token, and get a PodDisruptionBudget and topology spreading
 * when replicated (spreading counts only the pods of the same revision, `matchLabelKeys:
 * [pod-template-hash]`, so a rollout cannot skew the new pods onto few nodes). The Deployment
 * object has id `Resource`.
 */
export class HardenedDeployment extends ServingWorkload {
  /** The Deployment object (escape hatch: `ApiObject.of(this.resource).addJsonPatch(...)`). */
  public readonly resource: k8s.KubeDeployment;

  public constructor(scope: Construct, id: string, props: HardenedDeploymentProps) {
    super(scope, id, props);
    this.resource = new k8s.KubeDeployment(this, 'Resource', {
      metadata: this.metadata(this.name),
      spec: {
        replicas: this.replicas,
        strategy: props.strategy?.spec,
        selector: { matchLabels: { ...this.selectorLabels } },
        template: this.servingPodTemplate({}, POD_TEMPLATE_HASH_LABEL),
      },
    });
    this.patchPodTemplate(this.resource);
  }
}

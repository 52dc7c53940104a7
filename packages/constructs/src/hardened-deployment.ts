import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { ServingWorkload, type ServingWorkloadProps } from './serving-workload.js';

/** Props of HardenedDeployment. */
export interface HardenedDeploymentProps extends ServingWorkloadProps {}

/**
 * A Deployment whose pods meet the Pod Security Standards "restricted" profile, run under a
 * dedicated ServiceAccount without a token, and get a PodDisruptionBudget and topology spreading
 * when replicated. The Deployment object has id `Resource`.
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
        selector: { matchLabels: { ...this.selectorLabels } },
        template: this.servingPodTemplate(),
      },
    });
  }
}

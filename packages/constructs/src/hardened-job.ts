import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { HardenedPodProps } from './hardened-pod-props.js';
import { HardenedWorkload } from './hardened-workload.js';

/** What the kubelet does when a Job's container fails. */
export enum JobRestartPolicy {
  /** Restart the container in the same pod (counts towards backoffLimit). */
  ON_FAILURE = 'OnFailure',
  /** Start a new pod; failed pods stay for inspection. */
  NEVER = 'Never',
}

/** Props of HardenedJob. */
export interface HardenedJobProps extends HardenedPodProps {
  /**
   * Retries before the Job is marked failed.
   * @default 3
   */
  readonly backoffLimit?: number;
  /**
   * Seconds after which a finished Job (and its pods and logs) is deleted.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Seconds the Job may run in total before it is terminated.
   * @default 600
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * What happens when the container fails.
   * @default JobRestartPolicy.NEVER
   */
  readonly restartPolicy?: JobRestartPolicy;
}

/**
 * A run-to-completion Job (e.g. a database migration) with the same hardened pod template and
 * dedicated ServiceAccount as HardenedDeployment. The Job object has id `Resource`.
 */
export class HardenedJob extends HardenedWorkload {
  /** The Job object. */
  public readonly resource: k8s.KubeJob;

  public constructor(scope: Construct, id: string, props: HardenedJobProps) {
    super(scope, id, props);
    const backoffLimit = props.backoffLimit ?? 3;
    const ttlSecondsAfterFinished = props.ttlSecondsAfterFinished ?? 3600;
    const activeDeadlineSeconds = props.activeDeadlineSeconds ?? 600;
    assertCount('backoffLimit', backoffLimit, 0);
    assertCount('ttlSecondsAfterFinished', ttlSecondsAfterFinished, 0);
    assertCount('activeDeadlineSeconds', activeDeadlineSeconds, 1);
    const restartPolicy = props.restartPolicy ?? JobRestartPolicy.NEVER;
    this.resource = new k8s.KubeJob(this, 'Resource', {
      metadata: this.metadata(this.name),
      spec: {
        backoffLimit,
        ttlSecondsAfterFinished,
        activeDeadlineSeconds,
        template: Lazy.any({ produce: () => this.renderPodTemplate({ restartPolicy }) }) as k8s.PodTemplateSpec,
      },
    });
  }
}

function assertCount(field: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${field} must be an integer >= ${minimum}, got ${value}`);
  }
}

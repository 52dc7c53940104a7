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

/** The Job controller's back-off before re-creating a failed pod: 10 s, doubling, at most 6 minutes. */
const POD_FAILURE_BACKOFF = { initialSeconds: 10, maxSeconds: 360 };
/** The kubelet's back-off before restarting a failed container in place: 10 s, doubling, at most 5 minutes. */
const CONTAINER_RESTART_BACKOFF = { initialSeconds: 10, maxSeconds: 300 };

/**
 * Seconds a Job spends waiting between its attempts when every attempt fails: the sum of the
 * exponential back-off delays before each of its `backoffLimit` retries.
 */
export function jobBackoffSeconds(backoffLimit: number, restartPolicy: JobRestartPolicy = JobRestartPolicy.NEVER): number {
  const { initialSeconds, maxSeconds } = restartPolicy === JobRestartPolicy.NEVER ? POD_FAILURE_BACKOFF : CONTAINER_RESTART_BACKOFF;
  let total = 0;
  for (let retry = 0; retry < backoffLimit; retry++) {
    total += Math.min(initialSeconds * 2 ** retry, maxSeconds);
  }
  return total;
}

/** Props of HardenedJob. */
export interface HardenedJobProps extends HardenedPodProps {
  /**
   * Retries before the Job is marked failed. The back-off between attempts (10 s, doubling, see
   * `jobBackoffSeconds`) must fit inside `activeDeadlineSeconds`, or the last retries could never run.
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
    const backoff = jobBackoffSeconds(backoffLimit, restartPolicy);
    if (backoff >= activeDeadlineSeconds) {
      throw new Error(
        `backoffLimit ${backoffLimit} waits ${backoff} s between attempts, which does not fit in ` +
          `activeDeadlineSeconds ${activeDeadlineSeconds}: the last retries could never run; ` +
          `lower backoffLimit or raise activeDeadlineSeconds above ${backoff} s plus the time the attempts take`,
      );
    }
    this.resource = new k8s.KubeJob(this, 'Resource', {
      metadata: this.metadata(this.name),
      spec: {
        backoffLimit,
        ttlSecondsAfterFinished,
        activeDeadlineSeconds,
        template: Lazy.any({ produce: () => this.renderPodTemplate({ restartPolicy }) }) as k8s.PodTemplateSpec,
      },
    });
    this.patchPodTemplate(this.resource);
  }
}

function assertCount(field: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${field} must be an integer >= ${minimum}, got ${value}`);
  }
}

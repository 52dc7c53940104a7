import { k8s, type PercentOrAbsolute } from 'cdk8s-plus-27';

/** Options of `RolloutStrategy.rollingUpdate`. */
export interface RollingUpdateOptions {
  /**
   * Pods that may be created above the desired count during a rollout (cdk8s-plus's `PercentOrAbsolute`).
   * @default PercentOrAbsolute.percent(25)
   */
  readonly maxSurge?: PercentOrAbsolute;
  /**
   * Pods that may be unavailable during a rollout.
   * @default PercentOrAbsolute.percent(25)
   */
  readonly maxUnavailable?: PercentOrAbsolute;
}

/** How a HardenedDeployment replaces its pods when the template changes. */
export class RolloutStrategy {
  /** Replace pods gradually; both limits cannot be zero at once. */
  public static rollingUpdate(options: RollingUpdateOptions = {}): RolloutStrategy {
    if (options.maxSurge?.isZero() === true && options.maxUnavailable?.isZero() === true) {
      throw new Error('maxSurge and maxUnavailable must not both be zero: the rollout could never make progress');
    }
    const toKube = (value: PercentOrAbsolute | undefined) =>
      value === undefined
        ? undefined
        : typeof value.value === 'number'
          ? k8s.IntOrString.fromNumber(value.value)
          : k8s.IntOrString.fromString(String(value.value));
    return new RolloutStrategy({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: toKube(options.maxSurge), maxUnavailable: toKube(options.maxUnavailable) },
    });
  }

  /** Stop every old pod before starting new ones (for apps that cannot run two versions at once). */
  public static recreate(): RolloutStrategy {
    return new RolloutStrategy({ type: 'Recreate' });
  }

  private constructor(
    /** The rendered `spec.strategy`. */
    public readonly spec: k8s.DeploymentStrategy,
  ) {}
}

// Internal: where and how a hardened pod is scheduled and pulled (validated props -> PodSpec fields).
import type { k8s } from 'cdk8s-plus-27';
import type { HardenedPodProps } from './hardened-pod-props.js';
import { assertDnsSubdomain } from './names.js';

/** The PodSpec fields that scheduling and image-pull props render to. */
export type PodScheduling = Readonly<
  Pick<
    k8s.PodSpec,
    'imagePullSecrets' | 'nodeSelector' | 'tolerations' | 'affinity' | 'priorityClassName' | 'terminationGracePeriodSeconds'
  >
>;

export function resolveScheduling(props: HardenedPodProps): PodScheduling {
  (props.imagePullSecrets ?? []).forEach((name) => assertDnsSubdomain('imagePullSecrets entry', name));
  if (props.priorityClassName !== undefined) assertDnsSubdomain('priorityClassName', props.priorityClassName);
  for (const toleration of props.tolerations ?? []) {
    if (toleration.key === undefined || toleration.key === '') {
      throw new Error(
        `a toleration without a key tolerates every taint (operator ${toleration.operator ?? 'Equal'}), ` +
          `including those that keep apps off control-plane nodes; name the taint's key`,
      );
    }
  }
  let terminationGracePeriodSeconds: number | undefined;
  if (props.terminationGracePeriod !== undefined) {
    terminationGracePeriodSeconds = props.terminationGracePeriod.toSeconds();
    if (!Number.isInteger(terminationGracePeriodSeconds) || terminationGracePeriodSeconds < 0) {
      throw new Error(`terminationGracePeriod must be whole seconds >= 0, got ${terminationGracePeriodSeconds}`);
    }
  }
  const nodeSelector = props.nodeSelector === undefined ? undefined : { ...props.nodeSelector };
  return {
    imagePullSecrets: props.imagePullSecrets?.map((name) => ({ name })),
    nodeSelector: nodeSelector !== undefined && Object.keys(nodeSelector).length > 0 ? nodeSelector : undefined,
    tolerations: props.tolerations?.length ? [...props.tolerations] : undefined,
    affinity: props.affinity,
    priorityClassName: props.priorityClassName,
    terminationGracePeriodSeconds,
  };
}

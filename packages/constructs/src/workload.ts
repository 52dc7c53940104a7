import type { IConstruct } from 'constructs';
import type { Protocol } from 'cdk8s-plus-27';

/**
 * Anything that runs pods selected by a fixed set of labels: the peer a NetworkPolicy
 * rule or a Service selector refers to, so labels are never retyped.
 */
export interface IWorkload extends IConstruct {
  /** `metadata.name` of the workload (also its ServiceAccount and `app` label). */
  readonly name: string;
  /** Namespace the pods run in; `undefined` means the namespace `kubectl apply` targets. */
  readonly namespace: string | undefined;
  /** Labels that select exactly this workload's pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;
}

/** A named port the workload's main container listens on. */
export interface WorkloadPort {
  /** Port name (at most 15 lower-case letters, digits or '-'), e.g. `http`. */
  readonly name: string;
  /** Port number, 1-65535. */
  readonly number: number;
  /**
   * Transport protocol.
   * @default Protocol.TCP
   */
  readonly protocol?: Protocol;
}

/** A workload that listens on ports and can therefore sit behind a Service. */
export interface IServableWorkload extends IWorkload {
  /** The main container's ports, in declaration order. */
  readonly containerPorts: readonly WorkloadPort[];
}

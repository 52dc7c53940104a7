import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { assertDnsLabel } from './names.js';
import { renderLimitRange, renderQuota, type ContainerLimitRange, type NamespaceResourceQuota } from './namespace-budget.js';
import { NAMESPACE_NAME_LABEL, type INamedNamespace } from './namespace-peer.js';

/** A Pod Security Standards level, as used by Pod Security Admission. */
export enum PodSecurityLevel {
  /** Hardened: non-root, no privilege escalation, ALL capabilities dropped, seccomp. */
  RESTRICTED = 'restricted',
  /** Prevents known privilege escalations; allows e.g. running as root. */
  BASELINE = 'baseline',
  /** Unrestricted (needed, e.g., by Linkerd's NET_ADMIN init container without linkerd-cni). */
  PRIVILEGED = 'privileged',
}

/** Props of HardenedNamespace. */
export interface HardenedNamespaceProps {
  /**
   * Name of the namespace.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Level Pod Security Admission enforces (pods violating it are rejected).
   * Relax only for a documented reason, e.g. Linkerd's init container without linkerd-cni.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly enforce?: PodSecurityLevel;
  /**
   * Level violations of which are recorded in the audit log.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly audit?: PodSecurityLevel;
  /**
   * Level violations of which are returned to the client as warnings.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly warn?: PodSecurityLevel;
  /**
   * Pod Security Standards version all three modes are pinned to, so a cluster upgrade cannot
   * silently change the rules (`latest` is rejected).
   * @default 'v1.27'
   */
  readonly podSecurityVersion?: string;
  /**
   * Extra labels (the `name`, `kubernetes.io/metadata.name` and Pod Security labels are set by the construct).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations, e.g. `{ 'linkerd.io/inject': 'enabled' }`.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Relaxation: let pods that run as the namespace's `default` ServiceAccount (any pod that names no
   * other) mount its API token. By default the construct declares that ServiceAccount with
   * `automountServiceAccountToken: false`.
   * @default false
   */
  readonly automountDefaultServiceAccountToken?: boolean;
  /**
   * Totals for the whole namespace (a ResourceQuota named `<name>-quota`). Values depend on the
   * cluster and the apps, so there is none unless you set one.
   * @default - no ResourceQuota
   */
  readonly resourceQuota?: NamespaceResourceQuota;
  /**
   * Per-container defaults and ceilings (a LimitRange named `<name>-limits`).
   * @default - no LimitRange
   */
  readonly limitRange?: ContainerLimitRange;
}

const PSA_PREFIX = 'pod-security.kubernetes.io';

/**
 * A Namespace labelled for Pod Security Admission (restricted by default, version pinned) and for
 * NetworkPolicy namespace selectors. Never carries a namespace itself. The object has id `Resource`.
 */
export class HardenedNamespace extends Construct implements INamedNamespace {
  /** Name of the namespace. */
  public readonly name: string;
  /** Every label on the namespace. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Namespace object. */
  public readonly resource: k8s.KubeNamespace;
  /** The namespace's `default` ServiceAccount, declared without a token (unless relaxed). */
  public readonly defaultServiceAccount?: k8s.KubeServiceAccount;
  /** The ResourceQuota, when `resourceQuota` was set. */
  public readonly resourceQuota?: k8s.KubeResourceQuota;
  /** The LimitRange, when `limitRange` was set. */
  public readonly limitRange?: k8s.KubeLimitRange;

  public constructor(scope: Construct, id: string, props: HardenedNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? id;
    assertDnsLabel('namespace name', this.name);
    const version = props.podSecurityVersion ?? 'v1.27';
    if (!/^v1\.\d+$/.test(version)) {
      throw new Error(`podSecurityVersion must be pinned like 'v1.27', got '${version}'`);
    }
    const modes = {
      enforce: props.enforce ?? PodSecurityLevel.RESTRICTED,
      audit: props.audit ?? PodSecurityLevel.RESTRICTED,
      warn: props.warn ?? PodSecurityLevel.RESTRICTED,
    };
    const podSecurityLabels = Object.fromEntries(
      Object.entries(modes).flatMap(([mode, level]) => [
        [`${PSA_PREFIX}/${mode}`, level],
        [`${PSA_PREFIX}/${mode}-version`, version],
      ]),
    );
    const owned = ['name', NAMESPACE_NAME_LABEL, ...Object.keys(podSecurityLabels)];
    const clash = Object.keys(props.labels ?? {}).find((key) => owned.includes(key));
    if (clash !== undefined) {
      throw new Error(`labels must not set '${clash}': HardenedNamespace derives it; use the matching prop instead`);
    }
    this.labels = { ...props.labels, name: this.name, [NAMESPACE_NAME_LABEL]: this.name, ...podSecurityLabels };
    this.resource = new k8s.KubeNamespace(this, 'Resource', {
      metadata: { name: this.name, labels: { ...this.labels }, annotations: props.annotations ? { ...props.annotations } : undefined },
    });
    // cdk8s stamps the chart's namespace onto every object; a Namespace is cluster-scoped.
    if (Chart.of(this).namespace !== undefined) {
      ApiObject.of(this.resource).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    const inside = (name: string): k8s.ObjectMeta => ({ name, namespace: this.name });
    if (!(props.automountDefaultServiceAccountToken ?? false)) {
      // Kubernetes creates `default` in every namespace with a mountable token; applying this
      // object switches that off for every pod that does not name its own ServiceAccount.
      this.defaultServiceAccount = new k8s.KubeServiceAccount(this, 'DefaultServiceAccount', {
        metadata: inside('default'),
        automountServiceAccountToken: false,
      });
    }
    if (props.resourceQuota !== undefined) {
      this.resourceQuota = new k8s.KubeResourceQuota(this, 'ResourceQuota', {
        metadata: inside(`${this.name}-quota`),
        spec: { hard: renderQuota(props.resourceQuota, props.limitRange) },
      });
    }
    if (props.limitRange !== undefined) {
      this.limitRange = new k8s.KubeLimitRange(this, 'LimitRange', {
        metadata: inside(`${this.name}-limits`),
        spec: { limits: renderLimitRange(props.limitRange) },
      });
    }
  }
}

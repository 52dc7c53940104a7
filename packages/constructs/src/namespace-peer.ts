import { k8s } from 'cdk8s-plus-27';

/** Label Kubernetes sets on every namespace to its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Anything with a namespace name, e.g. a HardenedNamespace. */
export interface INamedNamespace {
  /** The namespace's name. */
  readonly name: string;
}

/**
 * Pods in another namespace, as a NetworkPolicy peer.
 *
 * @example NamespacePeer.named('ingress-nginx')
 * @example NamespacePeer.named('kube-system').withPods({ 'k8s-app': 'kube-dns' })
 */
export class NamespacePeer {
  /** Every pod in the namespace with this name (selected by `kubernetes.io/metadata.name`). */
  public static named(name: string): NamespacePeer {
    if (name.trim() === '') {
      throw new Error('namespace name must not be empty; pass e.g. NamespacePeer.named("ingress-nginx")');
    }
    return new NamespacePeer({ [NAMESPACE_NAME_LABEL]: name }, undefined, name);
  }

  /** Every pod in the given namespace object. */
  public static of(namespace: INamedNamespace): NamespacePeer {
    return NamespacePeer.named(namespace.name);
  }

  /** Every pod in every namespace carrying all of these labels. */
  public static labelled(namespaceLabels: Readonly<Record<string, string>>): NamespacePeer {
    if (Object.keys(namespaceLabels).length === 0) {
      throw new Error('namespaceLabels must not be empty: an empty selector matches every namespace');
    }
    const description = Object.values(namespaceLabels).join('-').toLowerCase().replace(/[^a-z0-9]+/g, '-');
    return new NamespacePeer({ ...namespaceLabels }, undefined, description);
  }

  private constructor(
    private readonly namespaceLabels: Readonly<Record<string, string>>,
    private readonly podLabels: Readonly<Record<string, string>> | undefined,
    /** Short description used in generated policy names. */
    public readonly description: string,
  ) {}

  /** Narrows the peer to pods in those namespaces carrying all of these labels. */
  public withPods(podLabels: Readonly<Record<string, string>>): NamespacePeer {
    if (Object.keys(podLabels).length === 0) {
      throw new Error('podLabels must not be empty; omit withPods to select every pod');
    }
    return new NamespacePeer(this.namespaceLabels, { ...this.podLabels, ...podLabels }, this.description);
  }

  /** The NetworkPolicy peer. */
  public toPeer(): k8s.NetworkPolicyPeer {
    return {
      namespaceSelector: { matchLabels: { ...this.namespaceLabels } },
      podSelector: this.podLabels === undefined ? undefined : { matchLabels: { ...this.podLabels } },
    };
  }
}

import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { assertCidr } from './cidr.js';
import { DnsResolver } from './dns-resolver.js';
import { assertDnsLabel } from './names.js';
import { NAMESPACE_NAME_LABEL, NamespacePeer } from './namespace-peer.js';
import { Port } from './port.js';
import { NON_PUBLIC_IPV4_CIDRS, NON_PUBLIC_IPV6_CIDRS } from './public-internet.js';
import type { IWorkload } from './workload.js';

/** Props of LockedDownPolicy. */
export interface LockedDownPolicyProps {
  /**
   * Namespace the policies apply to.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Name of the default-deny NetworkPolicy.
   * @default 'default-deny-all'
   */
  readonly name?: string;
  /**
   * The DNS servers `allowDnsEgress` opens, e.g.
   * `[DnsResolver.nodeLocalCache(), DnsResolver.kubeDns()]` with NodeLocal DNSCache.
   * @default [DnsResolver.kubeDns()]
   */
  readonly dnsResolvers?: readonly DnsResolver[];
}

/** Ports and an optional explicit name for one allow rule. */
export interface AllowOptions {
  /** Ports the rule opens; at least one (an empty list would open every port). */
  readonly ports: readonly Port[];
  /**
   * `metadata.name` of the NetworkPolicy.
   * @default - derived from the subject, the direction and the peer
   */
  readonly name?: string;
}

/** Options of `allowFrom`: the workload that accepts the traffic. */
export interface AllowFromOptions extends AllowOptions {
  /** The workload (in this namespace) that receives the traffic. */
  readonly to: IWorkload;
}

/** Options of `allowTo` and `allowEgressToNamespace`: the workload that sends the traffic. */
export interface AllowToOptions extends AllowOptions {
  /** The workload (in this namespace) that sends the traffic. */
  readonly from: IWorkload;
}

/** Options of egress rules that may apply to every pod in the namespace. */
export interface EgressOptions extends AllowOptions {
  /**
   * The workload (in this namespace) that sends the traffic.
   * @default - every pod in the namespace
   */
  readonly from?: IWorkload;
}

type Direction = 'Ingress' | 'Egress';

/**
 * Default-deny ingress AND egress for a namespace, plus intent-revealing allow rules. Each rule
 * is its own NetworkPolicy with explicit policyTypes and a readable name; peers come from the
 * workload objects' selector labels. The default-deny policy has id `Resource`.
 */
export class LockedDownPolicy extends Construct {
  /** The default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress). */
  public readonly resource: k8s.KubeNetworkPolicy;
  /** Namespace the policies apply to. */
  public readonly namespace: string | undefined;
  private readonly explicitNamespace: string | undefined;
  private readonly dnsResolvers: readonly DnsResolver[];

  public constructor(scope: Construct, id: string, props: LockedDownPolicyProps = {}) {
    super(scope, id);
    const name = props.name ?? 'default-deny-all';
    assertDnsLabel('LockedDownPolicy name', name);
    this.explicitNamespace = props.namespace;
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.dnsResolvers = [...(props.dnsResolvers ?? [DnsResolver.kubeDns()])];
    if (this.dnsResolvers.length === 0) {
      throw new Error('dnsResolvers must not be empty: pods could not resolve any name; omit it for kube-dns');
    }
    this.resource = new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name, namespace: this.explicitNamespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  }

  /** Lets `peer`'s pods connect to `options.to` on `options.ports` (the ingress side). */
  public allowFrom(peer: IWorkload, options: AllowFromOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${options.to.name}-ingress-from-${peer.name}`;
    return this.rule(name, 'Ingress', options.to, [this.workloadPeer(peer)], options.ports);
  }

  /** Lets `options.from`'s pods connect to `peer` on `options.ports` (the egress side). */
  public allowTo(peer: IWorkload, options: AllowToOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${options.from.name}-egress-to-${peer.name}`;
    return this.rule(name, 'Egress', options.from, [this.workloadPeer(peer)], options.ports);
  }

  /**
   * Allows one flow end to end: egress on `from` and ingress on `to` (under default-deny both are
   * needed). Returns `[egressPolicy, ingressPolicy]`.
   */
  public allowBetween(from: IWorkload, to: IWorkload, options: Pick<AllowOptions, 'ports'>): k8s.KubeNetworkPolicy[] {
    return [this.allowTo(to, { from, ports: options.ports }), this.allowFrom(from, { to, ports: options.ports })];
  }

  /** Lets pods of another namespace (e.g. the ingress controller's) connect to `options.to`. */
  public allowFromNamespace(peer: NamespacePeer, options: AllowFromOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${options.to.name}-ingress-from-ns-${peer.description}`;
    return this.rule(name, 'Ingress', options.to, [peer.toPeer()], options.ports);
  }

  /**
   * Lets clients from fixed address ranges (e.g. NodePort clients on a local network) connect to
   * `options.to`. Each CIDR must be a network address (`192.168.49.0/24`).
   */
  public allowFromCidrs(cidrs: readonly string[], options: AllowFromOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${options.to.name}-ingress-from-cidrs`;
    if (cidrs.length === 0) {
      throw new Error(`cidrs of NetworkPolicy '${name}' must not be empty; pass e.g. ['192.168.49.0/24']`);
    }
    cidrs.forEach(assertCidr);
    return this.rule(name, 'Ingress', options.to, cidrs.map((cidr) => ({ ipBlock: { cidr } })), options.ports);
  }

  /**
   * Lets `options.from` connect to fixed address ranges outside the cluster's pods (e.g. the
   * Kubernetes API server's endpoints, an object store). Each CIDR must be a network address.
   */
  public allowEgressToCidrs(cidrs: readonly string[], options: AllowToOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${options.from.name}-egress-to-cidrs`;
    if (cidrs.length === 0) {
      throw new Error(`cidrs of NetworkPolicy '${name}' must not be empty; pass e.g. ['192.0.2.10/32']`);
    }
    cidrs.forEach(assertCidr);
    return this.rule(name, 'Egress', options.from, cidrs.map((cidr) => ({ ipBlock: { cidr } })), options.ports);
  }

  /** Lets pods connect to another namespace (e.g. the Linkerd control plane on 8080, 8086, 8090). */
  public allowEgressToNamespace(peer: NamespacePeer, options: EgressOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${subjectName(options.from)}-egress-to-ns-${peer.description}`;
    return this.rule(name, 'Egress', options.from, [peer.toPeer()], options.ports);
  }

  /**
   * Lets pods query the DNS resolvers of `dnsResolvers` (by default kube-dns: namespace
   * kube-system, `k8s-app: kube-dns`, UDP and TCP 53), one egress rule per resolver.
   * @param from the workload that resolves names; every pod in the namespace when omitted
   */
  public allowDnsEgress(from?: IWorkload): k8s.KubeNetworkPolicy {
    const name = `${subjectName(from)}-egress-to-${this.dnsResolvers.map((resolver) => resolver.description).join('-')}`;
    return this.rules(name, 'Egress', from, this.dnsResolvers.map((resolver) => ({ peers: [...resolver.peers], ports: resolver.ports })));
  }

  /**
   * Lets `from` connect to public internet addresses only: 0.0.0.0/0 and ::/0 minus every range in
   * NON_PUBLIC_IPV4_CIDRS / NON_PUBLIC_IPV6_CIDRS (private, loopback, link-local/metadata, …).
   */
  public allowPublicInternetEgress(from: IWorkload, options: AllowOptions): k8s.KubeNetworkPolicy {
    const name = options.name ?? `${from.name}-egress-to-public-internet`;
    const peers: k8s.NetworkPolicyPeer[] = [
      { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4_CIDRS] } },
      { ipBlock: { cidr: '::/0', except: [...NON_PUBLIC_IPV6_CIDRS] } },
    ];
    return this.rule(name, 'Egress', from, peers, options.ports);
  }

  private workloadPeer(peer: IWorkload): k8s.NetworkPolicyPeer {
    const podSelector = { matchLabels: { ...peer.selectorLabels } };
    if (peer.namespace === this.namespace) {
      return { podSelector };
    }
    if (peer.namespace === undefined) {
      throw new Error(`peer ${peer.name} has no namespace but the policy is in '${this.namespace}'; set its namespace`);
    }
    return { podSelector, namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } } };
  }

  private rule(
    name: string,
    direction: Direction,
    subject: IWorkload | undefined,
    peers: k8s.NetworkPolicyPeer[],
    ports: readonly Port[],
  ): k8s.KubeNetworkPolicy {
    return this.rules(name, direction, subject, [{ peers, ports }]);
  }

  private rules(
    name: string,
    direction: Direction,
    subject: IWorkload | undefined,
    rules: ReadonlyArray<{ readonly peers: k8s.NetworkPolicyPeer[]; readonly ports: readonly Port[] }>,
  ): k8s.KubeNetworkPolicy {
    assertPolicyName(name);
    if (rules.some((rule) => rule.ports.length === 0)) {
      throw new Error(`ports of NetworkPolicy '${name}' must not be empty (that would open every port); pass e.g. [Port.tcp(443)]`);
    }
    if (subject !== undefined && subject.namespace !== this.namespace) {
      throw new Error(
        `${subject.name} runs in namespace '${subject.namespace}' but this LockedDownPolicy covers ` +
          `'${this.namespace}'; use a LockedDownPolicy in the workload's namespace`,
      );
    }
    if (this.node.tryFindChild(name) !== undefined) {
      throw new Error(`NetworkPolicy '${name}' is defined twice; pass a distinct name or merge the ports into one rule`);
    }
    const policyPorts = (ports: readonly Port[]) => ports.map((p) => ({ protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port) }));
    const rule =
      direction === 'Ingress'
        ? { ingress: rules.map(({ peers, ports }) => ({ from: peers, ports: policyPorts(ports) })) }
        : { egress: rules.map(({ peers, ports }) => ({ to: peers, ports: policyPorts(ports) })) };
    return new k8s.KubeNetworkPolicy(this, name, {
      metadata: { name, namespace: this.explicitNamespace },
      spec: {
        podSelector: subject === undefined ? {} : { matchLabels: { ...subject.selectorLabels } },
        policyTypes: [direction],
        ...rule,
      },
    });
  }
}

function subjectName(subject: IWorkload | undefined): string {
  return subject?.name ?? 'all-pods';
}

function assertPolicyName(name: string): void {
  if (name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw new Error(`NetworkPolicy name must be a lower-case DNS subdomain, got '${name}'; pass { name }`);
  }
}

import { isIP } from 'node:net';
import type { k8s } from 'cdk8s-plus-27';
import { NamespacePeer } from './namespace-peer.js';
import { Port, assertPortNumber } from './port.js';

/** Options of `DnsResolver.kubeDns`. */
export interface KubeDnsOptions {
  /**
   * Namespace the cluster DNS pods run in.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the cluster DNS pods.
   * @default { 'k8s-app': 'kube-dns' } (kube-dns and CoreDNS alike)
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Port the DNS pods listen on (the Service may map 53 to another container port).
   * @default 53
   */
  readonly port?: number;
}

/** Options of `DnsResolver.nodeLocalCache`. */
export interface NodeLocalCacheOptions {
  /**
   * The link-local address node-local-dns listens on, on every node.
   * @default '169.254.20.10'
   */
  readonly address?: string;
  /**
   * Its port.
   * @default 53
   */
  readonly port?: number;
}

/**
 * A DNS server pods may query, as NetworkPolicy egress peers (UDP and TCP on its port). Pass the
 * resolvers to `LockedDownPolicy` (`dnsResolvers`) when the cluster does not resolve through the
 * kube-dns pods directly, e.g. with NodeLocal DNSCache.
 */
export class DnsResolver {
  /** The cluster DNS pods (kube-dns / CoreDNS), by namespace and pod labels. */
  public static kubeDns(options: KubeDnsOptions = {}): DnsResolver {
    const peer = NamespacePeer.named(options.namespace ?? 'kube-system').withPods(options.podLabels ?? { 'k8s-app': 'kube-dns' });
    return new DnsResolver('kube-dns', [peer.toPeer()], options.port ?? 53);
  }

  /**
   * NodeLocal DNSCache: the node-local-dns DaemonSet answers on a link-local address on every node
   * (169.254.20.10 unless configured otherwise), which kube-dns pod selectors do not match.
   */
  public static nodeLocalCache(options: NodeLocalCacheOptions = {}): DnsResolver {
    const address = options.address ?? '169.254.20.10';
    const family = isIP(address);
    if (family === 0) {
      throw new Error(`NodeLocal DNSCache address must be an IP address, got '${address}'`);
    }
    return new DnsResolver('node-local-dns', [{ ipBlock: { cidr: `${address}/${family === 4 ? 32 : 128}` } }], options.port ?? 53);
  }

  /** The ports (UDP and TCP) the resolver answers on. */
  public readonly ports: readonly Port[];

  private constructor(
    /** Short name used in generated policy names. */
    public readonly description: string,
    /** The NetworkPolicy peers of the resolver. */
    public readonly peers: readonly k8s.NetworkPolicyPeer[],
    port: number,
  ) {
    assertPortNumber('DNS port', port);
    this.ports = [Port.udp(port), Port.tcp(port)];
  }
}

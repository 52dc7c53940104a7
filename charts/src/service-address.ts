/**
 * The address of a Service, computed once from its name, namespace and port, and used for the
 * Service itself, the Host allowlists, the probes' Host header and every client URL — so a
 * renamed Service or a changed port can never leave a stale value behind.
 */
export class ServiceAddress {
  public constructor(
    public readonly name: string,
    public readonly namespace: string,
    public readonly port: number,
    private readonly clusterDomain = 'cluster.local',
  ) {}

  /** `name.namespace.svc.cluster.local`. */
  public get fqdn(): string {
    return `${this.name}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  /** Every Host header an in-cluster client may send: each DNS form of the Service, with port. */
  public get inClusterHosts(): string[] {
    return [this.name, `${this.name}.${this.namespace}`, `${this.name}.${this.namespace}.svc`, this.fqdn].map(
      (host) => `${host}:${this.port}`,
    );
  }

  /** The Host header the kubelet's probes send: the short form, first in the allowlist. */
  public get probeHost(): string {
    return `${this.name}:${this.port}`;
  }

  public get url(): string {
    return `http://${this.fqdn}:${this.port}`;
  }
}

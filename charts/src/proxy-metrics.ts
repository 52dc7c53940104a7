import { type IWorkload, type LockedDownPolicy, NamespacePeer, Port } from '@natter/constructs';
import { Construct } from 'constructs';
import { AuthorizationPolicy, MeshTlsAuthentication, ServerV1Beta3 } from '../../imports/policy.linkerd.io.js';
import type { NatterSettings } from './settings.js';

/** The Linkerd proxy's admin port: `/metrics` for Prometheus, `/live` and `/ready` for the kubelet. */
export const LINKERD_ADMIN_PORT = Port.tcp(4191);
const POLICY_GROUP = 'policy.linkerd.io';

export interface ProxyMetricsScrapingProps {
  readonly monitoring: NonNullable<NatterSettings['monitoring']>;
  readonly policies: LockedDownPolicy;
  /** Every meshed workload of the namespace. */
  readonly workloads: readonly IWorkload[];
}

/**
 * Lets the configured Prometheus scrape every proxy's metrics, on both layers and from nowhere else:
 * - NetworkPolicies: its pods (namespace and labels) may reach port 4191 of each workload. The
 *   port is on the proxies' inbound skip list (Linkerd always bypasses it), so the traffic arrives
 *   on 4191 itself, not on the proxy's inbound port 4143.
 * - Linkerd: a Server on 4191 for every pod of the namespace (deny by default) and an
 *   AuthorizationPolicy admitting only Prometheus's ServiceAccount over mTLS — the proxy's admin
 *   server enforces it (what `linkerd viz allow-scrapes` sets up, without its HTTPRoutes: a Server
 *   without routes keeps Linkerd's automatic authorization of the kubelet's probes of /live and /ready).
 */
export class ProxyMetricsScraping extends Construct {
  public readonly server: ServerV1Beta3;

  public constructor(scope: Construct, id: string, props: ProxyMetricsScrapingProps) {
    super(scope, id);
    const { monitoring } = props;
    const scraper = NamespacePeer.named(monitoring.namespace).withPods(monitoring.podLabels);
    for (const workload of props.workloads) {
      props.policies.allowFromNamespace(scraper, { to: workload, ports: [LINKERD_ADMIN_PORT], name: `${workload.name}-ingress-from-metrics-scraper` });
    }
    const name = 'linkerd-proxy-admin';
    this.server = new ServerV1Beta3(this, 'Server', {
      metadata: { name },
      spec: { podSelector: { matchLabels: {} }, port: LINKERD_ADMIN_PORT.port, proxyProtocol: 'HTTP/1', accessPolicy: 'deny' },
    });
    const scrapers = new MeshTlsAuthentication(this, 'Scraper', {
      metadata: { name: `${name}-scraper` },
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: monitoring.serviceAccount, namespace: monitoring.namespace }] },
    });
    new AuthorizationPolicy(this, 'ScraperPolicy', {
      metadata: { name: `${name}-from-scraper` },
      spec: {
        targetRef: { group: POLICY_GROUP, kind: 'Server', name },
        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: 'MeshTLSAuthentication', name: scrapers.name }],
      },
    });
  }
}

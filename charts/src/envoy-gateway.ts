import { createHash } from 'node:crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EdgeDataPlane } from './edge.js';
import { GATEWAY_API_GROUP, LISTENERS } from './gateway-edge.js';
import type { BucketSettings } from './rate-limit-settings.js';

/**
 * What the chart knows about Envoy Gateway v1.9 (envoyproxy/gateway at tag v1.9.0), each fact with
 * the source it was read from. Used only when the profile names `envoy-gateway`.
 */

/** Envoy Gateway's policy API (vendored CRDs: charts/crds/envoy-gateway/). */
export const ENVOY_GATEWAY_POLICY_API = 'gateway.envoyproxy.io/v1alpha1';

/**
 * Labels Envoy Gateway puts on the proxy pods of one Gateway (internal/infrastructure/kubernetes/
 * proxy/resource.go `EnvoyAppLabel`, internal/gatewayapi `GatewayOwnerLabels`). The owner labels
 * are applied after the Gateway's own `infrastructure.labels`, so a Gateway elsewhere cannot claim ours.
 */
export function envoyProxyPodLabels(gateway: { readonly name: string; readonly namespace: string }): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'envoy',
    'app.kubernetes.io/component': 'proxy',
    'app.kubernetes.io/managed-by': 'envoy-gateway',
    'gateway.envoyproxy.io/owning-gateway-name': gateway.name,
    'gateway.envoyproxy.io/owning-gateway-namespace': gateway.namespace,
  };
}

/**
 * The name Envoy Gateway gives the proxies' Deployment and ServiceAccount in its default
 * (controller-namespace) deploy mode: `envoy-<namespace>-<name>-<first 8 hex of sha256("<namespace>/<name>")>`,
 * the `<namespace>-<name>` part cut to 48 characters (proxy/resource.go `ExpectedResourceHashedName`,
 * internal/utils `GetHashedName`). Checked against Envoy Gateway's own test data
 * (`default/gateway-1` → `envoy-default-gateway-1-bfd08ef4`).
 */
export function envoyProxyServiceAccount(gateway: { readonly name: string; readonly namespace: string }): string {
  const key = `${gateway.namespace}/${gateway.name}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  let name = key.replace('/', '-');
  if (name.length > 48) name = name.slice(0, 48).replace(/-$/, ''); // Go's strings.TrimSuffix: one dash
  return `envoy-${name}-${hash}`;
}

/** The proxies of one Gateway as the API's only in-cluster clients. */
export function envoyGatewayDataPlane(gateway: { readonly name: string; readonly namespace: string }, proxiesNamespace: string): EdgeDataPlane {
  return { namespace: proxiesNamespace, podLabels: envoyProxyPodLabels(gateway), serviceAccount: envoyProxyServiceAccount(gateway) };
}

/**
 * Envoy listens on the Gateway's well-known ports shifted by 10000 (443 → 10443) so it needs no
 * NET_BIND_SERVICE (internal/gatewayapi/listener.go `servicePortToContainerPort`).
 */
export function envoyContainerPort(listenerPort: number): number {
  return listenerPort < 1024 ? listenerPort + 10000 : listenerPort;
}

/**
 * `infrastructure.annotations` for the Gateway; Envoy Gateway copies them onto the proxies' pods
 * (proxy/resource_provider.go `getPodAnnotations`). They mesh the proxies with Linkerd, so the hop to
 * the API is mTLS'd under the proxies' identity, but keep the listener ports out of the proxy
 * (`skip-inbound-ports`): through Linkerd's inbound proxy Envoy would see every client as its own
 * pod address and put that into X-Forwarded-For.
 */
export function envoyGatewayMeshAnnotations(): Record<string, string> {
  return {
    'linkerd.io/inject': 'enabled',
    'config.linkerd.io/skip-inbound-ports': Object.values(LISTENERS).map((listener) => envoyContainerPort(listener.port)).join(','),
  };
}

export interface EnvoyGatewayPoliciesProps {
  /** The Gateway the client-side policy applies to. */
  readonly gateway: ApiObject;
  /** The route to the API, which the backend-side policy applies to. */
  readonly route: ApiObject;
  /** Largest request body the edge forwards (the API refuses bodies over 64 KiB). */
  readonly maxRequestBody: string;
  /**
   * Limit each client address at the edge to this bucket (a global rule: needs Envoy Gateway's rate
   * limit service).
   * @default - no per-client limit at the edge
   */
  readonly clientRateLimit?: BucketSettings;
}

/**
 * Envoy Gateway's own policy resources, all documented API (gateway.envoyproxy.io/v1alpha1):
 * - ClientTrafficPolicy on the Gateway: TLS 1.2 at least; a whole request must arrive within 10 s
 *   and an idle connection closes after 60 s (slow clients cannot hold connections open).
 * - BackendTrafficPolicy on the API route: requests over `maxRequestBody` are refused with 413 at
 *   the edge; the route goes to the Service's cluster IP (`routingType: Service`), so Linkerd, not
 *   Envoy, balances and mTLS's the hop by the Service; optionally a per-client-address rate limit.
 */
export class EnvoyGatewayPolicies extends Construct {
  public readonly clientTraffic: ApiObject;
  public readonly backendTraffic: ApiObject;

  public constructor(scope: Construct, id: string, props: EnvoyGatewayPoliciesProps) {
    super(scope, id);
    this.clientTraffic = new ApiObject(this, 'ClientTraffic', {
      apiVersion: ENVOY_GATEWAY_POLICY_API,
      kind: 'ClientTrafficPolicy',
      metadata: { name: props.gateway.name },
      spec: {
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: props.gateway.name }],
        tls: { minVersion: '1.2' },
        timeout: { http: { requestReceivedTimeout: '10s', idleTimeout: '60s' } },
      },
    });
    const limit = props.clientRateLimit;
    this.backendTraffic = new ApiObject(this, 'BackendTraffic', {
      apiVersion: ENVOY_GATEWAY_POLICY_API,
      kind: 'BackendTrafficPolicy',
      metadata: { name: props.route.name },
      spec: {
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute', name: props.route.name }],
        requestBuffer: { limit: props.maxRequestBody },
        routingType: 'Service',
        ...(limit === undefined
          ? {}
          : {
              rateLimit: {
                global: {
                  // One bucket per distinct client address, IPv4 and IPv6.
                  rules: ['0.0.0.0/0', '::/0'].map((cidr) => ({
                    clientSelectors: [{ sourceCIDR: { type: 'Distinct', value: cidr } }],
                    limit: { requests: limit.perSecond, unit: 'Second' },
                  })),
                },
              },
            }),
      },
    });
  }
}

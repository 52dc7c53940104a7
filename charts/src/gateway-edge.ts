import type { WorkloadService } from '@natter/constructs';
import { Construct } from 'constructs';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
} from '../../imports/gateway-gateway.networking.k8s.io.js';
import {
  HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesMatchesPathType,
} from '../../imports/httproute-gateway.networking.k8s.io.js';

/** The API group of every Gateway API kind. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** A cert-manager issuer, named on the Gateway so cert-manager's gateway-shim issues the listener's certificate. */
export interface TlsIssuer {
  readonly kind: 'ClusterIssuer' | 'Issuer';
  readonly name: string;
}

/** The two listeners: HTTPS serves the API, HTTP only redirects to it. */
export const LISTENERS = {
  https: { name: 'https', port: 443 },
  http: { name: 'http', port: 80 },
} as const;

/** Browsers that saw the API over HTTPS once refuse plain HTTP to it for a year. */
const HSTS = { name: 'Strict-Transport-Security', value: 'max-age=31536000' };

export interface GatewayEdgeProps {
  /** `metadata.name` of the Gateway. */
  readonly name: string;
  /** The public host name; both listeners and both routes are bound to it. */
  readonly host: string;
  /** The `gatewayClassName`. */
  readonly className: string;
  /** The Secret (kubernetes.io/tls, same namespace) the HTTPS listener serves. */
  readonly tlsSecretName: string;
  /**
   * cert-manager issuer that issues the certificate into `tlsSecretName`.
   * @default - none: the Secret is supplied by the user
   */
  readonly tlsIssuer?: TlsIssuer;
  /** The Service the HTTPS route sends traffic to (wired by object, not by a retyped name). */
  readonly backend: WorkloadService;
  /**
   * `spec.infrastructure.annotations`: annotations the implementation copies onto what it creates
   * for this Gateway (Envoy Gateway: the proxies' pods, e.g. Linkerd's injection annotations).
   * @default - none
   */
  readonly infrastructureAnnotations?: Readonly<Record<string, string>>;
  /**
   * `timeouts.request` of the API route: the most a whole request may take end to end.
   * @default '30s'
   */
  readonly requestTimeout?: string;
}

/**
 * The Gateway API edge, standard channel and `v1` only: a Gateway with an HTTPS listener for the
 * host (TLS terminated with `tlsSecretName`) and an HTTP listener for the same host, an HTTPRoute on
 * the HTTPS listener to the API Service, and an HTTPRoute on the HTTP listener whose only rule
 * redirects to HTTPS with 301. Both listeners accept routes from this namespace only. The Gateway
 * has id `Resource`.
 */
export class GatewayEdge extends Construct {
  public readonly gateway: Gateway;
  /** The route to the API (HTTPS listener). */
  public readonly route: HttpRoute;
  /** The HTTP listener's only route: a 301 to HTTPS. */
  public readonly redirect: HttpRoute;

  public constructor(scope: Construct, id: string, props: GatewayEdgeProps) {
    super(scope, id);
    const sameNamespaceRoutes = {
      namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME },
      kinds: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
    };
    const annotations = props.tlsIssuer === undefined ? undefined : { [issuerAnnotation(props.tlsIssuer)]: props.tlsIssuer.name };
    this.gateway = new Gateway(this, 'Resource', {
      metadata: { name: props.name, ...(annotations ? { annotations } : {}) },
      spec: {
        gatewayClassName: props.className,
        ...(props.infrastructureAnnotations ? { infrastructure: { annotations: { ...props.infrastructureAnnotations } } } : {}),
        listeners: [
          {
            name: LISTENERS.https.name,
            protocol: 'HTTPS',
            port: LISTENERS.https.port,
            hostname: props.host,
            tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: props.tlsSecretName }] },
            allowedRoutes: sameNamespaceRoutes,
          },
          {
            name: LISTENERS.http.name,
            protocol: 'HTTP',
            port: LISTENERS.http.port,
            hostname: props.host,
            allowedRoutes: sameNamespaceRoutes,
          },
        ],
      },
    });
    const parent = (listener: string) => [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: this.gateway.name, sectionName: listener }];
    this.route = new HttpRoute(this, 'Route', {
      metadata: { name: props.backend.workload.name },
      spec: {
        parentRefs: parent(LISTENERS.https.name),
        hostnames: [props.host],
        rules: [
          {
            matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
            backendRefs: [{ group: '', kind: 'Service', name: props.backend.name, port: props.backend.port }],
            // ingress-nginx sends HSTS by default (a controller setting); a Gateway says it per route.
            filters: [{ type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: { set: [HSTS] } }],
            timeouts: { request: props.requestTimeout ?? '30s' },
          },
        ],
      },
    });
    this.redirect = new HttpRoute(this, 'HttpsRedirect', {
      metadata: { name: `${props.backend.workload.name}-https-redirect` },
      spec: {
        parentRefs: parent(LISTENERS.http.name),
        hostnames: [props.host],
        rules: [
          {
            filters: [
              {
                type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                requestRedirect: { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS, statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301 },
              },
            ],
          },
        ],
      },
    });
  }
}

/** `cert-manager.io/cluster-issuer` or `cert-manager.io/issuer`: the annotation cert-manager reads for that kind. */
export function issuerAnnotation(issuer: TlsIssuer): string {
  return issuer.kind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
}

import { HardenedIngress, type WorkloadService } from '@natter/constructs';
import { Construct } from 'constructs';
import { EnvoyGatewayPolicies, envoyGatewayDataPlane, envoyGatewayMeshAnnotations } from './envoy-gateway.js';
import { GatewayEdge, issuerAnnotation } from './gateway-edge.js';
import { LINKERD_TRUST_DOMAIN } from './mesh.js';
import type { NatterProfile } from './profiles.js';

/**
 * The pods that carry outside traffic to the API: the only in-cluster clients the API's
 * NetworkPolicy and Linkerd authorization admit, and the only mesh identity whose
 * X-Forwarded-For the API believes.
 */
export interface EdgeDataPlane {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** Their ServiceAccount: their Linkerd identity (they are meshed). */
  readonly serviceAccount: string;
}

/** `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`: what Linkerd puts in `l5d-client-id`. */
export function linkerdIdentity(dataPlane: EdgeDataPlane): string {
  return `${dataPlane.serviceAccount}.${dataPlane.namespace}.serviceaccount.identity.linkerd.${LINKERD_TRUST_DOMAIN}`;
}

/** The API refuses bodies over 64 KiB; the edge stops larger ones before they cross the cluster. */
const MAX_REQUEST_BODY = { nginx: '64k', quantity: '64Ki' } as const;

export interface NatterEdgeProps {
  readonly profile: NatterProfile;
  /** The API's Service: the only backend of the edge. */
  readonly api: WorkloadService;
}

/**
 * The profile's one way in: a Gateway API edge (Gateway, HTTPRoutes, and the implementation's
 * policies when the profile names it) or an ingress-nginx Ingress, and the pods that serve it.
 */
export class NatterEdge extends Construct {
  public readonly dataPlane: EdgeDataPlane;

  public constructor(scope: Construct, id: string, props: NatterEdgeProps) {
    super(scope, id);
    const { profile, api } = props;
    const edge = profile.edge;
    if (edge.kind === 'ingress-nginx') {
      const perAddress = profile.api.rateLimit.perAddress;
      new HardenedIngress(this, 'Ingress', {
        name: api.workload.name,
        host: edge.host,
        tlsSecretName: edge.tlsSecretName,
        ingressClassName: edge.ingressNginx.className,
        backend: api,
        // Route to the Service's cluster IP with its cluster DNS name as Host, so Linkerd meshes it.
        meshUpstream: true,
        annotations: {
          'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
          'nginx.ingress.kubernetes.io/proxy-body-size': MAX_REQUEST_BODY.nginx,
          // First line: the client-address limit of the whole API, per controller pod (nginx keeps it locally).
          'nginx.ingress.kubernetes.io/limit-rps': String(perAddress.perSecond),
          'nginx.ingress.kubernetes.io/limit-burst-multiplier': String(Math.max(1, Math.floor((perAddress.burst ?? perAddress.perSecond * 2) / perAddress.perSecond))),
          ...(edge.tlsIssuer === undefined ? {} : { [issuerAnnotation(edge.tlsIssuer)]: edge.tlsIssuer.name }),
        },
      });
      this.dataPlane = {
        namespace: edge.ingressNginx.controllerNamespace,
        podLabels: edge.ingressNginx.controllerPodLabels,
        serviceAccount: edge.ingressNginx.controllerServiceAccount,
      };
      return;
    }

    const gatewayApi = edge.gatewayApi;
    const envoy = gatewayApi.implementation === 'envoy-gateway';
    const gateway = new GatewayEdge(this, 'Gateway', {
      name: `${api.workload.name}-gateway`,
      host: edge.host,
      className: gatewayApi.className,
      tlsSecretName: edge.tlsSecretName,
      ...(edge.tlsIssuer === undefined ? {} : { tlsIssuer: edge.tlsIssuer }),
      backend: api,
      ...(envoy ? { infrastructureAnnotations: envoyGatewayMeshAnnotations() } : {}),
    });
    if (envoy) {
      new EnvoyGatewayPolicies(this, 'EnvoyGateway', {
        gateway: gateway.gateway,
        route: gateway.route,
        maxRequestBody: MAX_REQUEST_BODY.quantity,
        ...(gatewayApi.envoyGateway.clientRateLimit ? { clientRateLimit: profile.api.rateLimit.perAddress } : {}),
      });
      this.dataPlane = envoyGatewayDataPlane({ name: gateway.gateway.name, namespace: requireNamespace(gateway.gateway.metadata.namespace) }, gatewayApi.envoyGateway.namespace);
    } else {
      // The settings model refuses implementation custom without dataPlane.
      this.dataPlane = gatewayApi.dataPlane!;
    }
  }
}

function requireNamespace(namespace: string | undefined): string {
  if (namespace === undefined) throw new Error('the Gateway has no namespace; create it inside a chart with a namespace');
  return namespace;
}

import { z } from 'zod';

/**
 * The `edge` section of the settings model (charts/src/settings.ts): how traffic enters the
 * cluster. Kept in its own file so the edge can change without touching the other sections.
 */

/**
 * The ways into the cluster the chart can synthesize; a profile has exactly one:
 * - `gateway-api` (default): a Gateway API `Gateway` (`gateway.networking.k8s.io/v1`, standard
 *   channel) with an HTTPS listener and an HTTP listener that only redirects, and an `HTTPRoute`.
 * - `ingress-nginx`: a `networking.k8s.io/v1` Ingress for the ingress-nginx controller (retired
 *   upstream in March 2026; kept for minikube's addon, the dev profile's edge).
 */
export const EDGE_KINDS = ['gateway-api', 'ingress-nginx'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/**
 * Gateway API implementations the chart knows. `envoy-gateway`: the data plane's namespace, labels
 * and ServiceAccount are derived from the Gateway the way Envoy Gateway names them, the proxies are
 * meshed through the Gateway's `infrastructure.annotations`, and its policy resources
 * (ClientTrafficPolicy, BackendTrafficPolicy) are emitted. `custom`: any other implementation;
 * the profile names its data plane and nothing implementation-specific is emitted.
 */
export const GATEWAY_IMPLEMENTATIONS = ['envoy-gateway', 'custom'] as const;
export type GatewayImplementation = (typeof GATEWAY_IMPLEMENTATIONS)[number];

/** cert-manager issuer kinds; each has its own Ingress/Gateway annotation. */
export const TLS_ISSUER_KINDS = ['ClusterIssuer', 'Issuer'] as const;

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsName = z.string().regex(DNS_NAME, 'must be a lower-case DNS name such as api.example.com');
const dnsLabel = z.string().regex(DNS_LABEL, 'must be a lower-case DNS label such as ingress-nginx');
const podLabels = z.record(z.string().min(1), z.string()).refine((labels) => Object.keys(labels).length > 0, 'must name at least one label (an empty selector matches every pod)');

export const edgeSettings = z
  .strictObject({
    kind: z.enum(EDGE_KINDS).default('gateway-api').describe('How traffic enters the cluster: gateway-api (Gateway + HTTPRoute) or ingress-nginx (Ingress).'),
    host: dnsName.default('api.natter.local').describe('The public host name of the API (also in its Host allowlist).'),
    tlsSecretName: dnsName
      .default('natter-tls')
      .describe('The Secret (type kubernetes.io/tls) with the certificate for host: cert-manager issues into it when tlsIssuer is set, otherwise you create it outside git.'),
    tlsIssuer: z
      .strictObject({
        kind: z.enum(TLS_ISSUER_KINDS).describe('ClusterIssuer or Issuer (an Issuer lives in the namespace natter-api).'),
        name: dnsName.describe("The issuer's name."),
      })
      .optional()
      .describe('The cert-manager issuer that issues the certificate into tlsSecretName (annotation on the Gateway or Ingress, no cert-manager resource in dist/); unset means you supply the Secret.'),
    ingressNginx: z
      .strictObject({
        className: dnsLabel.default('nginx').describe('ingressClassName of the Ingress.'),
        controllerNamespace: dnsLabel.default('ingress-nginx').describe('Namespace of the controller pods.'),
        controllerPodLabels: podLabels
          .default({ 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' })
          .describe('Labels of the controller pods: the only in-cluster clients the API admits.'),
        controllerServiceAccount: dnsLabel.default('ingress-nginx').describe("The controller's ServiceAccount: its Linkerd identity, the only one the API accepts over mTLS."),
      })
      .prefault({})
      .describe("ingress-nginx (used when kind is ingress-nginx); defaults match minikube's addon and the upstream manifests."),
    gatewayApi: z
      .strictObject({
        className: dnsLabel.default('eg').describe('gatewayClassName of the Gateway: a GatewayClass the implementation serves (created at install, see the README).'),
        implementation: z
          .enum(GATEWAY_IMPLEMENTATIONS)
          .default('envoy-gateway')
          .describe('envoy-gateway (data plane derived, meshed, its traffic policies emitted) or custom (name the data plane in dataPlane; only standard resources).'),
        envoyGateway: z
          .strictObject({
            namespace: dnsLabel.default('envoy-gateway-system').describe("Where Envoy Gateway runs the proxies (its controller's namespace; the default deploy mode)."),
            clientRateLimit: z
              .boolean()
              .default(false)
              .describe(
                "Also limit each client address at the edge (a global BackendTrafficPolicy rule, api.rateLimit.perAddress): needs Envoy Gateway's rate limit service (Redis) enabled at install, local rate limits cannot key on the client address.",
              ),
          })
          .prefault({})
          .describe('Envoy Gateway (implementation envoy-gateway).'),
        dataPlane: z
          .strictObject({
            namespace: dnsLabel.describe('Namespace of the gateway proxy pods.'),
            podLabels: podLabels.describe('Labels of the gateway proxy pods: the only in-cluster clients the API admits.'),
            serviceAccount: dnsLabel.describe("The proxies' ServiceAccount: their Linkerd identity (the proxies must be meshed), the only one the API accepts."),
          })
          .optional()
          .describe('The gateway proxy pods (required when implementation is custom; derived for envoy-gateway).'),
      })
      .prefault({})
      .describe('Gateway API (used when kind is gateway-api).'),
  })
  .superRefine((edge, context) => {
    if (edge.kind === 'gateway-api' && edge.gatewayApi.implementation === 'custom' && edge.gatewayApi.dataPlane === undefined) {
      context.addIssue({ code: 'custom', path: ['gatewayApi', 'dataPlane'], input: undefined, message: 'must be set when gatewayApi.implementation is custom (the chart cannot derive the proxies of an implementation it does not know)' });
    }
    if (edge.gatewayApi.implementation === 'envoy-gateway' && edge.gatewayApi.dataPlane !== undefined) {
      context.addIssue({ code: 'custom', path: ['gatewayApi', 'dataPlane'], input: edge.gatewayApi.dataPlane, message: 'must not be set for envoy-gateway: its proxies are derived from the Gateway (use implementation: custom to name them)' });
    }
  })
  .prefault({})
  .describe('The way in from outside the cluster.');

export type EdgeSettings = z.output<typeof edgeSettings>;

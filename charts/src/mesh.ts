import { NamespacePeer, Port } from '@natter/constructs';

/**
 * Linkerd facts the chart must honour (FACTS.md; linkerd.io "Linkerd and NetworkPolicies").
 */

/** Meshed traffic is delivered to the destination proxy's inbound port; a policy blocking it blocks the mesh. */
export const LINKERD_INBOUND_PORT = Port.tcp(4143);

/** The proxy of every meshed pod talks to the control plane in namespace `linkerd`. */
export const LINKERD_NAMESPACE = 'linkerd';
export const LINKERD_IDENTITY = {
  peer: NamespacePeer.named(LINKERD_NAMESPACE).withPods({ 'linkerd.io/control-plane-component': 'identity' }),
  ports: [Port.tcp(8080)],
};
/** The destination pod runs both the destination (8086) and the policy (8090) controllers. */
export const LINKERD_DESTINATION = {
  peer: NamespacePeer.named(LINKERD_NAMESPACE).withPods({ 'linkerd.io/control-plane-component': 'destination' }),
  ports: [Port.tcp(8086), Port.tcp(8090)],
};

/**
 * Pod annotations replacing Linkerd's default skip lists (4567,4568 — our service port!).
 * An empty value would fall back to the default list, so we name the proxy's own control and
 * admin ports (4190, 4191): linkerd-init always bypasses them inbound anyway, and default-deny
 * egress blocks them outbound. Net effect: no application port bypasses the proxy.
 */
export const LINKERD_SKIP_PORTS_VALUE = '4190,4191';
export const MESH_POD_ANNOTATIONS: Readonly<Record<string, string>> = {
  'config.linkerd.io/skip-inbound-ports': LINKERD_SKIP_PORTS_VALUE,
  'config.linkerd.io/skip-outbound-ports': LINKERD_SKIP_PORTS_VALUE,
};

/**
 * Runs the proxy as a native sidecar (init container with restartPolicy Always; Linkerd >= 2.15,
 * Kubernetes >= 1.29) so a Job's pod can complete: a classic sidecar proxy never exits.
 */
export const NATIVE_SIDECAR_ANNOTATION: Readonly<Record<string, string>> = {
  'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true',
};

/**
 * Linkerd's default identity trust domain (`identityTrustDomain`, install value). A client's
 * identity is `<serviceaccount>.<namespace>.serviceaccount.identity.linkerd.<trust domain>`; the
 * inbound proxy puts it in `l5d-client-id` (and strips that header from every other request).
 */
export const LINKERD_TRUST_DOMAIN = 'cluster.local';

import type { HardenedDeployment } from '@natter/constructs';
import { EnvFieldPaths, EnvValue } from 'cdk8s-plus-27';
import { type EdgeDataPlane, linkerdIdentity } from './edge.js';
import { type RateLimitSettings, replicaShare } from './rate-limit-settings.js';

/**
 * How the API learns the real client address behind the edge (charts/README.md, "The client
 * address").
 *
 * Every request reaches the API through its own Linkerd proxy, which connects to the pod's IP from
 * inside the pod (linkerd2-proxy forwards inbound traffic to the original destination address since
 * Linkerd 2.11; before, to 127.0.0.1). So the API's socket peer is always ITS OWN pod IP, never
 * the edge's: `TRUSTED_PROXIES` is exactly that address (downward API), and `TRUSTED_PROXY_IDENTITIES`
 * narrows the trust to requests the proxy received over mTLS from the edge's identity (the proxy
 * sets `l5d-client-id` to the verified client identity and strips it from every other request). A
 * node-port client in dev also arrives through the proxy, from the pod IP, but without that
 * identity: its X-Forwarded-For is ignored.
 */
export function trustEdge(api: HardenedDeployment, edge: EdgeDataPlane): void {
  api.addEnv('POD_IP', EnvValue.fromFieldRef(EnvFieldPaths.POD_IP));
  // Kubernetes expands $(POD_IP) because POD_IP is defined above it.
  api.addEnv('TRUSTED_PROXIES', '$(POD_IP)');
  api.addEnv('TRUSTED_PROXY_IDENTITIES', linkerdIdentity(edge));
}

/**
 * The API's rate limits as each replica's share of the service-wide settings: N replicas together
 * admit at most the configured rates (rounded down), however the edge spreads the requests.
 */
export function rateLimitEnv(api: { readonly replicas: number; readonly rateLimit: RateLimitSettings }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, prefix] of [['global', 'RATE_LIMIT_GLOBAL'], ['perAddress', 'RATE_LIMIT_PER_ADDRESS'], ['perUser', 'RATE_LIMIT_PER_USER']] as const) {
    const share = replicaShare(api.rateLimit[name], api.replicas);
    env[`${prefix}_PER_SECOND`] = String(share.perSecond);
    env[`${prefix}_BURST`] = String(share.burst);
  }
  return env;
}

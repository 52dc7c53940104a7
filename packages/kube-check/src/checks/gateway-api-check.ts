import { type Manifest, namespaceOf, objectId } from '../manifest.js';
import { type Finding, finding } from './finding.js';

/**
 * Gateway API references the API server accepts but that leave traffic going nowhere, or going
 * where it should not (gateway.networking.k8s.io/v1 routes and Gateways, standard channel):
 * - a route's parentRef names a Gateway and listener (`sectionName`) among the manifests, and that
 *   listener admits the route (its namespace and kind); a parentRef without `sectionName` attaches to
 *   every listener, plain HTTP included, and is reported;
 * - a route's backendRef names a Service among the manifests with that port; one in another
 *   namespace needs a ReferenceGrant there;
 * - an HTTPS listener's certificate Secret is in the manifests or comes from cert-manager (the
 *   Gateway carries its issuer annotation); otherwise it must be created before deploying;
 * - an implementation policy (`spec.targetRefs` of a gateway.* policy) names objects that exist.
 */

const GROUP = 'gateway.networking.k8s.io';
const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);
const CERT_MANAGER_ANNOTATIONS = ['cert-manager.io/issuer', 'cert-manager.io/cluster-issuer'];

interface Ref {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly sectionName?: string;
  readonly port?: number;
}
interface Listener {
  readonly name: string;
  readonly protocol: string;
  readonly allowedRoutes?: { namespaces?: { from?: string }; kinds?: { group?: string; kind: string }[] };
  readonly tls?: { mode?: string; certificateRefs?: Ref[] };
}

const isGatewayApi = (object: Manifest): boolean => object.apiVersion.startsWith(`${GROUP}/`);

export function gatewayApiFindings(objects: readonly Manifest[]): Finding[] {
  const findings: Finding[] = [];
  const find = (kind: string, name: string, namespace: string): Manifest | undefined =>
    objects.find((object) => object.kind === kind && object.metadata?.name === name && namespaceOf(object) === namespace);
  const fail = (object: Manifest, field: string, message: string): void => {
    findings.push(finding('FAIL', 'wiring', { object: objectId(object), field, message }));
  };

  for (const route of objects.filter((object) => isGatewayApi(object) && ROUTE_KINDS.has(object.kind))) {
    const spec = (route.spec ?? {}) as { parentRefs?: Ref[]; rules?: { backendRefs?: Ref[] }[] };
    const namespace = namespaceOf(route);
    (spec.parentRefs ?? []).forEach((ref, index) => {
      const field = `spec.parentRefs[${index}]`;
      if ((ref.group ?? GROUP) !== GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') return; // mesh (Service) parents are not an edge
      const gateway = find('Gateway', ref.name, ref.namespace ?? namespace);
      if (!gateway) return fail(route, `${field}.name`, `Gateway ${ref.namespace ?? namespace}/${ref.name} is not among the manifests`);
      const listeners = ((gateway.spec ?? {}) as { listeners?: Listener[] }).listeners ?? [];
      if (ref.sectionName === undefined) {
        return fail(route, field, `no sectionName: the route attaches to every listener of Gateway ${ref.name} (${listeners.map((listener) => listener.name).join(', ')}), plain HTTP included; name one`);
      }
      const listener = listeners.find((candidate) => candidate.name === ref.sectionName);
      if (!listener) return fail(route, `${field}.sectionName`, `Gateway ${ref.name} has no listener ${ref.sectionName}`);
      const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
      if (from === 'Same' && namespaceOf(gateway) !== namespace) fail(route, field, `listener ${ref.sectionName} of Gateway ${ref.name} accepts routes of its own namespace only`);
      const kinds = listener.allowedRoutes?.kinds;
      if (kinds && !kinds.some((kind) => kind.kind === route.kind && (kind.group ?? GROUP) === GROUP)) fail(route, field, `listener ${ref.sectionName} of Gateway ${ref.name} does not accept ${route.kind}`);
    });
    (spec.rules ?? []).forEach((rule, ruleIndex) =>
      (rule.backendRefs ?? []).forEach((ref, index) => {
        const field = `spec.rules[${ruleIndex}].backendRefs[${index}]`;
        if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return;
        const backendNamespace = ref.namespace ?? namespace;
        const service = find('Service', ref.name, backendNamespace);
        if (!service) return fail(route, `${field}.name`, `Service ${backendNamespace}/${ref.name} is not among the manifests`);
        const ports = ((service.spec ?? {}) as { ports?: { port: number }[] }).ports ?? [];
        if (!ports.some((port) => port.port === ref.port)) fail(route, `${field}.port`, `Service ${ref.name} has no port ${String(ref.port)}`);
        if (backendNamespace !== namespace && !grants(objects, route, backendNamespace, ref.name)) {
          fail(route, field, `Service ${backendNamespace}/${ref.name} is in another namespace and no ReferenceGrant there admits ${route.kind}s from ${namespace}`);
        }
      }),
    );
  }

  for (const gateway of objects.filter((object) => isGatewayApi(object) && object.kind === 'Gateway')) {
    const issued = CERT_MANAGER_ANNOTATIONS.some((key) => gateway.metadata?.annotations?.[key] !== undefined);
    (((gateway.spec ?? {}) as { listeners?: Listener[] }).listeners ?? []).forEach((listener, index) => {
      (listener.tls?.certificateRefs ?? []).forEach((ref, refIndex) => {
        if ((ref.kind ?? 'Secret') !== 'Secret' || issued || find('Secret', ref.name, ref.namespace ?? namespaceOf(gateway))) return;
        findings.push(finding('WARN', 'wiring', {
          object: objectId(gateway),
          field: `spec.listeners[${index}].tls.certificateRefs[${refIndex}].name`,
          message: `Secret ${ref.name} is not among the manifests and no cert-manager issuer annotation issues it: create it before deploying (secrets stay out of git)`,
        }));
      });
    });
  }

  // Implementation policies (Envoy Gateway's, …) that target Gateway API objects by name.
  for (const policy of objects.filter((object) => /^gateway\.[a-z0-9.-]+\//.test(object.apiVersion) && !isGatewayApi(object))) {
    (((policy.spec ?? {}) as { targetRefs?: Ref[] }).targetRefs ?? []).forEach((ref, index) => {
      if (ref.group === GROUP && !find(ref.kind ?? '', ref.name, namespaceOf(policy))) {
        fail(policy, `spec.targetRefs[${index}].name`, `${ref.kind} ${ref.name} is not among the manifests: the policy applies to nothing`);
      }
    });
  }
  return findings;
}

function grants(objects: readonly Manifest[], route: Manifest, namespace: string, service: string): boolean {
  return objects.some((object) => {
    if (object.kind !== 'ReferenceGrant' || namespaceOf(object) !== namespace) return false;
    const spec = (object.spec ?? {}) as { from?: { group: string; kind: string; namespace: string }[]; to?: { group: string; kind: string; name?: string }[] };
    return (spec.from ?? []).some((from) => from.group === GROUP && from.kind === route.kind && from.namespace === namespaceOf(route)) &&
      (spec.to ?? []).some((to) => to.group === '' && to.kind === 'Service' && (to.name === undefined || to.name === service));
  });
}

import type { Manifest } from '@natter/kube-check';

/**
 * Invariants of the way in, over synthesized objects; each returns what is wrong (empty = holds),
 * so the tests can also prove them able to fail on broken manifests.
 */

interface Listener {
  name: string;
  protocol: string;
  port: number;
  hostname?: string;
  tls?: { mode?: string; certificateRefs?: { group?: string; kind?: string; name: string; namespace?: string }[] };
  allowedRoutes?: { namespaces?: { from?: string }; kinds?: { group?: string; kind: string }[] };
}
interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
}
interface RouteRule {
  backendRefs?: { group?: string; kind?: string; name: string; namespace?: string; port?: number }[];
  filters?: { type: string; requestRedirect?: { scheme?: string; statusCode?: number; hostname?: string; port?: number } }[];
}
interface RouteSpec {
  parentRefs: ParentRef[];
  hostnames?: string[];
  rules: RouteRule[];
}

const listenersOf = (gateway: Manifest): Listener[] => (gateway.spec as { listeners: Listener[] }).listeners;
const routeSpec = (route: Manifest): RouteSpec => route.spec as RouteSpec;
const id = (object: Manifest): string => `${object.kind}/${object.metadata?.name}`;

/** The objects that let traffic in from outside the cluster. */
export function edgesOf(objects: readonly Manifest[]): Manifest[] {
  return objects.filter(
    (object) =>
      object.kind === 'Ingress' ||
      object.kind === 'Gateway' ||
      (object.kind === 'Service' && (object.spec as { type?: string }).type === 'LoadBalancer'),
  );
}

/** Routes attached to a listener of the Gateway (a parentRef without sectionName attaches to all of them). */
function routesOn(objects: readonly Manifest[], gateway: Manifest, listener: string): Manifest[] {
  return objects
    .filter((object) => object.kind === 'HTTPRoute' || object.kind === 'GRPCRoute')
    .filter((route) => routeSpec(route).parentRefs.some((ref) => (ref.kind ?? 'Gateway') === 'Gateway' && ref.name === gateway.metadata?.name && (ref.sectionName === undefined || ref.sectionName === listener)));
}

/** Every external listener terminates TLS with a certificate, or is plain HTTP whose routes only redirect to HTTPS. */
export function tlsProblems(objects: readonly Manifest[], tlsSecretName: string): string[] {
  const problems: string[] = [];
  for (const gateway of objects.filter((object) => object.kind === 'Gateway')) {
    for (const listener of listenersOf(gateway)) {
      if (listener.protocol === 'HTTPS') {
        const refs = listener.tls?.certificateRefs ?? [];
        if (listener.tls?.mode !== 'Terminate' || refs.length !== 1 || refs[0]!.name !== tlsSecretName || (refs[0]!.kind ?? 'Secret') !== 'Secret' || refs[0]!.namespace !== undefined) {
          problems.push(`${id(gateway)} listener ${listener.name}: HTTPS must terminate TLS with the Secret ${tlsSecretName} of its own namespace`);
        }
      } else if (listener.protocol === 'HTTP') {
        problems.push(...redirectOnlyProblems(routesOn(objects, gateway, listener.name), `${id(gateway)} listener ${listener.name}`));
      } else {
        problems.push(`${id(gateway)} listener ${listener.name}: protocol ${listener.protocol} is neither HTTPS nor a redirecting HTTP`);
      }
    }
  }
  for (const ingress of objects.filter((object) => object.kind === 'Ingress')) {
    const spec = ingress.spec as { tls?: { hosts: string[]; secretName: string }[]; rules: { host: string }[] };
    const covered = new Set((spec.tls ?? []).filter((tls) => tls.secretName === tlsSecretName).flatMap((tls) => tls.hosts));
    for (const rule of spec.rules) if (!covered.has(rule.host)) problems.push(`${id(ingress)} host ${rule.host}: no TLS with ${tlsSecretName}`);
    if (ingress.metadata?.annotations?.['nginx.ingress.kubernetes.io/force-ssl-redirect'] !== 'true') problems.push(`${id(ingress)}: plain HTTP is not redirected (force-ssl-redirect)`);
  }
  return problems;
}

/** Routes of a plain-HTTP listener: every rule is a permanent redirect to https and sends nothing to a backend. */
export function redirectOnlyProblems(routes: readonly Manifest[], where: string): string[] {
  if (routes.length === 0) return [`${where}: no route, so it answers 404 instead of redirecting to HTTPS`];
  return routes.flatMap((route) =>
    routeSpec(route).rules.flatMap((rule, index) => {
      const redirect = rule.filters?.find((filter) => filter.type === 'RequestRedirect')?.requestRedirect;
      const ok = (rule.backendRefs ?? []).length === 0 && rule.filters?.length === 1 && redirect?.scheme === 'https' && redirect.statusCode === 301 && redirect.hostname === undefined && redirect.port === undefined;
      return ok ? [] : [`${where}: ${id(route)} rule ${index} does more than redirect to https with 301`];
    }),
  );
}

/** The edge reaches the API Service's port and nothing else, only from routes of its own namespace, for its one host. */
export function admitsOnlyProblems(objects: readonly Manifest[], api: { service: string; port: number }, host: string): string[] {
  const problems: string[] = [];
  for (const gateway of objects.filter((object) => object.kind === 'Gateway')) {
    for (const listener of listenersOf(gateway)) {
      if (listener.hostname !== host) problems.push(`${id(gateway)} listener ${listener.name}: hostname ${listener.hostname ?? '(any)'} is not ${host}`);
      const kinds = listener.allowedRoutes?.kinds ?? [];
      if (listener.allowedRoutes?.namespaces?.from !== 'Same' || kinds.length !== 1 || kinds[0]!.kind !== 'HTTPRoute') {
        problems.push(`${id(gateway)} listener ${listener.name}: must accept HTTPRoutes of its own namespace only`);
      }
    }
  }
  for (const route of objects.filter((object) => object.kind === 'HTTPRoute' || object.kind === 'GRPCRoute')) {
    const spec = routeSpec(route);
    if (spec.parentRefs.some((ref) => ref.sectionName === undefined)) problems.push(`${id(route)}: a parentRef without sectionName attaches to every listener, plain HTTP included`);
    if (JSON.stringify(spec.hostnames) !== JSON.stringify([host])) problems.push(`${id(route)}: hostnames ${JSON.stringify(spec.hostnames)} are not [${host}]`);
    for (const ref of spec.rules.flatMap((rule) => rule.backendRefs ?? [])) {
      if ((ref.kind ?? 'Service') !== 'Service' || ref.name !== api.service || ref.port !== api.port || ref.namespace !== undefined) {
        problems.push(`${id(route)}: backend ${ref.kind ?? 'Service'} ${ref.namespace ?? ''}/${ref.name}:${ref.port} is not ${api.service}:${api.port}`);
      }
    }
  }
  for (const ingress of objects.filter((object) => object.kind === 'Ingress')) {
    const spec = ingress.spec as { defaultBackend?: unknown; rules: { host: string; http: { paths: { backend: { service?: { name: string; port: { number: number } } } }[] } }[] };
    if (spec.defaultBackend !== undefined) problems.push(`${id(ingress)}: a default backend answers every host`);
    for (const rule of spec.rules) {
      if (rule.host !== host) problems.push(`${id(ingress)}: host ${rule.host} is not ${host}`);
      for (const path of rule.http.paths) {
        const service = path.backend.service;
        if (service?.name !== api.service || service.port.number !== api.port) problems.push(`${id(ingress)}: backend ${JSON.stringify(path.backend)} is not ${api.service}:${api.port}`);
      }
    }
  }
  return problems;
}

import type { IContainer } from 'kubernetes-models/v1/Container';
import type { PodLike } from './pod-security.js';

/**
 * What the Linkerd proxy injector does to a pod, modelled from linkerd/linkerd2
 * `charts/partials/templates/_proxy-init.tpl`, `_network-validator.tpl` and `_proxy.tpl`
 * (stable-2.14 … edge-26.x), so tests can judge the pod the cluster will really admit.
 */
export type LinkerdMode = 'linkerd-init' | 'linkerd-cni';

/** Linkerd's default `proxyInit.ignoreInboundPorts` / `ignoreOutboundPorts`: these bypass the proxy. */
export const LINKERD_DEFAULT_SKIPPED_PORTS = '4567,4568';
export const LINKERD_PROXY_UID = 2102;
/** The proxy's own ports (outbound 4140, inbound 4143, 4190 and the admin port 4191): never application ports. */
export const LINKERD_PROXY_PORTS: ReadonlySet<number> = new Set([4140, 4143, 4190, 4191]);
/** The proxy's admin port (`linkerd-admin`: metrics and the proxy's probes), on every meshed pod; Servers may cover it. */
export const LINKERD_ADMIN_PORT = 4191;
export const LINKERD_ADMIN_PORT_NAME = 'linkerd-admin';

export const SKIP_INBOUND_ANNOTATION = 'config.linkerd.io/skip-inbound-ports';
export const SKIP_OUTBOUND_ANNOTATION = 'config.linkerd.io/skip-outbound-ports';

function parsePortList(value: string): [number, number][] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!match) throw new Error(`not a Linkerd port list entry: ${JSON.stringify(part)}`);
      return [Number(match[1]), Number(match[2] ?? match[1])];
    });
}

/**
 * True when `port` bypasses the proxy for the pod. A non-empty pod annotation replaces the
 * install's default list; without it the default (4567,4568) applies.
 */
export function isPortSkipped(annotations: Readonly<Record<string, string>>, direction: 'inbound' | 'outbound', port: number): boolean {
  const annotation = direction === 'inbound' ? SKIP_INBOUND_ANNOTATION : SKIP_OUTBOUND_ANNOTATION;
  // Conservative: an empty annotation may be treated as "not set" by the injector, leaving the
  // default list in force, so only a non-empty value counts as a replacement.
  const value = annotations[annotation]?.trim();
  const list = value ? value : LINKERD_DEFAULT_SKIPPED_PORTS;
  return parsePortList(list).some(([start, end]) => port >= start && port <= end);
}

/** Whether the injector will mesh a pod: the pod's annotation wins over the namespace's. */
export function isInjected(podAnnotations: Readonly<Record<string, string>>, namespaceAnnotations: Readonly<Record<string, string>>): boolean {
  const value = podAnnotations['linkerd.io/inject'] ?? namespaceAnnotations['linkerd.io/inject'];
  return value === 'enabled' || value === 'ingress';
}

function linkerdInitContainer(): IContainer {
  return {
    name: 'linkerd-init',
    image: 'cr.l5d.io/linkerd/proxy-init',
    args: ['--incoming-proxy-port', '4143', '--outgoing-proxy-port', '4140', '--proxy-uid', String(LINKERD_PROXY_UID)],
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
    },
    volumeMounts: [{ name: 'linkerd-proxy-init-xtables-lock', mountPath: '/run' }],
  };
}

function networkValidatorContainer(): IContainer {
  return {
    name: 'linkerd-network-validator',
    image: 'cr.l5d.io/linkerd/proxy',
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 65534,
      runAsNonRoot: true,
      runAsUser: 65534,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

function proxyContainer(firstContainer: IContainer | undefined): IContainer {
  return {
    name: 'linkerd-proxy',
    image: 'cr.l5d.io/linkerd/proxy',
    ports: [
      { name: 'linkerd-proxy', containerPort: 4143 },
      { name: 'linkerd-admin', containerPort: 4191 },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      // The injector copies the first container's capabilities to the proxy (FACTS.md).
      ...(firstContainer?.securityContext?.capabilities ? { capabilities: firstContainer.securityContext.capabilities } : {}),
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: LINKERD_PROXY_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'linkerd-identity-end-entity', mountPath: '/var/run/linkerd/identity/end-entity' }],
  };
}

/** The pod as the proxy injector would rewrite it in the given mode. */
export function injectLinkerd(pod: PodLike, mode: LinkerdMode): PodLike {
  const init = mode === 'linkerd-init' ? linkerdInitContainer() : networkValidatorContainer();
  const volumes = [
    ...(pod.spec.volumes ?? []),
    { name: 'linkerd-identity-end-entity', emptyDir: { medium: 'Memory' } },
    // The proxy authenticates to linkerd-identity with its own projected token (audience
    // identity.l5d.io), so pods keep automountServiceAccountToken: false.
    {
      name: 'linkerd-identity-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'identity.l5d.io', expirationSeconds: 86400, path: 'linkerd-identity-token' } }] },
    },
    ...(mode === 'linkerd-init' ? [{ name: 'linkerd-proxy-init-xtables-lock', emptyDir: {} }] : []),
  ];
  return {
    annotations: pod.annotations,
    spec: {
      ...pod.spec,
      initContainers: [init, ...(pod.spec.initContainers ?? [])],
      containers: [proxyContainer(pod.spec.containers[0]), ...pod.spec.containers],
      volumes,
    },
  };
}

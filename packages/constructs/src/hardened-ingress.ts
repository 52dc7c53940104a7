import { Service, ServiceType, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { NGINX_ANNOTATION_PREFIX, validateIngressAnnotations } from './ingress-annotations.js';
import { assertAbsolutePath, assertDnsLabel, assertDnsSubdomain } from './names.js';
import { assertPortNumber } from './port.js';
import { WorkloadService } from './workload-service.js';

/** Props of HardenedIngress. */
export interface HardenedIngressProps {
  /**
   * `metadata.name` of the Ingress.
   * @default - the construct id
   */
  readonly name?: string;
  /** Public host name, e.g. `api.example.com` (no wildcards). */
  readonly host: string;
  /** Name of the TLS Secret (type kubernetes.io/tls) for `host`; TLS is always on. */
  readonly tlsSecretName: string;
  /**
   * The Service traffic is routed to, in the same namespace: a `WorkloadService`
   * (`exposeViaService`) or a cdk8s-plus `Service` (not of type ExternalName).
   */
  readonly backend: WorkloadService | Service;
  /**
   * Port of the backend Service to route to; only needed for a cdk8s-plus Service with several ports.
   * @default - the Service's port (WorkloadService), or its only port (cdk8s-plus Service)
   */
  readonly backendPort?: number;
  /**
   * IngressClass that serves this Ingress.
   * @default 'nginx'
   */
  readonly ingressClassName?: string;
  /**
   * Path prefix routed to the backend.
   * @default '/'
   */
  readonly path?: string;
  /**
   * Controller annotations; only keys in ALLOWED_INGRESS_ANNOTATIONS are accepted and
   * `*-snippet`, `auth-url`, `auth-tls-*`, `mirror-*` are always rejected.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Send traffic to the Service's cluster IP with the Service's cluster DNS name as Host
   * (`service-upstream` and `upstream-vhost`), so a service mesh applies mTLS and policy.
   * @default false
   */
  readonly meshUpstream?: boolean;
}

const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

/**
 * A networking.k8s.io/v1 Ingress for one host with TLS, a backend Service by object reference, and
 * an allow-listed set of annotations. The Ingress object has id `Resource`.
 */
export class HardenedIngress extends Construct {
  /** `metadata.name` of the Ingress. */
  public readonly name: string;
  /** The Ingress object. */
  public readonly resource: k8s.KubeIngress;

  public constructor(scope: Construct, id: string, props: HardenedIngressProps) {
    super(scope, id);
    this.name = props.name ?? id;
    assertDnsLabel('Ingress name', this.name);
    if (!HOST.test(props.host)) {
      throw new Error(`host must be a fully qualified lower-case DNS name without wildcards, got '${props.host}'`);
    }
    assertDnsSubdomain('tlsSecretName', props.tlsSecretName);
    const path = props.path ?? '/';
    if (path !== '/') {
      assertAbsolutePath('path', path);
    }
    const annotations = { ...props.annotations };
    validateIngressAnnotations(annotations);
    const backend = resolveBackend(props.backend, props.backendPort);
    if (props.meshUpstream === true) {
      const vhost = `${NGINX_ANNOTATION_PREFIX}upstream-vhost`;
      if (vhost in annotations) {
        throw new Error(`pass either meshUpstream or the '${vhost}' annotation, not both`);
      }
      annotations[`${NGINX_ANNOTATION_PREFIX}service-upstream`] = 'true';
      annotations[vhost] = `${backend.clusterDnsName()}:${backend.port}`;
    }
    this.resource = new k8s.KubeIngress(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: backend.namespace,
        labels: backend.labels,
        annotations: Object.keys(annotations).length === 0 ? undefined : annotations,
      },
      spec: {
        ingressClassName: props.ingressClassName ?? 'nginx',
        tls: [{ hosts: [props.host], secretName: props.tlsSecretName }],
        rules: [
          {
            host: props.host,
            http: {
              paths: [
                { path, pathType: 'Prefix', backend: { service: { name: backend.name, port: { number: backend.port } } } },
              ],
            },
          },
        ],
      },
    });
  }
}

/** What the Ingress needs to know about its backend Service. */
interface ResolvedBackend {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly port: number;
  clusterDnsName(): string;
  readonly labels: Record<string, string> | undefined;
}

function resolveBackend(backend: WorkloadService | Service, backendPort: number | undefined): ResolvedBackend {
  if (backend instanceof WorkloadService) {
    if (backendPort !== undefined && backendPort !== backend.port) {
      throw new Error(`backendPort ${backendPort} is not the port of Service ${backend.name} (${backend.port}); omit backendPort`);
    }
    return {
      name: backend.name,
      namespace: backend.namespace,
      port: backend.port,
      clusterDnsName: () => backend.clusterDnsName(),
      labels: { ...backend.workload.selectorLabels },
    };
  }
  if (backend.type === ServiceType.EXTERNAL_NAME) {
    throw new Error(`backend ${backend.name} is an ExternalName Service: the Ingress would proxy to a host outside the cluster; route to a Service that selects pods`);
  }
  const ports = backend.ports.map((p) => p.port);
  const port = backendPort ?? (ports.length === 1 ? ports[0] : undefined);
  if (port === undefined || !ports.includes(port)) {
    throw new Error(`backend ${backend.name} has ports [${ports.join(', ')}]; pass backendPort with exactly one of them`);
  }
  assertPortNumber('backendPort', port);
  const namespace = backend.metadata.namespace;
  return {
    name: backend.name,
    namespace,
    port,
    clusterDnsName: () => {
      if (namespace === undefined) {
        throw new Error(`Service ${backend.name} has no namespace; set namespace on the chart or the Service`);
      }
      return `${backend.name}.${namespace}.svc.cluster.local`;
    },
    labels: undefined,
  };
}

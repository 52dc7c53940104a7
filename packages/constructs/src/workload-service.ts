import { Protocol, ServiceType, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { assertServiceName } from './names.js';
import { assertPortNumber } from './port.js';
import type { WorkloadPort, IServableWorkload } from './workload.js';

/** Service types a WorkloadService can have: it always selects pods, so never ExternalName. */
const SUPPORTED_TYPES: readonly ServiceType[] = [ServiceType.CLUSTER_IP, ServiceType.NODE_PORT];

/** Options of `exposeViaService` on a workload. */
export interface ExposeOptions {
  /** `metadata.name` of the Service (an RFC 1035 label); also its in-cluster DNS name. */
  readonly name: string;
  /** Port the Service listens on. */
  readonly port: number;
  /**
   * Name or number of the workload's container port to forward to.
   * @default - the workload's only container port
   */
  readonly targetPort?: string | number;
  /**
   * Service type (cdk8s-plus's `ServiceType`): `CLUSTER_IP` or `NODE_PORT`. `LOAD_BALANCER` is
   * rejected (publish through an Ingress, whose annotations are checked), and so is `EXTERNAL_NAME`
   * (it selects no pods).
   * @default ServiceType.CLUSTER_IP
   */
  readonly type?: ServiceType;
  /**
   * Fixed node port (30000-32767); only with ServiceType.NODE_PORT.
   * @default - Kubernetes picks one when the type is NODE_PORT
   */
  readonly nodePort?: number;
}

/** Props of WorkloadService. */
export interface WorkloadServiceProps extends ExposeOptions {
  /** The workload whose pods receive the traffic; selector and target port come from it. */
  readonly workload: IServableWorkload;
}

/**
 * A Service whose selector is the workload's own selector and whose targetPort is one of the
 * workload's declared container ports, so it cannot select nothing or point at a closed port.
 * No `externalIPs`, no hashed labels.
 */
export class WorkloadService extends Construct {
  /** `metadata.name` of the Service. */
  public readonly name: string;
  /** Namespace of the Service (the workload's). */
  public readonly namespace: string | undefined;
  /** Port the Service listens on. */
  public readonly port: number;
  /** The container port traffic is forwarded to. */
  public readonly targetPort: WorkloadPort;
  /** The workload behind the Service. */
  public readonly workload: IServableWorkload;
  /** The Service object. */
  public readonly resource: k8s.KubeService;

  public constructor(scope: Construct, id: string, props: WorkloadServiceProps) {
    super(scope, id);
    assertServiceName('Service name', props.name);
    assertPortNumber('Service port', props.port);
    const type = props.type ?? ServiceType.CLUSTER_IP;
    if (!SUPPORTED_TYPES.includes(type)) {
      throw new Error(
        `Service type must be one of ${SUPPORTED_TYPES.join(', ')}, got ${type}; ` +
          `publish the workload through a HardenedIngress instead`,
      );
    }
    if (props.nodePort !== undefined) {
      if (type !== ServiceType.NODE_PORT) {
        throw new Error(`nodePort is only valid with type ServiceType.NODE_PORT, got nodePort ${props.nodePort} with type ${type}`);
      }
      if (!Number.isInteger(props.nodePort) || props.nodePort < 30000 || props.nodePort > 32767) {
        throw new Error(`nodePort must be an integer in 30000-32767, got ${props.nodePort}`);
      }
    }
    this.name = props.name;
    this.workload = props.workload;
    this.namespace = props.workload.namespace;
    this.port = props.port;
    this.targetPort = findTargetPort(props.workload, props.targetPort);
    this.resource = new k8s.KubeService(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels: { ...props.workload.selectorLabels } },
      spec: {
        type,
        selector: { ...props.workload.selectorLabels },
        ports: [
          {
            name: this.targetPort.name,
            protocol: this.targetPort.protocol ?? Protocol.TCP,
            port: this.port,
            targetPort: k8s.IntOrString.fromString(this.targetPort.name),
            nodePort: props.nodePort,
          },
        ],
      },
    });
  }

  /**
   * Fully qualified in-cluster DNS name, e.g. `api.prod.svc.cluster.local`.
   * @param clusterDomain the cluster's DNS domain
   */
  public clusterDnsName(clusterDomain = 'cluster.local'): string {
    return `${this.name}.${this.requireNamespace()}.svc.${clusterDomain}`;
  }

  /**
   * Every `host:port` a client inside the cluster may send as Host header for this Service:
   * `name`, `name.namespace`, `name.namespace.svc` and the fully qualified name.
   */
  public inClusterHosts(clusterDomain = 'cluster.local'): string[] {
    const ns = this.requireNamespace();
    return [this.name, `${this.name}.${ns}`, `${this.name}.${ns}.svc`, this.clusterDnsName(clusterDomain)].map(
      (host) => `${host}:${this.port}`,
    );
  }

  /** `http://<fully qualified name>:<port>`, for clients configured by URL. */
  public url(scheme = 'http', clusterDomain = 'cluster.local'): string {
    return `${scheme}://${this.clusterDnsName(clusterDomain)}:${this.port}`;
  }

  private requireNamespace(): string {
    if (this.namespace === undefined) {
      throw new Error(`Service ${this.name} has no namespace; set namespace on the chart or the workload`);
    }
    return this.namespace;
  }
}

function findTargetPort(workload: IServableWorkload, wanted: string | number | undefined): WorkloadPort {
  const ports = workload.containerPorts;
  const declared = ports.map((p) => `${p.name}=${p.number}`).join(', ') || 'none';
  if (wanted === undefined) {
    if (ports.length !== 1 || ports[0] === undefined) {
      throw new Error(`${workload.name} declares ports [${declared}]; pass targetPort to choose exactly one`);
    }
    return ports[0];
  }
  const port = ports.find((p) => p.name === wanted || p.number === wanted);
  if (port === undefined) {
    throw new Error(`targetPort ${wanted} is not a container port of ${workload.name} (declared: ${declared})`);
  }
  return port;
}

import { k8s } from 'cdk8s-plus-27';
import type { WorkloadPort } from './workload.js';

/** Timing shared by every probe kind. */
export interface HealthProbeOptions {
  /**
   * Seconds after container start before the first probe.
   * @default 0
   */
  readonly initialDelaySeconds?: number;
  /**
   * Seconds between probes.
   * @default 10
   */
  readonly periodSeconds?: number;
  /**
   * Seconds after which a probe attempt counts as failed.
   * @default 2
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive failures before the probe counts as failed.
   * @default 3
   */
  readonly failureThreshold?: number;
}

/** Options of an HTTP GET probe. */
export interface HttpGetHealthProbeOptions extends HealthProbeOptions {
  /**
   * Container port name or number to probe.
   * @default - the workload's first container port
   */
  readonly port?: string | number;
  /**
   * Value of the `Host` header the kubelet sends. Set it when the server rejects unknown
   * Host headers (DNS-rebinding protection); the kubelet otherwise sends the pod IP.
   * Note: Kubernetes' own `httpGet.host` field is the address to connect to, not this header.
   * @default - no Host header (the kubelet sends `<pod IP>:<port>`)
   */
  readonly hostHeader?: string;
}

/** Options of a TCP socket probe. */
export interface TcpSocketHealthProbeOptions extends HealthProbeOptions {
  /**
   * Container port name or number to probe.
   * @default - the workload's first container port
   */
  readonly port?: string | number;
}

const TIMING_MINIMUMS: ReadonlyArray<readonly [keyof HealthProbeOptions, number]> = [
  ['initialDelaySeconds', 0],
  ['periodSeconds', 1],
  ['timeoutSeconds', 1],
  ['failureThreshold', 1],
];

type ProbeAction =
  | { readonly kind: 'http'; readonly path: string; readonly port?: string | number; readonly hostHeader?: string }
  | { readonly kind: 'tcp'; readonly port?: string | number }
  | { readonly kind: 'exec'; readonly command: readonly string[] };

/**
 * A readiness, liveness or startup probe. Unlike cdk8s-plus's `Probe` it can send a `Host` header
 * (`httpGet(path, { hostHeader })`) and refers to container ports by name.
 */
export class HealthProbe {
  /** Probe with an HTTP GET request to `path`; 2xx/3xx counts as success. */
  public static httpGet(path: string, options: HttpGetHealthProbeOptions = {}): HealthProbe {
    if (!path.startsWith('/')) {
      throw new Error(`probe path must start with '/', got '${path}'`);
    }
    if (options.hostHeader !== undefined && !/^[A-Za-z0-9.:[\]-]+$/.test(options.hostHeader)) {
      throw new Error(`probe hostHeader must be a host or host:port, got '${options.hostHeader}'`);
    }
    return new HealthProbe({ kind: 'http', path, port: options.port, hostHeader: options.hostHeader }, options);
  }

  /** Probe by opening a TCP connection. */
  public static tcpSocket(options: TcpSocketHealthProbeOptions = {}): HealthProbe {
    return new HealthProbe({ kind: 'tcp', port: options.port }, options);
  }

  /** Probe by running `command` in the container; exit code 0 counts as success. */
  public static exec(command: readonly string[], options: HealthProbeOptions = {}): HealthProbe {
    if (command.length === 0) {
      throw new Error('exec probe command must not be empty; pass e.g. ["pg_isready", "-q"]');
    }
    return new HealthProbe({ kind: 'exec', command }, options);
  }

  private constructor(
    private readonly action: ProbeAction,
    private readonly options: HealthProbeOptions,
  ) {
    for (const [field, minimum] of TIMING_MINIMUMS) {
      const value = options[field];
      if (value !== undefined && (!Number.isInteger(value) || value < minimum)) {
        throw new Error(`probe ${field} must be an integer >= ${minimum}, got ${value}`);
      }
    }
  }

  /**
   * Renders the Kubernetes probe. Used by the hardened workloads.
   * @param containerPorts the container's ports; the first is used when the probe names none
   */
  public render(containerPorts: readonly WorkloadPort[]): k8s.Probe {
    const timing = {
      initialDelaySeconds: this.options.initialDelaySeconds ?? 0,
      periodSeconds: this.options.periodSeconds ?? 10,
      timeoutSeconds: this.options.timeoutSeconds ?? 2,
      failureThreshold: this.options.failureThreshold ?? 3,
    };
    const action = this.action;
    if (action.kind === 'exec') {
      return { ...timing, exec: { command: [...action.command] } };
    }
    const port = probePort(action.port, containerPorts);
    if (action.kind === 'tcp') {
      return { ...timing, tcpSocket: { port } };
    }
    const httpHeaders = action.hostHeader === undefined ? undefined : [{ name: 'Host', value: action.hostHeader }];
    return { ...timing, httpGet: { path: action.path, port, scheme: 'HTTP', httpHeaders } };
  }
}

function probePort(port: string | number | undefined, containerPorts: readonly WorkloadPort[]): k8s.IntOrString {
  if (typeof port === 'number') {
    return k8s.IntOrString.fromNumber(port);
  }
  const name = port ?? containerPorts[0]?.name;
  if (name === undefined) {
    throw new Error('probe has no port and the workload declares no container port; pass { port } or add ports');
  }
  if (!containerPorts.some((p) => p.name === name)) {
    const declared = containerPorts.map((p) => p.name).join(', ') || 'none';
    throw new Error(`probe port '${name}' is not a declared container port name (declared: ${declared})`);
  }
  return k8s.IntOrString.fromString(name);
}

import { Construct } from 'constructs';
import type { IWorkload } from '@natter/constructs';
import {
  AuthorizationPolicy,
  MeshTlsAuthentication,
  NetworkAuthentication,
  ServerV1Beta3,
} from '../../imports/policy.linkerd.io.js';

const POLICY_GROUP = 'policy.linkerd.io';

/** A meshed client identified by its ServiceAccount (Linkerd's mTLS identity). */
export interface MeshClient {
  readonly serviceAccount: string;
  /** @default - the server's namespace */
  readonly namespace?: string;
}

export interface AuthorizedServerProps {
  /** The workload whose port is protected. */
  readonly workload: IWorkload;
  /** Container port name the Server covers. */
  readonly port: string;
  /** `HTTP/1`, `HTTP/2`, `gRPC`, `opaque` or `TLS`; skips protocol detection. */
  readonly proxyProtocol: 'HTTP/1' | 'HTTP/2' | 'gRPC' | 'opaque' | 'TLS';
  /** The only meshed identities allowed to connect. */
  readonly clients: readonly MeshClient[];
  /**
   * Unmeshed source networks allowed to connect (e.g. node-port clients in dev).
   * @default - none
   */
  readonly unmeshedNetworks?: readonly string[];
}

/**
 * Identity-based authorization on top of the NetworkPolicies: a Linkerd Server that denies by
 * default, and an AuthorizationPolicy admitting only the listed ServiceAccounts over mTLS (plus,
 * explicitly, unmeshed networks). A pod that merely copies a label cannot pass this layer.
 * Deliberately no HTTPRoutes: Linkerd authorizes the kubelet's probes automatically only while a
 * Server has none (linkerd.io "Authorization Policy", "Default authorizations").
 */
export class AuthorizedServer extends Construct {
  public readonly server: ServerV1Beta3;

  public constructor(scope: Construct, id: string, props: AuthorizedServerProps) {
    super(scope, id);
    const name = props.workload.name;
    if (props.clients.length === 0) throw new Error(`Server ${name} needs at least one client; without one nothing can connect`);
    this.server = new ServerV1Beta3(this, 'Server', {
      metadata: { name },
      spec: {
        podSelector: { matchLabels: { ...props.workload.selectorLabels } },
        port: props.port,
        proxyProtocol: props.proxyProtocol,
        accessPolicy: 'deny',
      },
    });
    const targetRef = { group: POLICY_GROUP, kind: 'Server', name };
    const meshClients = new MeshTlsAuthentication(this, 'MeshClients', {
      metadata: { name: `${name}-clients` },
      spec: {
        identityRefs: props.clients.map((client) => ({ kind: 'ServiceAccount', name: client.serviceAccount, namespace: client.namespace })),
      },
    });
    new AuthorizationPolicy(this, 'MeshClientsPolicy', {
      metadata: { name: `${name}-from-mesh-clients` },
      spec: {
        targetRef,
        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: 'MeshTLSAuthentication', name: meshClients.name }],
      },
    });
    if (props.unmeshedNetworks && props.unmeshedNetworks.length > 0) {
      const networks = new NetworkAuthentication(this, 'UnmeshedNetworks', {
        metadata: { name: `${name}-unmeshed-networks` },
        spec: { networks: props.unmeshedNetworks.map((cidr) => ({ cidr })) },
      });
      new AuthorizationPolicy(this, 'UnmeshedNetworksPolicy', {
        metadata: { name: `${name}-from-unmeshed-networks` },
        spec: {
          targetRef,
          requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: 'NetworkAuthentication', name: networks.name }],
        },
      });
    }
  }
}

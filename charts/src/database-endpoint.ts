import type { HardenedWorkload, IWorkload, SecretFile } from '@natter/constructs';
import { DATABASE_NAME } from './contract.js';
import type { ServiceAddress } from './service-address.js';

/**
 * Where the API and the migration reach PostgreSQL, whichever engine runs it: the one place their
 * connection settings come from (`connectToDatabase`), so both always agree on host, port,
 * database and how the hop is protected.
 */
export interface DatabaseEndpoint {
  /** The database pods: the peer of the NetworkPolicies. */
  readonly workload: IWorkload;
  /** The Service clients connect to; its fully qualified name is also the TLS server name. */
  readonly address: ServiceAddress;
  /**
   * The CA certificate (one key of a Secret) the clients verify the server's certificate against
   * (`sslmode=verify-full`). Set exactly when the database pods are not meshed: then PostgreSQL's
   * own TLS, not Linkerd's mTLS, protects the hop.
   */
  readonly serverCa: SecretFile | undefined;
  /**
   * The database sets the API role's password itself (CloudNativePG's managed roles), so the
   * migration needs neither that password nor the privilege to change it.
   */
  readonly setsApiRolePassword: boolean;
}

/**
 * Points a client workload at the database: `DATABASE_HOST` (the Service's fully qualified name,
 * which the server certificate carries), `DATABASE_PORT`, `DATABASE_NAME` and, when the hop is not
 * meshed, the CA file as `DATABASE_SSL_ROOT_CERT_FILE` (natter-api then connects with TLS
 * verify-full against it and refuses to start without it). The role and its password file are
 * the caller's: the API and the migration log in as different roles.
 */
export function connectToDatabase(client: HardenedWorkload, endpoint: DatabaseEndpoint): void {
  client.addEnv('DATABASE_HOST', endpoint.address.fqdn);
  client.addEnv('DATABASE_PORT', String(endpoint.address.port));
  client.addEnv('DATABASE_NAME', DATABASE_NAME);
  if (endpoint.serverCa !== undefined) {
    client.addEnv('DATABASE_SSL_ROOT_CERT_FILE', client.mountSecretFile(endpoint.serverCa));
  }
}

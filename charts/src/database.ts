import { ApiObject } from 'cdk8s';
import { HardenedJob, HardenedStatefulSet, HealthProbe, type WorkloadService } from '@natter/constructs';
import { Construct } from 'constructs';
import { DATABASE_API_USER, DATABASE_NAME, DATABASE_OWNER_USER, SECRETS, SECRETS_DIRECTORY, WORKLOAD_NAMES } from './contract.js';
import { connectToDatabase, type DatabaseEndpoint } from './database-endpoint.js';
import { MESH_POD_ANNOTATIONS, NATIVE_SIDECAR_ANNOTATION } from './mesh.js';
import { nodeSupportProps } from './node-support.js';
import type { NatterProfile } from './profiles.js';
import { databaseImage, pullPolicy, resourceProps, size } from './construct-props.js';
import type { ServiceAddress } from './service-address.js';

/** The volume is mounted here; PGDATA is a sub-directory the (non-root) entrypoint can create and chmod 0700. */
const DATA_MOUNT = '/var/lib/postgresql/data';
export const PGDATA = `${DATA_MOUNT}/pgdata`;
/** Unix socket directory; probes use it so they need no network path and no password. */
const SOCKET_DIRECTORY = '/var/run/postgresql';

export interface DatabaseProps {
  readonly profile: NatterProfile;
  readonly address: ServiceAddress;
}

/**
 * PostgreSQL as a hardened StatefulSet (official image, UID 10001 — the Debian image's entrypoint
 * handles an arbitrary UID via nss_wrapper; fsGroup makes the volume writable) and its Service.
 * The password comes from a mounted Secret file (`POSTGRES_PASSWORD_FILE`), never from the YAML.
 */
export class Database extends Construct implements DatabaseEndpoint {
  public readonly workload: HardenedStatefulSet;
  public readonly service: WorkloadService;
  public readonly address: ServiceAddress;
  /** Linkerd's mTLS protects the hop: the pod is meshed. */
  public readonly serverCa = undefined;
  public readonly setsApiRolePassword = false;

  public constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { profile, address } = props;
    this.address = address;
    const readiness = ['pg_isready', '--quiet', `--host=${SOCKET_DIRECTORY}`, `--dbname=${DATABASE_NAME}`, `--username=${DATABASE_OWNER_USER}`];
    this.workload = new HardenedStatefulSet(this, 'Workload', {
      name: WORKLOAD_NAMES.database,
      image: databaseImage(profile),
      imagePullPolicy: pullPolicy(profile),
      ports: [{ name: 'postgres', number: address.port }],
      env: {
        PGDATA,
        POSTGRES_DB: DATABASE_NAME,
        POSTGRES_USER: DATABASE_OWNER_USER,
        POSTGRES_INITDB_ARGS: '--data-checksums',
      },
      secretFiles: [SECRETS.databaseOwner],
      secretsDirectory: SECRETS_DIRECTORY,
      writableDirectories: [SOCKET_DIRECTORY],
      volumeClaims: [
        {
          name: 'data',
          mountPath: DATA_MOUNT,
          storage: size(profile.database.storage),
          storageClassName: profile.database.storageClassName,
        },
      ],
      ...resourceProps(profile.database.resources),
      readinessProbe: HealthProbe.exec(readiness, { periodSeconds: 5 }),
      livenessProbe: HealthProbe.exec(liveness(readiness), { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
      podAnnotations: MESH_POD_ANNOTATIONS,
      ...nodeSupportProps(profile),
    });
    this.workload.addEnv(
      'POSTGRES_PASSWORD_FILE',
      this.workload.secretFilePath(SECRETS.databaseOwner.secretName, SECRETS.databaseOwner.key),
    );
    this.service = this.workload.exposeViaService({ name: address.name, port: address.port });
  }
}

/**
 * Alive while the server answers at all: pg_isready exits 1 while PostgreSQL is up but rejecting
 * connections (starting, or replaying WAL after a crash, which can take long), 2 when nothing
 * answers. Only the latter may restart the container; readiness waits for 0.
 */
function liveness(readiness: readonly string[]): string[] {
  return ['sh', '-c', `${readiness.join(' ')}; [ $? -le 1 ]`];
}

export interface MigrationProps {
  readonly profile: NatterProfile;
  readonly database: DatabaseEndpoint;
}

/**
 * Creates/updates the schema and the least-privilege `natter_api_user`'s grants (and its password
 * from the second Secret, where the database does not set it itself), then exits. The only client
 * that holds the owner's password; with the `statefulset` engine the database pod holds it too, to
 * initialise its data directory.
 */
export class Migration extends Construct {
  public readonly workload: HardenedJob;

  public constructor(scope: Construct, id: string, props: MigrationProps) {
    super(scope, id);
    const { profile, database } = props;
    this.workload = new HardenedJob(this, 'Workload', {
      name: WORKLOAD_NAMES.migration,
      image: profile.images.natterApi,
      imagePullPolicy: pullPolicy(profile),
      ...resourceProps(profile.migration.resources),
      command: ['node', '/app/migrate.mjs'],
      env: {
        LOG_LEVEL: profile.logLevel,
        DATABASE_OWNER_USER,
        DATABASE_API_USER,
      },
      secretFiles: [SECRETS.databaseOwner],
      secretsDirectory: SECRETS_DIRECTORY,
      podAnnotations: { ...MESH_POD_ANNOTATIONS, ...NATIVE_SIDECAR_ANNOTATION },
      ...nodeSupportProps(profile),
      // With plain `kubectl apply` the Job starts with the database; the exponential back-off
      // (10 s … 160 s, 310 s in all) covers its first start and leaves the attempts 290 s of the
      // 600 s activeDeadlineSeconds (6 retries would wait 630 s: HardenedJob rejects that).
      backoffLimit: 5,
    });
    connectToDatabase(this.workload, database);
    this.workload.addEnv('DATABASE_OWNER_PASSWORD_FILE', this.workload.secretFilePath(SECRETS.databaseOwner.secretName, SECRETS.databaseOwner.key));
    if (!database.setsApiRolePassword) {
      this.workload.addEnv('DATABASE_API_PASSWORD_FILE', this.workload.mountSecretFile(SECRETS.databaseApiUser));
    }
  }

  public get job(): ApiObject {
    return this.workload.resource;
  }
}

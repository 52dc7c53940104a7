import { ApiObject, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { HardenedJob, HardenedStatefulSet, HealthProbe, MountedVolume, type WorkloadService } from '@natter/constructs';
import { Construct } from 'constructs';
import { DATABASE_API_USER, DATABASE_NAME, DATABASE_OWNER_USER, SECRETS, SECRETS_DIRECTORY, WORKLOAD_NAMES } from './contract.js';
import { connectToDatabase, type DatabaseEndpoint } from './database-endpoint.js';
import { connectionParameters } from './database-connections.js';
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

/** PostgreSQL's superuser: only the image's bootstrap (initdb and the init script) uses it. */
const SUPERUSER = 'postgres';
/** Where the image's entrypoint runs init scripts, once, when the data directory is new. */
const INIT_DIRECTORY = '/docker-entrypoint-initdb.d';
/**
 * PostgreSQL's shared memory: the container runtime's /dev/shm (64 MiB) is too small for parallel
 * queries; a tmpfs counts against the memory limit, hence the bound.
 */
const SHARED_MEMORY_MIB = 128;

/**
 * Sourced by the image's entrypoint while its temporary, socket-only server runs the first time:
 * creates the owner role — no superuser, but CREATEROLE, because in dev the migration creates the
 * API role and sets its password — and hands it the database (PostgreSQL 15+: the public schema
 * belongs to the database's owner). The server reads the password from the mounted file itself:
 * it is on no command line, and it reaches the server only inside the ALTER ROLE that sets it
 * (which the server logs only if that statement fails).
 */
const OWNER_INIT_SCRIPT = `# natter: the owner role (charts/src/database.ts). Sourced by docker-entrypoint.sh.
docker_process_sql --set=owner="$NATTER_OWNER_USER" --set=password_file="$NATTER_OWNER_PASSWORD_FILE" <<'SQL'
CREATE ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS;
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', rtrim(pg_read_file(:'password_file'), E'\\n')) \\gexec
ALTER DATABASE :"DBNAME" OWNER TO :"owner";
SQL
`;

/**
 * PostgreSQL as a hardened StatefulSet (official image, UID 10001 — the Debian image's entrypoint
 * handles an arbitrary UID via nss_wrapper; fsGroup makes the volume writable) and its Service.
 * The superuser's password (from its own Secret) serves the image's bootstrap alone; an init script
 * creates the non-superuser owner the migration uses. Passwords come from mounted Secret files.
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
    const isReady = (host: string) => ['pg_isready', '--quiet', `--host=${host}`, `--port=${address.port}`, `--dbname=${DATABASE_NAME}`, `--username=${DATABASE_OWNER_USER}`];
    const initScripts = new k8s.KubeConfigMap(this, 'InitScripts', {
      metadata: { name: `${WORKLOAD_NAMES.database}-init`, labels: { app: WORKLOAD_NAMES.database } },
      data: { '10-natter-owner.sh': OWNER_INIT_SCRIPT },
    });
    this.workload = new HardenedStatefulSet(this, 'Workload', {
      name: WORKLOAD_NAMES.database,
      image: databaseImage(profile),
      imagePullPolicy: pullPolicy(profile),
      ports: [{ name: 'postgres', number: address.port }],
      // The image's entrypoint hands arguments starting with '-' to postgres: the connection limits
      // the API's pools are sized against.
      args: Object.entries(connectionParameters(profile)).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      env: {
        PGDATA,
        POSTGRES_DB: DATABASE_NAME,
        POSTGRES_USER: SUPERUSER,
        POSTGRES_INITDB_ARGS: '--data-checksums',
        NATTER_OWNER_USER: DATABASE_OWNER_USER,
      },
      secretFiles: [SECRETS.databaseSuperuser, SECRETS.databaseOwner],
      secretsDirectory: SECRETS_DIRECTORY,
      writableDirectories: [SOCKET_DIRECTORY],
      volumes: [
        MountedVolume.configMap({ configMap: initScripts.name, mountPath: INIT_DIRECTORY }),
        MountedVolume.memory({ mountPath: '/dev/shm', sizeLimit: Size.mebibytes(SHARED_MEMORY_MIB) }),
      ],
      volumeClaims: [
        {
          name: 'data',
          mountPath: DATA_MOUNT,
          storage: size(profile.database.storage),
          storageClassName: profile.database.storageClassName,
        },
      ],
      ...resourceProps(profile.database.resources),
      // Ready: the real server answers over TCP (the image's temporary init server listens on the
      // socket only, so a socket check would pass while it still initialises).
      readinessProbe: HealthProbe.exec(isReady('127.0.0.1'), { periodSeconds: 5 }),
      // Alive: the postmaster answers on its socket, even while it still rejects connections
      // (crash recovery); slower and more patient, so a busy server leaves rotation long before it
      // is restarted.
      livenessProbe: HealthProbe.exec(liveness(isReady(SOCKET_DIRECTORY)), { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
      podAnnotations: MESH_POD_ANNOTATIONS,
      ...nodeSupportProps(profile),
    });
    this.workload.addEnv('POSTGRES_PASSWORD_FILE', this.workload.secretFilePath(SECRETS.databaseSuperuser.secretName, SECRETS.databaseSuperuser.key));
    this.workload.addEnv('NATTER_OWNER_PASSWORD_FILE', this.workload.secretFilePath(SECRETS.databaseOwner.secretName, SECRETS.databaseOwner.key));
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

import { ApiObject, Chart } from 'cdk8s';
import type { IWorkload, SecretFile } from '@natter/constructs';
import { Construct } from 'constructs';
import {
  Cluster,
  ClusterSpecEphemeralVolumesSizeLimitShm,
  ClusterSpecManagedRolesEnsure,
  ClusterSpecManagedServicesDisabledDefaultServices,
  ClusterSpecPostgresqlSynchronousDataDurability,
  ClusterSpecPostgresqlSynchronousMethod,
  ClusterSpecPrimaryUpdateMethod,
  ClusterSpecPrimaryUpdateStrategy,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
  type ClusterSpecBootstrap,
  type ClusterSpecManagedRoles,
  ImageCatalog,
  ScheduledBackup,
  ScheduledBackupSpecBackupOwnerReference,
  ScheduledBackupSpecMethod,
} from '../../imports/postgresql.cnpg.io.js';
import { ObjectStore, ObjectStoreSpecConfigurationDataCompression, ObjectStoreSpecConfigurationWalCompression } from '../../imports/barmancloud.cnpg.io.js';
import { DATABASE_API_USER, DATABASE_NAME, DATABASE_OWNER_USER, DATABASE_PORT, SECRETS, WORKLOAD_NAMES } from './contract.js';
import type { DatabaseEndpoint } from './database-endpoint.js';
import { connectionParameters } from './database-connections.js';
import { MIRRORED_CLOUDNATIVE_PG_IMAGE } from './image-lock.js';
import { databaseImage } from './construct-props.js';
import type { NatterProfile } from './profiles.js';
import { ServiceAddress } from './service-address.js';

/** CloudNativePG's API group and the label it puts on every pod of a Cluster (instances and their Jobs). */
const CNPG_GROUP = 'postgresql.cnpg.io';
export const CNPG_CLUSTER_LABEL = 'cnpg.io/cluster';
/** The Barman Cloud plugin (v0.14): WAL archiving, base backups and recovery through an ObjectStore. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';
/** The keys the backup credentials Secret must hold. */
export const BACKUP_CREDENTIAL_KEYS = { accessKeyId: 'ACCESS_KEY_ID', secretAccessKey: 'ACCESS_SECRET_KEY' } as const;
/** The name the recovery source goes by inside the Cluster (`externalClusters`). */
const RECOVERY_SOURCE = 'origin';
/** The instance manager's status port: probes, the operator's calls, and the instances' isolation check. */
export const CNPG_STATUS_PORT = 8000;
/**
 * The `postgres` user of the community operand images is UID/GID 26, and `postgresUID` must name
 * the image's own user (initdb refuses to run as a UID /etc/passwd does not know); a UID >= 10001
 * would need an image rebuilt with that user (charts/README.md, "The database").
 */
export const CNPG_POSTGRES_UID = 26;

export interface CloudNativePgClusterProps {
  readonly profile: NatterProfile;
}

/**
 * PostgreSQL as a CloudNativePG `Cluster` (operator v1.30): `instances` pods on distinct nodes
 * (spread over zones where nodes carry zone labels), synchronous quorum commit with quorum-checked
 * failover, no superuser access, and two non-superuser roles whose passwords come from Secrets the
 * user creates: the owner of the database (the migration) and the API's role. The pods are kept
 * out of the mesh; clients verify the server's certificate against the operator's CA (only its
 * `ca.crt` key is mounted, never `ca.key`), and the server refuses any connection without TLS.
 */
export class CloudNativePgCluster extends Construct implements IWorkload, DatabaseEndpoint {
  public readonly name: string = WORKLOAD_NAMES.database;
  public readonly namespace: string | undefined;
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** The read-write Service the operator creates (`<name>-rw`, always on the primary). */
  public readonly address: ServiceAddress;
  /** The operator-managed CA's certificate (`<name>-ca`; the Secret also holds the CA key). */
  public readonly serverCa: SecretFile;
  /** The `kubernetes.io/basic-auth` Secrets the operator reads role passwords from, by Secret name: the role (`username`) each one logs in as. */
  public readonly loginSecrets: Readonly<Record<string, string>> = {
    [SECRETS.databaseOwner.secretName]: DATABASE_OWNER_USER,
    [SECRETS.databaseApiUser.secretName]: DATABASE_API_USER,
  };
  public readonly setsApiRolePassword = true;
  public readonly cluster: Cluster;
  public readonly imageCatalog: ImageCatalog;
  /** Where WAL and base backups go (and a restore reads from). */
  public readonly objectStore: ObjectStore;
  public readonly scheduledBackup: ScheduledBackup;
  /** The object store's endpoint port the instances must reach (443 unless endpointUrl names one). */
  public readonly objectStorePort: number;

  public constructor(scope: Construct, id: string, props: CloudNativePgClusterProps) {
    super(scope, id);
    const { profile } = props;
    const settings = profile.database.cloudNativePg;
    if (settings === undefined) throw new Error('database.cloudNativePg is required for database.engine cloudnative-pg');
    const major = settings.postgresMajorVersion;
    if (profile.images.requireReleased && majorOf(MIRRORED_CLOUDNATIVE_PG_IMAGE) !== major) {
      throw new Error(
        `database.cloudNativePg.postgresMajorVersion is ${major} but the released operand (${MIRRORED_CLOUDNATIVE_PG_IMAGE}, images.lock.json) is PostgreSQL ${majorOf(MIRRORED_CLOUDNATIVE_PG_IMAGE)}; ` +
          'release the matching image with `npm run images` first',
      );
    }
    this.namespace = Chart.of(this).namespace;
    this.selectorLabels = { [CNPG_CLUSTER_LABEL]: this.name };
    this.address = new ServiceAddress(`${this.name}-rw`, this.namespace ?? 'default', DATABASE_PORT);
    this.serverCa = { secretName: `${this.name}-ca`, key: 'ca.crt' };

    // The major version is stated, not guessed from a tag: the released image is pinned by digest alone.
    this.imageCatalog = new ImageCatalog(this, 'ImageCatalog', {
      metadata: { name: this.name },
      spec: { images: [{ major, image: databaseImage(profile) }] },
    });
    const { backup, restore } = settings;
    this.objectStorePort = backup.endpointUrl === undefined || new URL(backup.endpointUrl).port === '' ? 443 : Number(new URL(backup.endpointUrl).port);
    const credential = (key: string) => ({ name: backup.credentialsSecret, key });
    this.objectStore = new ObjectStore(this, 'ObjectStore', {
      metadata: { name: `${this.name}-backups` },
      spec: {
        retentionPolicy: backup.retentionPolicy,
        configuration: {
          destinationPath: backup.destinationPath,
          ...(backup.endpointUrl === undefined ? {} : { endpointUrl: backup.endpointUrl }),
          s3Credentials: { accessKeyId: credential(BACKUP_CREDENTIAL_KEYS.accessKeyId), secretAccessKey: credential(BACKUP_CREDENTIAL_KEYS.secretAccessKey) },
          wal: { compression: ObjectStoreSpecConfigurationWalCompression.GZIP },
          data: { compression: ObjectStoreSpecConfigurationDataCompression.GZIP },
        },
      },
    });
    const archive = { barmanObjectName: this.objectStore.name, ...(backup.serverName === undefined ? {} : { serverName: backup.serverName }) };
    const owner = { database: DATABASE_NAME, owner: DATABASE_OWNER_USER, secret: { name: SECRETS.databaseOwner.secretName } };
    // A new cluster starts empty (initdb); a restored one replays the source's base backup and WAL.
    const bootstrap: ClusterSpecBootstrap = restore.enabled
      ? { recovery: { source: RECOVERY_SOURCE, ...owner, ...(restore.pointInTime === undefined ? {} : { recoveryTarget: { targetTime: restore.pointInTime } }) } }
      : { initdb: { ...owner, dataChecksums: true } };
    const { resources } = profile.database;
    this.cluster = new Cluster(this, 'Resource', {
      // Argo CD never prunes or deletes it: data-retention.ts marks every Cluster.
      metadata: { name: this.name },
      spec: {
        description: 'Natter: messages, users and sessions',
        instances: settings.instances,
        imageCatalogRef: { apiGroup: CNPG_GROUP, kind: 'ImageCatalog', name: this.imageCatalog.name, major },
        imagePullPolicy: profile.images.pullPolicy,
        postgresUid: CNPG_POSTGRES_UID,
        postgresGid: CNPG_POSTGRES_UID,
        // AppArmor where the profile's nodes have it. A podSecurityContext replaces the operator's
        // default one, which it fills in only with the UID, GID and seccomp profile: the rest is
        // restated. (The operator cannot set hostUsers: these pods run without user namespaces.)
        ...(profile.pods.appArmor
          ? { podSecurityContext: { appArmorProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true, fsGroup: CNPG_POSTGRES_UID } }
          : {}),
        enableSuperuserAccess: false,
        // Every pod the operator makes (instances and their Jobs) stays out of the mesh: CloudNativePG
        // pods injected by Linkerd may never become ready, and a meshed Job never completes.
        inheritedMetadata: { annotations: { 'linkerd.io/inject': 'disabled' } },
        bootstrap,
        // Continuous WAL archiving (and base backups) to the object store through the plugin's sidecar.
        plugins: [{ name: BARMAN_CLOUD_PLUGIN, isWalArchiver: true, parameters: archive }],
        ...(restore.enabled
          ? { externalClusters: [{ name: RECOVERY_SOURCE, plugin: { name: BARMAN_CLOUD_PLUGIN, parameters: { barmanObjectName: this.objectStore.name, serverName: restore.sourceServerName } } }] }
          : {}),
        managed: {
          roles: [
            role(DATABASE_OWNER_USER, SECRETS.databaseOwner.secretName, 'owns the natter database; the migration logs in as it'),
            role(DATABASE_API_USER, SECRETS.databaseApiUser.secretName, 'the API: only the grants the migration gives it'),
          ],
          // Clients use the primary only; no read-only or any-instance Service to reason about.
          services: { disabledDefaultServices: [ClusterSpecManagedServicesDisabledDefaultServices.RO, ClusterSpecManagedServicesDisabledDefaultServices.R] },
        },
        postgresql: {
          // The connection limits the API's pools are sized against (the operator applies them to every instance).
          parameters: connectionParameters(profile),
          synchronous: {
            method: ClusterSpecPostgresqlSynchronousMethod.ANY,
            number: settings.synchronousStandbys,
            // A commit waits for the quorum even with standbys down, and the operator promotes
            // only a standby the quorum guarantees holds every acknowledged commit.
            dataDurability: ClusterSpecPostgresqlSynchronousDataDurability.REQUIRED,
            failoverQuorum: true,
          },
          // Evaluated after the operator's fixed rules (local peer, streaming_replica by certificate):
          // no password ever crosses the network in clear text.
          pgHba: ['hostnossl all all all reject'],
        },
        storage: { size: profile.database.storage, storageClass: profile.database.storageClassName },
        walStorage: { size: settings.walStorage, storageClass: profile.database.storageClassName },
        resources: {
          requests: { cpu: ClusterSpecResourcesRequests.fromString(resources.cpuRequest), memory: ClusterSpecResourcesRequests.fromString(resources.memoryRequest) },
          limits: {
            memory: ClusterSpecResourcesLimits.fromString(resources.memoryLimit),
            ...(resources.cpuLimit === undefined ? {} : { cpu: ClusterSpecResourcesLimits.fromString(resources.cpuLimit) }),
          },
        },
        ephemeralVolumesSizeLimit: { shm: ClusterSpecEphemeralVolumesSizeLimitShm.fromString('256Mi') },
        affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            // Zones where the nodes have them; a cluster without zone labels still schedules.
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { ...this.selectorLabels, 'cnpg.io/podRole': 'instance' } },
          },
        ],
        primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        primaryUpdateMethod: ClusterSpecPrimaryUpdateMethod.SWITCHOVER,
      },
    });
    this.scheduledBackup = new ScheduledBackup(this, 'ScheduledBackup', {
      metadata: { name: `${this.name}-scheduled` },
      spec: {
        cluster: { name: this.cluster.name },
        schedule: backup.schedule,
        // The first base backup at once: archiving is only restorable from a base backup on.
        immediate: true,
        method: ScheduledBackupSpecMethod.PLUGIN,
        pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
        backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.SELF,
      },
    });
  }

  /** The instance pods themselves are the workload the policies name. */
  public get workload(): IWorkload {
    return this;
  }

  /** The Cluster object (the escape hatch's `Resource`). */
  public get resource(): ApiObject {
    return this.cluster;
  }
}

/** A login role with nothing beyond LOGIN; its password is reconciled from a basic-auth Secret. */
function role(name: string, secretName: string, comment: string): ClusterSpecManagedRoles {
  return {
    name,
    comment,
    ensure: ClusterSpecManagedRolesEnsure.PRESENT,
    login: true,
    superuser: false,
    createdb: false,
    createrole: false,
    replication: false,
    bypassrls: false,
    inherit: false,
    passwordSecret: { name: secretName },
  };
}

/** `ghcr.io/x/postgresql:16.10-standard-bookworm` → 16. */
function majorOf(image: string): number {
  const tag = /:(\d+)[^/:@]*$/.exec(image.replace(/@.*$/, ''));
  if (tag === null) throw new Error(`${image} carries no tag starting with the PostgreSQL major version`);
  return Number(tag[1]);
}

/**
 * The CloudNativePG data tier: what the Cluster promises (replicas, quorum commit, no superuser,
 * non-superuser roles from user-made Secrets, TLS only) and how its clients reach it (verified TLS,
 * since the instances are not meshed). Runs over every profile; the Cluster checks over those on
 * engine cloudnative-pg.
 */
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { findObject, type Manifest, type PodTemplate, podTemplates, selectorMatches } from '@natter/kube-check';
import { BACKUP_CREDENTIAL_KEYS, BARMAN_CLOUD_PLUGIN, CNPG_STATUS_PORT } from '../src/cloudnative-pg.js';
import { type NatterProfile, profileFromSettings } from '../src/profiles.js';
import { KEEP_DATA_SYNC_OPTIONS, SYNC_OPTIONS_ANNOTATION } from '../src/data-retention.js';
import { DATABASE_API_USER, DATABASE_NAME, DATABASE_OWNER_USER, SECRETS, WORKLOAD_NAMES } from '../src/contract.js';
import { DATABASE_CLUSTER_NAME } from '../src/settings.js';
import { NatterChart } from '../src/natter-chart.js';
import { ALL_VARIANTS, env, isMeshed, manifestsOf, templateNamed, variantName } from './natter-cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;
const DATABASE = 'natter-database';
const CLIENTS = ['natter-api', 'natter-database-migration'];

/** A profile back as settings, to change one and validate again. */
function settingsOf(profile: NatterProfile): Record<string, unknown> {
  const { name: _name, ...settings } = profile;
  return settings;
}

/** The path a client's env var points to must be a mounted Secret key: which Secret and key. */
function mountedSecretKey(template: PodTemplate, path: string): { secretName: string; keys: string[] } | undefined {
  const container = template.spec.containers[0]!;
  const mount = (container.volumeMounts ?? []).find((candidate) => path.startsWith(`${candidate.mountPath}/`));
  const volume = (template.spec.volumes ?? []).find((candidate) => candidate.name === mount?.name);
  if (mount === undefined || volume?.secret?.secretName === undefined) return undefined;
  return { secretName: volume.secret.secretName, keys: (volume.secret.items ?? []).map((item) => item.path === path.slice(mount.mountPath.length + 1) ? item.key : `(${item.key})`) };
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('the database hop (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const database = templateNamed(objects, DATABASE);

  it('is encrypted and authenticated end to end: by Linkerd when the database is meshed, else by TLS verify-full against the cluster CA', () => {
    for (const client of CLIENTS) {
      const template = templateNamed(objects, client);
      expect(isMeshed(objects, template), client).toBe(true);
      const caFile = env(template, 'DATABASE_SSL_ROOT_CERT_FILE');
      if (isMeshed(objects, database)) {
        expect(caFile, client).toBeUndefined();
        continue;
      }
      expect(caFile, client).toBeDefined();
      // Only the certificate: the CA Secret also holds the key that could sign a server or client certificate.
      expect(mountedSecretKey(template, caFile!), client).toEqual({ secretName: `${DATABASE}-ca`, keys: ['ca.crt'] });
    }
  });
});

const clusterVariants = ALL_VARIANTS.filter((profile) => profile.database.engine === 'cloudnative-pg');

describe.each(clusterVariants.map((profile) => [variantName(profile), profile] as const))('the CloudNativePG Cluster (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const settings = profile.database.cloudNativePg!;
  const cluster = findObject(objects, 'Cluster', DATABASE);
  const spec = cluster.spec as Spec;
  const instance = templateNamed(objects, DATABASE);

  it('runs the instances of the settings on distinct nodes, spread over zones where the nodes have them', () => {
    expect(spec.instances).toBe(settings.instances);
    expect(spec.affinity).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    const [zones, ...others] = spec.topologySpreadConstraints;
    expect(others).toEqual([]);
    expect(zones).toMatchObject({ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(selectorMatches(zones.labelSelector, instance.labels)).toBe(true);
  });

  it('acknowledges a commit only once a quorum of standbys has it, and promotes only a standby the quorum vouches for', () => {
    expect(spec.postgresql.synchronous).toEqual({ method: 'any', number: settings.synchronousStandbys, dataDurability: 'required', failoverQuorum: true });
    expect(settings.synchronousStandbys).toBeLessThan(settings.instances);
  });

  it('gives no superuser access and declares exactly the owner and the API role, neither privileged, with passwords from Secrets the user creates', () => {
    expect(spec.enableSuperuserAccess).toBe(false);
    expect(spec.superuserSecret).toBeUndefined();
    const roles = spec.managed.roles as Spec[];
    expect(roles.map((role) => [role.name, role.passwordSecret.name])).toEqual([
      [DATABASE_OWNER_USER, SECRETS.databaseOwner.secretName],
      [DATABASE_API_USER, SECRETS.databaseApiUser.secretName],
    ]);
    for (const role of roles) {
      expect(role, role.name).toMatchObject({ ensure: 'present', login: true, superuser: false, createdb: false, createrole: false, replication: false, bypassrls: false, inherit: false });
      expect(role.inRoles, role.name).toBeUndefined();
    }
    // The owner role owns the database from its creation; the operator generates no app Secret.
    expect(spec.bootstrap.initdb ?? spec.bootstrap.recovery).toMatchObject({ database: DATABASE_NAME, owner: DATABASE_OWNER_USER, secret: { name: SECRETS.databaseOwner.secretName } });
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('refuses every connection that is not TLS, before any password is exchanged', () => {
    expect(spec.postgresql.pg_hba[0]).toBe('hostnossl all all all reject');
  });

  it('keeps its pods (instances and Jobs) out of the mesh, and its clients on the read-write Service by the name its certificate carries', () => {
    expect(spec.inheritedMetadata.annotations).toEqual({ 'linkerd.io/inject': 'disabled' });
    expect(isMeshed(objects, instance)).toBe(false);
    for (const client of CLIENTS) {
      const template = templateNamed(objects, client);
      // GetClusterAltDNSNames (operator v1.30): <cluster>-rw, .<ns>, .<ns>.svc, .<ns>.svc.<cluster domain>
      expect(env(template, 'DATABASE_HOST'), client).toBe(`${DATABASE}-rw.${cluster.metadata?.namespace}.svc.cluster.local`);
      expect(env(template, 'DATABASE_PORT'), client).toBe('5432');
    }
    expect(spec.managed.services.disabledDefaultServices.sort()).toEqual(['r', 'ro']);
  });

  it('runs the locked operand image through an ImageCatalog of the configured major version (never imageName next to it)', () => {
    expect(spec.imageName).toBeUndefined();
    expect(spec.imageCatalogRef).toEqual({ apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: DATABASE, major: settings.postgresMajorVersion });
    const catalog = findObject(objects, 'ImageCatalog', DATABASE).spec as Spec;
    expect(catalog.images).toEqual([{ major: settings.postgresMajorVersion, image: profile.images.cloudNativePgPostgres }]);
    expect(instance.spec.containers[0]!.image).toBe(profile.images.cloudNativePgPostgres);
    expect(instance.spec.containers[0]!.ports?.map((port) => port.containerPort)).toContain(CNPG_STATUS_PORT);
  });

  it('archives WAL continuously and takes scheduled base backups to the object store of the settings, with credentials from a Secret by name', () => {
    const backup = settings.backup;
    const store = findObject(objects, 'ObjectStore', `${DATABASE}-backups`);
    const storeSpec = store.spec as Spec;
    expect(store.apiVersion).toBe('barmancloud.cnpg.io/v1');
    expect(storeSpec.retentionPolicy).toBe(backup.retentionPolicy);
    expect(storeSpec.configuration).toMatchObject({
      destinationPath: backup.destinationPath,
      s3Credentials: {
        accessKeyId: { name: backup.credentialsSecret, key: BACKUP_CREDENTIAL_KEYS.accessKeyId },
        secretAccessKey: { name: backup.credentialsSecret, key: BACKUP_CREDENTIAL_KEYS.secretAccessKey },
      },
    });
    expect(storeSpec.configuration.endpointURL).toBe(backup.endpointUrl);
    // The in-tree barmanObjectStore is deprecated: the plugin archives.
    expect(spec.backup).toBeUndefined();
    expect(spec.plugins).toEqual([
      { name: BARMAN_CLOUD_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: store.metadata?.name, ...(backup.serverName === undefined ? {} : { serverName: backup.serverName }) } },
    ]);
    const scheduled = findObject(objects, 'ScheduledBackup', `${DATABASE}-scheduled`).spec as Spec;
    expect(scheduled).toEqual({
      cluster: { name: DATABASE },
      schedule: backup.schedule,
      immediate: true,
      method: 'plugin',
      pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
      backupOwnerReference: 'self',
    });
  });

  it('starts empty (initdb), or recovers from the object store up to the point in time when restore is enabled, archiving under a new name', () => {
    const { restore, backup } = settings;
    if (!restore.enabled) {
      expect(Object.keys(spec.bootstrap)).toEqual(['initdb']);
      expect(spec.externalClusters).toBeUndefined();
      return;
    }
    expect(spec.bootstrap).toEqual({
      recovery: {
        source: 'origin',
        database: DATABASE_NAME,
        owner: DATABASE_OWNER_USER,
        secret: { name: SECRETS.databaseOwner.secretName },
        ...(restore.pointInTime === undefined ? {} : { recoveryTarget: { targetTime: restore.pointInTime } }),
      },
    });
    expect(spec.externalClusters).toEqual([
      { name: 'origin', plugin: { name: BARMAN_CLOUD_PLUGIN, parameters: { barmanObjectName: `${DATABASE}-backups`, serverName: restore.sourceServerName } } },
    ]);
    expect(backup.serverName ?? DATABASE).not.toBe(restore.sourceServerName);
  });

  it('cannot be pruned or deleted by an Argo CD sync', () => {
    expect(cluster.metadata?.annotations?.[SYNC_OPTIONS_ANNOTATION]?.split(',')).toEqual(expect.arrayContaining([...KEEP_DATA_SYNC_OPTIONS]));
  });

  it('renders a recovery-bootstrapped Cluster when the profile turns restore on (and refuses to archive over its source)', () => {
    const restored = profileFromSettings(profile.name, {
      ...settingsOf(profile),
      database: { ...profile.database, cloudNativePg: { ...settings, backup: { ...settings.backup, serverName: 'natter-database-r1' }, restore: { enabled: true, sourceServerName: DATABASE, pointInTime: '2026-12-06T10:00:00Z' } } },
    });
    const restoredSpec = findObject(manifestsOf(restored), 'Cluster', DATABASE).spec as Spec;
    expect(restoredSpec.bootstrap.recovery).toMatchObject({ source: 'origin', recoveryTarget: { targetTime: '2026-12-06T10:00:00Z' } });
    expect(restoredSpec.bootstrap.initdb).toBeUndefined();
    expect(restoredSpec.plugins[0].parameters).toEqual({ barmanObjectName: `${DATABASE}-backups`, serverName: 'natter-database-r1' });
    expect(() =>
      profileFromSettings(profile.name, { ...settingsOf(profile), database: { ...profile.database, cloudNativePg: { ...settings, backup: { ...settings.backup, serverName: undefined }, restore: { enabled: true, sourceServerName: DATABASE } } } }),
    ).toThrow(/database\.cloudNativePg\.backup\.serverName: must differ from restore\.sourceServerName \(natter-database\) while restore is enabled/);
  });

  it('fails to synthesize when the major version disagrees with the released operand image', () => {
    if (!profile.images.requireReleased) return;
    const other = { ...profile, database: { ...profile.database, cloudNativePg: { ...settings, postgresMajorVersion: settings.postgresMajorVersion + 1 } } };
    expect(() => new NatterChart(new App({ outdir: '/nonexistent' }), 'natter', { profile: other })).toThrow(
      /database\.cloudNativePg\.postgresMajorVersion is \d+ but the released operand \(ghcr\.io\/cloudnative-pg\/postgresql:16\.[^,]+, images\.lock\.json\) is PostgreSQL 16/,
    );
  });
});

describe('CloudNativePG profiles', () => {
  it('default the backup folder to the Cluster name the chart gives the database', () => {
    expect(DATABASE_CLUSTER_NAME).toBe(WORKLOAD_NAMES.database);
  });

  it('exist: prod runs its database on CloudNativePG', () => {
    expect(clusterVariants.map((profile) => profile.name)).toContain('prod');
    expect(podTemplates(manifestsOf(clusterVariants[0]!) as Manifest[]).some((template) => template.ownerKind === 'Cluster')).toBe(true);
  });
});

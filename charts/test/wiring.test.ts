import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, PROFILES, env, manifestsOf, templateNamed, variantName } from './natter-cluster.js';
import { checkServiceWiring, findLiterals, findObject, findSecretMaterial, type Manifest, podTemplates, readCrdDirectory, validateCustomResources, validateManifests } from '@natter/kube-check';
import { fileURLToPath } from 'node:url';
import type { NatterProfile } from '../src/profiles.js';
import type { ResourceSettings } from '../src/settings.js';
import { SECRETS } from '../src/contract.js';
import { SYNC_WAVE_ANNOTATION } from '../src/sync-waves.js';
import { synthesizeProfile } from '../src/synth.js';

/** Every CRD vendored in charts/crds (Linkerd, Gateway API, Envoy Gateway, CloudNativePG, the Barman Cloud plugin, Argo CD). */
const CRDS = readCrdDirectory(fileURLToPath(new URL('../crds', import.meta.url)));
/** The first schema check compiles kubernetes-models' type declarations (seconds on a busy machine). */
const SCHEMA_TIMEOUT = 60_000;
const API = 'natter-api';
const LINK_PREVIEW = 'natter-link-preview';
const DATABASE = 'natter-database';
const MIGRATION = 'natter-database-migration';

function servicePort(objects: readonly Manifest[], name: string): { fqdn: string; port: number } {
  const service = findObject(objects, 'Service', name);
  const port = (service.spec as { ports: { port: number }[] }).ports[0]!.port;
  return { fqdn: `${name}.${service.metadata?.namespace}.svc.cluster.local`, port };
}

function hostsOf(objects: readonly Manifest[], workload: string): string[] {
  return (env(templateNamed(objects, workload), 'ALLOWED_HOSTS') ?? '').split(',');
}

function probeHosts(objects: readonly Manifest[], workload: string): string[] {
  const container = templateNamed(objects, workload).spec.containers[0]!;
  return [container.readinessProbe, container.livenessProbe].map(
    (probe) => probe?.httpGet?.httpHeaders?.find((header) => header.name === 'Host')?.value ?? '<none>',
  );
}

function secretsMountedBy(objects: readonly Manifest[], workload: string): string[] {
  return (templateNamed(objects, workload).spec.volumes ?? []).flatMap((volume) => (volume.secret?.secretName ? [volume.secret.secretName] : [])).sort();
}

/** The database's Service as the clients must name it: the StatefulSet's own, or the CloudNativePG Cluster's `-rw`. */
function databaseService(objects: readonly Manifest[], profile: NatterProfile): { fqdn: string; port: number } {
  if (profile.database.engine === 'statefulset') return servicePort(objects, 'natter-database-service');
  const cluster = findObject(objects, 'Cluster', DATABASE);
  return { fqdn: `${cluster.metadata?.name}-rw.${cluster.metadata?.namespace}.svc.cluster.local`, port: 5432 };
}

/** The object that runs the database. */
const databaseKind = (profile: NatterProfile): string => (profile.database.engine === 'statefulset' ? 'StatefulSet' : 'Cluster');

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('wiring (%s)', (_, profile) => {
  const objects = manifestsOf(profile);

  it('every Service selects a pod template and targets one of its container ports', () => {
    expect(checkServiceWiring(objects)).toEqual([]);
    // The CloudNativePG operator creates the database's Services itself.
    const services = ['natter-api-service', 'natter-link-preview-service', ...(profile.database.engine === 'statefulset' ? ['natter-database-service', 'natter-database-headless'] : [])];
    expect(objects.filter((object) => object.kind === 'Service').map((service) => service.metadata?.name).sort()).toEqual(services.sort());
  });

  it('every object is valid against the Kubernetes schema or its vendored CRD schema, with no unknown fields', () => {
    const report = validateManifests(objects);
    expect(report.errors).toEqual([]);
    const custom = objects.filter((object) => report.unknownKinds.includes(`${object.apiVersion} ${object.kind}`));
    const expectedGroups = [
      'policy.linkerd.io',
      ...(profile.edge.kind === 'gateway-api' ? ['gateway.networking.k8s.io'] : []),
      ...(profile.edge.kind === 'gateway-api' && profile.edge.gatewayApi.implementation === 'envoy-gateway' ? ['gateway.envoyproxy.io'] : []),
      ...(profile.secrets.externalSecrets !== undefined ? ['external-secrets.io'] : []),
      ...(profile.database.engine === 'cloudnative-pg' ? ['barmancloud.cnpg.io', 'postgresql.cnpg.io'] : []),
    ];
    expect([...new Set(custom.map((object) => object.apiVersion.split('/')[0]))].sort()).toEqual(expectedGroups.sort());
    expect(validateCustomResources(custom, CRDS.schemas)).toEqual({ errors: [], unknownKinds: [] });
  }, SCHEMA_TIMEOUT);

  it('carries no Secret data, no literal password and no credentials in URLs', () => {
    expect(findSecretMaterial(objects)).toEqual([]);
    const yaml = synthesizeProfile(profile).content;
    expect(findLiterals(yaml, ['natter-ci', 'password=', 'PASSWORD:', 'hunter2'])).toEqual([]);
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('derives each allowlist from the Service it protects, and probes send a Host from that list', () => {
    for (const [workload, service] of [[API, 'natter-api-service'], [LINK_PREVIEW, 'natter-link-preview-service']] as const) {
      const { fqdn, port } = servicePort(objects, service);
      const short = fqdn.split('.')[0];
      expect(hostsOf(objects, workload)).toEqual(expect.arrayContaining([`${short}:${port}`, `${short}.natter-api:${port}`, `${fqdn}:${port}`]));
      for (const host of probeHosts(objects, workload)) expect(hostsOf(objects, workload)).toContain(host);
      expect(env(templateNamed(objects, workload), 'PORT')).toBe(String(port));
    }
    expect(hostsOf(objects, LINK_PREVIEW).every((host) => host.startsWith('natter-link-preview-service'))).toBe(true);
    const external = hostsOf(objects, API).filter((host) => !host.startsWith('natter-api-service'));
    const host = profile.edge.host;
    expect(external).toEqual(profile.api.nodePort === undefined ? [host] : [host, `${host}:${profile.api.nodePort.port}`]);
  });

  it('gives link-preview enough libuv threads that slow DNS answers cannot starve decompression', () => {
    expect(Number(env(templateNamed(objects, LINK_PREVIEW), 'UV_THREADPOOL_SIZE'))).toBeGreaterThanOrEqual(8);
  });

  it('points the API and the migration at the Services by their cluster names', () => {
    const linkPreview = servicePort(objects, 'natter-link-preview-service');
    const database = databaseService(objects, profile);
    const api = templateNamed(objects, API);
    expect(env(api, 'LINK_PREVIEW_URL')).toBe(`http://${linkPreview.fqdn}:${linkPreview.port}`);
    for (const workload of [api, templateNamed(objects, MIGRATION)]) {
      expect(env(workload, 'DATABASE_HOST')).toBe(database.fqdn);
      expect(env(workload, 'DATABASE_PORT')).toBe(String(database.port));
      expect(env(workload, 'DATABASE_NAME')).toBe('natter');
    }
    expect(env(api, 'DATABASE_USER')).toBe('natter_api_user');
  });

  it('mounts every *_FILE path it injects, and the owner password only into the database and the migration', () => {
    for (const template of podTemplates(objects)) {
      const container = template.spec.containers[0]!;
      const mounts = (container.volumeMounts ?? []).map((mount) => mount.mountPath);
      for (const variable of (container.env ?? []).filter((candidate) => candidate.name.endsWith('_FILE'))) {
        expect(mounts.some((mount) => variable.value?.startsWith(`${mount}/`)), `${template.owner} ${variable.name}`).toBe(true);
        expect(variable.value).toMatch(/^\/var\/run\/secrets\/natter\//);
      }
    }
    expect(secretsMountedBy(objects, LINK_PREVIEW)).toEqual([]);
    if (profile.database.engine === 'statefulset') {
      expect(secretsMountedBy(objects, API)).toEqual([SECRETS.hmacKey.secretName, SECRETS.databaseApiUser.secretName].sort());
      expect(secretsMountedBy(objects, MIGRATION)).toEqual([SECRETS.databaseApiUser.secretName, SECRETS.databaseOwner.secretName].sort());
      expect(secretsMountedBy(objects, DATABASE)).toEqual([SECRETS.databaseOwner.secretName, SECRETS.databaseSuperuser.secretName].sort());
      expect(env(templateNamed(objects, DATABASE), 'POSTGRES_PASSWORD_FILE')).toBe('/var/run/secrets/natter/natter-database-superuser/password');
      expect(env(templateNamed(objects, DATABASE), 'NATTER_OWNER_PASSWORD_FILE')).toBe('/var/run/secrets/natter/natter-database-owner/password');
    } else {
      // The operator sets the API role's password: the migration holds only the owner's, and both hold the server's CA.
      expect(secretsMountedBy(objects, API)).toEqual([SECRETS.hmacKey.secretName, SECRETS.databaseApiUser.secretName, `${DATABASE}-ca`].sort());
      expect(secretsMountedBy(objects, MIGRATION)).toEqual([SECRETS.databaseOwner.secretName, `${DATABASE}-ca`].sort());
      expect(secretsMountedBy(objects, DATABASE)).toEqual([]);
    }
  });

  it('keeps PGDATA on the persistent volume and runs the migration with node /app/migrate.mjs', () => {
    expect(templateNamed(objects, MIGRATION).spec.containers[0]!.command).toEqual(['node', '/app/migrate.mjs']);
    if (profile.database.engine !== 'statefulset') return;
    const database = findObject(objects, 'StatefulSet', DATABASE);
    const claims = (database.spec as { volumeClaimTemplates: { metadata: { name: string } }[] }).volumeClaimTemplates;
    const dataMount = templateNamed(objects, DATABASE).spec.containers[0]!.volumeMounts!.find((mount) => mount.name === claims[0]!.metadata.name);
    expect(env(templateNamed(objects, DATABASE), 'PGDATA')?.startsWith(`${dataMount?.mountPath}/`)).toBe(true);
    expect(templateNamed(objects, DATABASE).spec.volumes?.map((volume) => volume.name)).toEqual(expect.arrayContaining(['tmp', 'var-run-postgresql']));
  });

  it('routes the edge over TLS to the API Service: the Ingress by its cluster name with no dangerous annotation, or the HTTPRoute by object', () => {
    if (profile.edge.kind === 'gateway-api') {
      const rules = (findObject(objects, 'HTTPRoute', API).spec as { rules: { backendRefs: { name: string; port: number }[] }[] }).rules;
      const { port } = servicePort(objects, 'natter-api-service');
      expect(rules.flatMap((rule) => rule.backendRefs)).toEqual([{ group: '', kind: 'Service', name: 'natter-api-service', port }]);
      expect(objects.filter((object) => object.kind === 'Ingress')).toEqual([]);
      return;
    }
    const ingress = findObject(objects, 'Ingress', API);
    const annotations = ingress.metadata?.annotations ?? {};
    const spec = ingress.spec as { tls: { hosts: string[]; secretName: string }[]; rules: { host: string }[] };
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(spec.tls).toEqual([{ hosts: [profile.edge.host], secretName: profile.edge.tlsSecretName }]);
    expect(spec.rules.map((rule) => rule.host)).toEqual([profile.edge.host]);
    const vhost = annotations['nginx.ingress.kubernetes.io/upstream-vhost'];
    expect(vhost).toBe('natter-api-service.natter-api.svc.cluster.local:4567');
    expect(hostsOf(objects, API)).toContain(vhost);
    for (const key of Object.keys(annotations)) {
      expect(key).not.toMatch(/-snippet$|\/auth-url$|\/auth-tls-|\/mirror-/);
    }
  });

  it('orders the Argo CD sync: namespace, guardrails (policies, identities), database, migration hook, apps', () => {
    const wave = (kind: string, name: string): number => Number(findObject(objects, kind, name).metadata?.annotations?.[SYNC_WAVE_ANNOTATION]);
    for (const object of objects) expect(object.metadata?.annotations?.[SYNC_WAVE_ANNOTATION], object.kind).toMatch(/^-?\d+$/);
    const namespaceWave = wave('Namespace', 'natter-api');
    expect(objects.every((object) => Number(object.metadata?.annotations?.[SYNC_WAVE_ANNOTATION]) >= namespaceWave)).toBe(true);
    const guardrails = objects.filter((object) => ['NetworkPolicy', 'ServiceAccount', 'Server', 'AuthorizationPolicy', 'MeshTLSAuthentication', 'NetworkAuthentication'].includes(object.kind));
    for (const guardrail of guardrails) {
      expect(Number(guardrail.metadata?.annotations?.[SYNC_WAVE_ANNOTATION]), `${guardrail.kind} ${guardrail.metadata?.name}`).toBeLessThan(wave(databaseKind(profile), DATABASE));
    }
    expect(wave(databaseKind(profile), DATABASE)).toBeLessThan(wave('Job', MIGRATION));
    expect(wave('Job', MIGRATION)).toBeLessThan(wave('Deployment', API));
    expect(wave('Job', MIGRATION)).toBeLessThan(wave('Deployment', LINK_PREVIEW));
    expect(findObject(objects, 'Job', MIGRATION).metadata?.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(objects[0]?.kind).toBe('Namespace');
  });
});

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('settings applied (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const containerOf = (workload: string) => templateNamed(objects, workload).spec.containers[0]!;

  it('runs each workload with the image and pull policy of its settings, pinned by digest when required', () => {
    const databaseImage = profile.database.engine === 'statefulset' ? profile.images.postgres : profile.images.cloudNativePgPostgres;
    const expected = { [API]: profile.images.natterApi, [MIGRATION]: profile.images.natterApi, [LINK_PREVIEW]: profile.images.linkPreview, [DATABASE]: databaseImage };
    for (const [workload, image] of Object.entries(expected)) {
      expect(containerOf(workload).image, workload).toBe(image);
      expect(containerOf(workload).imagePullPolicy, workload).toBe(profile.images.pullPolicy);
      if (profile.images.requireDigest) expect(image, workload).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
  });

  it('gives each workload the resources of its settings', () => {
    const expected: Record<string, ResourceSettings> = {
      [API]: profile.api.resources,
      [LINK_PREVIEW]: profile.linkPreview.resources,
      [DATABASE]: profile.database.resources,
      [MIGRATION]: profile.migration.resources,
    };
    for (const [workload, resources] of Object.entries(expected)) {
      expect(containerOf(workload).resources, workload).toEqual({
        requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
        limits: { memory: resources.memoryLimit, ...(resources.cpuLimit === undefined ? {} : { cpu: resources.cpuLimit }) },
      });
    }
  });

  it('runs the replicas of the settings, with a PodDisruptionBudget and topology spread from 2 on', () => {
    for (const [name, replicas] of [[API, profile.api.replicas], [LINK_PREVIEW, profile.linkPreview.replicas]] as const) {
      expect((findObject(objects, 'Deployment', name).spec as { replicas: number }).replicas).toBe(replicas);
      const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget' && object.metadata?.name === name);
      expect(budgets.length, name).toBe(replicas >= 2 ? 1 : 0);
      for (const budget of budgets) {
        expect((budget.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual(templateNamed(objects, name).labels);
      }
      expect((templateNamed(objects, name).spec.topologySpreadConstraints ?? []).length > 0, name).toBe(replicas >= 2);
    }
  });

  it('exposes the API on a node port only when the settings name one, every other Service is ClusterIP', () => {
    for (const service of objects.filter((object) => object.kind === 'Service')) {
      const spec = service.spec as { type?: string; ports: { nodePort?: number }[] };
      if (service.metadata?.name === 'natter-api-service' && profile.api.nodePort !== undefined) {
        expect(spec.type).toBe('NodePort');
        expect(spec.ports[0]?.nodePort).toBe(profile.api.nodePort.port);
      } else {
        expect(spec.type ?? 'ClusterIP', service.metadata?.name).toBe('ClusterIP');
      }
    }
  });

  it('passes the log level, the CORS origin, the Basic credential cache and the database storage of the settings', () => {
    for (const workload of [API, LINK_PREVIEW, MIGRATION]) expect(env(templateNamed(objects, workload), 'LOG_LEVEL'), workload).toBe(profile.logLevel);
    expect(env(templateNamed(objects, API), 'CORS_ORIGIN')).toBe(profile.api.corsOrigin);
    expect(env(templateNamed(objects, API), 'BASIC_AUTH_CACHE_TTL_SECONDS')).toBe(String(profile.api.basicAuthCache.ttlSeconds));
    expect(env(templateNamed(objects, API), 'BASIC_AUTH_CACHE_MAX_ENTRIES')).toBe(String(profile.api.basicAuthCache.maxEntries));
    if (profile.database.engine === 'statefulset') {
      const claim = (findObject(objects, 'StatefulSet', DATABASE).spec as { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } }; storageClassName?: string } }[] }).volumeClaimTemplates[0]!;
      expect(claim.spec.resources.requests.storage).toBe(profile.database.storage);
      expect(claim.spec.storageClassName).toBe(profile.database.storageClassName);
    } else {
      const spec = findObject(objects, 'Cluster', DATABASE).spec as Record<'storage' | 'walStorage', { size: string; storageClass?: string }>;
      expect(spec.storage).toEqual({ size: profile.database.storage, storageClass: profile.database.storageClassName });
      expect(spec.walStorage).toEqual({ size: profile.database.cloudNativePg?.walStorage, storageClass: profile.database.storageClassName });
    }
  });
});

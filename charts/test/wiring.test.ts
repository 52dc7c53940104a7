import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, env, manifestsOf, templateNamed, variantName } from './natter-cluster.js';
import { checkServiceWiring, findLiterals, findObject, findSecretMaterial, loadCrdSchemas, type Manifest, podTemplates, validateCustomResources, validateManifests } from '@natter/kube-check';
import { readFileSync } from 'node:fs';
import { DEV, PROD } from '../src/profiles.js';
import { SECRETS } from '../src/contract.js';
import { SYNC_WAVE_ANNOTATION } from '../src/sync-waves.js';
import { synthesizeArgoCd, synthesizeProfile } from '../src/synth.js';

const LINKERD_CRD_SCHEMAS = loadCrdSchemas(readFileSync(new URL('../crds/linkerd-policy-crds.yaml', import.meta.url), 'utf8'));
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

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('wiring (%s)', (_, profile) => {
  const objects = manifestsOf(profile);

  it('every Service selects a pod template and targets one of its container ports', () => {
    expect(checkServiceWiring(objects)).toEqual([]);
    expect(objects.filter((object) => object.kind === 'Service').length).toBeGreaterThanOrEqual(3);
  });

  it('every object is valid against the Kubernetes schema or its CRD schema, with no unknown fields', () => {
    const linkerdKinds = ['policy.linkerd.io/v1alpha1 AuthorizationPolicy', 'policy.linkerd.io/v1alpha1 MeshTLSAuthentication', 'policy.linkerd.io/v1beta3 Server'];
    const report = validateManifests(objects);
    expect(report.errors).toEqual([]);
    expect(report.unknownKinds.filter((kind) => !kind.endsWith('NetworkAuthentication'))).toEqual(linkerdKinds);
    const custom = objects.filter((object) => object.apiVersion.startsWith('policy.linkerd.io/'));
    expect(validateCustomResources(custom, LINKERD_CRD_SCHEMAS)).toEqual({ errors: [], unknownKinds: [] });
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
    expect(external).toEqual(profile.apiNodePort === undefined ? ['api.natter.local'] : ['api.natter.local', 'api.natter.local:30567']);
  });

  it('gives link-preview enough libuv threads that slow DNS answers cannot starve decompression', () => {
    expect(Number(env(templateNamed(objects, LINK_PREVIEW), 'UV_THREADPOOL_SIZE'))).toBeGreaterThanOrEqual(8);
  });

  it('points the API and the migration at the Services by their cluster names', () => {
    const linkPreview = servicePort(objects, 'natter-link-preview-service');
    const database = servicePort(objects, 'natter-database-service');
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
    expect(secretsMountedBy(objects, API)).toEqual([SECRETS.hmacKey.secretName, SECRETS.databaseApiUser.secretName].sort());
    expect(secretsMountedBy(objects, LINK_PREVIEW)).toEqual([]);
    expect(secretsMountedBy(objects, MIGRATION)).toEqual([SECRETS.databaseApiUser.secretName, SECRETS.databaseOwner.secretName].sort());
    expect(secretsMountedBy(objects, DATABASE)).toEqual([SECRETS.databaseOwner.secretName]);
    expect(env(templateNamed(objects, DATABASE), 'POSTGRES_PASSWORD_FILE')).toBe('/var/run/secrets/natter/natter-database-owner/password');
  });

  it('keeps PGDATA on the persistent volume and runs the migration with node /app/migrate.mjs', () => {
    const database = findObject(objects, 'StatefulSet', DATABASE);
    const claims = (database.spec as { volumeClaimTemplates: { metadata: { name: string } }[] }).volumeClaimTemplates;
    const dataMount = templateNamed(objects, DATABASE).spec.containers[0]!.volumeMounts!.find((mount) => mount.name === claims[0]!.metadata.name);
    expect(env(templateNamed(objects, DATABASE), 'PGDATA')?.startsWith(`${dataMount?.mountPath}/`)).toBe(true);
    expect(templateNamed(objects, DATABASE).spec.volumes?.map((volume) => volume.name)).toEqual(expect.arrayContaining(['tmp', 'var-run-postgresql']));
    expect(templateNamed(objects, MIGRATION).spec.containers[0]!.command).toEqual(['node', '/app/migrate.mjs']);
  });

  it('routes the Ingress over TLS to the API Service by its cluster name, with no dangerous annotation', () => {
    const ingress = findObject(objects, 'Ingress', API);
    const annotations = ingress.metadata?.annotations ?? {};
    const spec = ingress.spec as { tls: { hosts: string[]; secretName: string }[]; rules: { host: string }[] };
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(spec.tls).toEqual([{ hosts: ['api.natter.local'], secretName: 'natter-tls' }]);
    expect(spec.rules.map((rule) => rule.host)).toEqual(['api.natter.local']);
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
      expect(Number(guardrail.metadata?.annotations?.[SYNC_WAVE_ANNOTATION]), `${guardrail.kind} ${guardrail.metadata?.name}`).toBeLessThan(wave('StatefulSet', DATABASE));
    }
    expect(wave('StatefulSet', DATABASE)).toBeLessThan(wave('Job', MIGRATION));
    expect(wave('Job', MIGRATION)).toBeLessThan(wave('Deployment', API));
    expect(wave('Job', MIGRATION)).toBeLessThan(wave('Deployment', LINK_PREVIEW));
    expect(findObject(objects, 'Job', MIGRATION).metadata?.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(objects[0]?.kind).toBe('Namespace');
  });
});

describe('profiles', () => {
  const dev = manifestsOf(DEV);
  const prod = manifestsOf(PROD);
  const images = (objects: readonly Manifest[]): string[] => podTemplates(objects).flatMap((template) => template.spec.containers.map((container) => container.image ?? ''));

  it('dev: local images, one replica, NodePort 30567', () => {
    expect(images(dev)).toEqual(expect.arrayContaining(['natter-api:dev', 'natter-link-preview:dev']));
    expect(images(dev).find((image) => image.startsWith('postgres:'))).toMatch(/^postgres:16\.\d+-bookworm$/);
    for (const template of podTemplates(dev)) expect(template.spec.containers[0]?.imagePullPolicy).toMatch(/^(Never|IfNotPresent)$/);
    const service = findObject(dev, 'Service', 'natter-api-service').spec as { type: string; ports: { nodePort?: number }[] };
    expect(service.type).toBe('NodePort');
    expect(service.ports[0]?.nodePort).toBe(30567);
    expect(dev.filter((object) => object.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('prod: images by digest, ClusterIP only, >= 2 replicas with PDBs and topology spread', () => {
    for (const image of images(prod)) expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    for (const service of prod.filter((object) => object.kind === 'Service')) {
      expect((service.spec as { type?: string }).type ?? 'ClusterIP').toMatch(/^(ClusterIP)$/);
    }
    for (const name of [API, LINK_PREVIEW]) {
      expect((findObject(prod, 'Deployment', name).spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
      const pdb = findObject(prod, 'PodDisruptionBudget', name).spec as { selector: { matchLabels: Record<string, string> } };
      expect(pdb.selector.matchLabels).toEqual(templateNamed(prod, name).labels);
      expect(templateNamed(prod, name).spec.topologySpreadConstraints?.length).toBeGreaterThan(0);
    }
  });

  it('Argo CD Applications point at each profile directory, non-recursively', () => {
    const [devApp, prodApp] = synthesizeArgoCd([DEV, PROD], 'dist').map((file) => file.objects[0] as unknown as Manifest);
    const source = (app: Manifest | undefined) => (app?.spec as { source: { path: string; directory: { recurse: boolean } } }).source;
    expect(source(devApp).path).toBe('dist');
    expect(source(prodApp).path).toBe('dist/prod');
    expect(source(devApp).directory.recurse).toBe(false);
    expect((devApp?.spec as { destination: { namespace: string } }).destination.namespace).toBe('natter-api');
    const report = validateManifests([devApp!, prodApp!]);
    expect(report).toEqual({ errors: [], unknownKinds: ['argoproj.io/v1alpha1 Application'] });
  }, SCHEMA_TIMEOUT);
});

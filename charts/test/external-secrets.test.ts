import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCrdSchemas, type Manifest, podTemplates, validateCustomResources } from '@natter/kube-check';
import { SettingsError } from '../src/profiles.js';
import { SYNC_WAVE_ANNOTATION } from '../src/sync-waves.js';
import { ALL_VARIANTS, manifestsOf, PROFILES, variantName } from './natter-cluster.js';

const ESO_CRD = loadCrdSchemas(readFileSync(new URL('../crds/external-secrets-externalsecret-crd.yaml', import.meta.url), 'utf8'));

interface ExternalSecretSpec {
  refreshInterval: string;
  secretStoreRef: { kind: string; name: string };
  target: { name: string; creationPolicy: string; deletionPolicy: string; template?: { type: string; engineVersion: string; data: Record<string, string> } };
  data: { secretKey: string; remoteRef: { key: string; property?: string } }[];
}

/** `secretName → keys` of every Secret volume in every pod template, read from the synthesized objects. */
function secretsMounted(objects: readonly Manifest[]): Map<string, string[]> {
  const mounted = new Map<string, string[]>();
  for (const template of podTemplates(objects)) {
    for (const volume of template.spec.volumes ?? []) {
      const secret = volume.secret as { secretName?: string; items?: { key: string }[] } | undefined;
      if (secret?.secretName === undefined) continue;
      mounted.set(secret.secretName, [...new Set([...(mounted.get(secret.secretName) ?? []), ...(secret.items ?? []).map((item) => item.key)])].sort());
    }
  }
  return mounted;
}

interface ClusterSpec {
  managed: { roles: { name: string; passwordSecret: { name: string } }[] };
}

/** CloudNativePG issues `<cluster>-ca` itself and reads each managed role's password from a basic-auth Secret. */
function cloudNativePgSecrets(objects: readonly Manifest[]): { issued: string[]; basicAuth: Map<string, string> } {
  const clusters = objects.filter((object) => object.kind === 'Cluster' && object.apiVersion.startsWith('postgresql.cnpg.io/'));
  return {
    issued: clusters.map((cluster) => `${cluster.metadata?.name}-ca`),
    basicAuth: new Map(clusters.flatMap((cluster) => (cluster.spec as unknown as ClusterSpec).managed.roles.map((role) => [role.passwordSecret.name, role.name] as const))),
  };
}

const externalSecretsOf = (objects: readonly Manifest[]) => objects.filter((object) => object.kind === 'ExternalSecret');
const wave = (object: Manifest) => Number(object.metadata?.annotations?.[SYNC_WAVE_ANNOTATION]);

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('Secrets as code (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const settings = profile.secrets.externalSecrets;

  it('materializes exactly the Secrets the pods mount, key for key, from the profile\'s store and remote keys (or none: created by hand)', () => {
    const externalSecrets = externalSecretsOf(objects);
    if (settings === undefined) {
      expect(externalSecrets).toEqual([]);
      return;
    }
    const mounted = secretsMounted(objects);
    expect(mounted.size).toBeGreaterThan(0);
    const operator = cloudNativePgSecrets(objects);
    for (const issued of operator.issued) {
      expect(mounted.has(issued)).toBe(true);
      mounted.delete(issued);
    }
    const materialized = new Map(externalSecrets.map((object) => {
      const spec = object.spec as unknown as ExternalSecretSpec;
      return [spec.target.name, spec.data.map((entry) => entry.secretKey).sort()] as const;
    }));
    expect(materialized).toEqual(mounted);
    for (const object of externalSecrets) {
      const spec = object.spec as unknown as ExternalSecretSpec;
      expect(object.apiVersion).toBe('external-secrets.io/v1');
      expect(object.metadata?.namespace).toBe('natter-api');
      expect(spec.secretStoreRef).toEqual({ kind: settings.storeKind, name: settings.storeName });
      expect(spec.refreshInterval).toBe(settings.refreshInterval);
      const username = operator.basicAuth.get(spec.target.name);
      const template = username === undefined ? {} : { template: { type: 'kubernetes.io/basic-auth', engineVersion: 'v2', metadata: { labels: { 'cnpg.io/reload': 'true' } }, data: { username, password: '{{ .password }}' } } };
      expect(spec.target).toEqual({ name: object.metadata?.name, creationPolicy: 'Owner', deletionPolicy: 'Retain', ...template });
      expect(spec.data.map((entry) => entry.remoteRef)).toEqual([settings.remoteKeys[spec.target.name]]);
    }
  });

  it('lands the ExternalSecrets before any pod that mounts their Secrets (Argo CD sync waves)', () => {
    const externalSecrets = externalSecretsOf(objects);
    const workloads = objects.filter((object) => ['StatefulSet', 'Deployment', 'Job'].includes(object.kind));
    for (const secret of externalSecrets) for (const workload of workloads) expect(wave(secret), `${secret.metadata?.name} before ${workload.metadata?.name}`).toBeLessThan(wave(workload));
  });

  it('validates against the vendored External Secrets Operator CRD', () => {
    expect(validateCustomResources(externalSecretsOf(objects), ESO_CRD)).toEqual({ errors: [], unknownKinds: [] });
  });
});

describe('Secrets as code across profiles', () => {
  it('every profile that runs released images (prod) materializes its Secrets: nothing is created by hand there', () => {
    const released = PROFILES.filter((profile) => profile.images.requireReleased);
    expect(released.length).toBeGreaterThan(0);
    for (const profile of released) expect(externalSecretsOf(manifestsOf(profile)).length, profile.name).toBeGreaterThan(0);
  });

  it('fails when the remote keys miss a mounted Secret or name one nobody mounts', () => {
    const prod = PROFILES.find((profile) => profile.secrets.externalSecrets !== undefined)!;
    const settings = prod.secrets.externalSecrets!;
    const [first, ...rest] = Object.keys(settings.remoteKeys);
    const missing = { ...prod, secrets: { externalSecrets: { ...settings, remoteKeys: Object.fromEntries(rest.map((name) => [name, settings.remoteKeys[name]!])) } } };
    expect(() => manifestsOf(missing)).toThrow(SettingsError);
    expect(() => manifestsOf(missing)).toThrow(new RegExp(`natter\\.${prod.name}\\.yaml: secrets\\.externalSecrets\\.remoteKeys must name exactly the Secrets the pods mount\\n {2}no remote key for Secret ${first} \\(mounted by `));
    const extra = { ...prod, secrets: { externalSecrets: { ...settings, remoteKeys: { ...settings.remoteKeys, 'natter-unused': { key: 'x' } } } } };
    expect(() => manifestsOf(extra)).toThrow(/ {2}natter-unused is not a Secret the pods mount \(they mount .*\): remove it/);
  });

  it('the CRD check sees a wrong store kind and an unknown field', () => {
    const prod = PROFILES.find((profile) => profile.secrets.externalSecrets !== undefined)!;
    const [object] = externalSecretsOf(manifestsOf(prod));
    const broken = structuredClone(object!) as Manifest & { spec: Record<string, any> };
    broken.spec['secretStoreRef'].kind = 'Vault';
    broken.spec['refreshIntervall'] = '1h';
    const errors = validateCustomResources([broken], ESO_CRD).errors;
    expect(errors.length, errors.join('\n')).toBe(2);
    expect(errors.join('\n')).toMatch(/secretStoreRef/);
    expect(errors.join('\n')).toMatch(/refreshIntervall/);
  });
});

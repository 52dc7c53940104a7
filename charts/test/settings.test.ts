import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles, parseProfile, profileFromSettings, selectProfiles, SettingsError } from '../src/profiles.js';
import { lockedImages, readImageLock } from '../src/image-lock.js';
import { PROFILES } from './natter-cluster.js';
import { parseConfig } from '../../packages/natter-api/src/config.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const PINNED_IMAGES = `images:
  natterApi: registry.example/natter-api@${DIGEST}
  linkPreview: registry.example/natter-link-preview@${DIGEST}
  postgres: registry.example/postgres@${DIGEST}
  cloudNativePgPostgres: registry.example/cloudnative-pg-postgresql@${DIGEST}
  requireReleased: false
`;
/** The one CloudNativePG setting without a default, indented under `database:`. */
const CLUSTER = '  cloudNativePg: {kubernetesApiServer: {cidrs: [192.0.2.10/32]}, backup: {destinationPath: s3://backups/staging}}\n';
/** A complete profile with pinned images: the database is CloudNativePG unless a test says otherwise. */
const PINNED = `${PINNED_IMAGES}database:\n${CLUSTER}`;

/** The message `parseProfile` fails with for this YAML (after `base`: the pinned images and the database). */
function failure(yamlText: string, base = PINNED): string {
  try {
    parseProfile('staging', `${base}${yamlText}`);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error('expected the profile to be rejected');
}

const directories: string[] = [];
function directoryWith(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'natter-profiles-'));
  directories.push(directory);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('the settings model', () => {
  it('has secure defaults: a profile that names only its release (and its API server) runs the released images (images.lock.json), digests required, 2 replicas, no node port, no CORS, restricted mesh mode, CloudNativePG', () => {
    const profile = parseProfile('staging', `gitOps: {targetRevision: release/v1.4.0}\ndatabase:\n${CLUSTER}`);
    expect(profile.images).toMatchObject({ requireReleased: true, ...lockedImages(readImageLock()) });
    expect(profile).toMatchObject({
      name: 'staging',
      outputDirectory: 'staging',
      meshMode: 'linkerd-cni',
      logLevel: 'info',
      images: { requireDigest: true, pullPolicy: 'IfNotPresent' },
      api: { replicas: 2 },
      linkPreview: { replicas: 2 },
      edge: { kind: 'gateway-api', host: 'api.natter.local', tlsSecretName: 'natter-tls', gatewayApi: { className: 'eg', implementation: 'envoy-gateway', envoyGateway: { clientRateLimit: false } } },
      gitOps: { targetRevision: 'release/v1.4.0', destinationServer: 'https://kubernetes.default.svc' },
      database: {
        engine: 'cloudnative-pg',
        cloudNativePg: {
          instances: 3,
          synchronousStandbys: 1,
          postgresMajorVersion: 16,
          operator: { namespace: 'cnpg-system', podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
          kubernetesApiServer: { cidrs: ['192.0.2.10/32'], port: 6443 },
          backup: { destinationPath: 's3://backups/staging', credentialsSecret: 'natter-backup-credentials', retentionPolicy: '30d', schedule: '0 0 3 * * *' },
          restore: { enabled: false, sourceServerName: 'natter-database' },
        },
      },
    });
    expect(profile.api.corsOrigin).toBeUndefined();
    expect(profile.api.nodePort).toBeUndefined();
    expect(profile.database.storageClassName).toBeUndefined();
    expect(profile.api.resources.cpuLimit).toBeUndefined();
  });

  it('refuses images by tag unless the profile says requireDigest: false, and never accepts latest or a bare name', () => {
    const statefulset = '\ndatabase: {engine: statefulset}';
    expect(() => parseProfile('dev', `images: {natterApi: natter-api:dev, linkPreview: lp:dev, postgres: postgres:16, requireReleased: false}${statefulset}`)).toThrow(
      /natter\.dev\.yaml: 3 invalid settings\n {2}images\.natterApi: must be pinned by digest .* got 'natter-api:dev'/,
    );
    expect(parseProfile('dev', `images: {natterApi: natter-api:dev, linkPreview: lp:dev, postgres: postgres:16, requireDigest: false, requireReleased: false}${statefulset}`).images.natterApi).toBe('natter-api:dev');
    const loose = `images: {natterApi: natter-api:latest, linkPreview: localhost:5000/lp, postgres: postgres:16, requireDigest: false, requireReleased: false}${statefulset}`;
    expect(() => parseProfile('dev', loose)).toThrow(/images\.natterApi: must not use the tag latest: it moves under you, got 'natter-api:latest'/);
    expect(() => parseProfile('dev', loose)).toThrow(/images\.linkPreview: must carry a tag or a digest, got 'localhost:5000\/lp'/);
  });

  it('names each wrong field with what it received and what it accepts', () => {
    const message = failure(`meshMode: istio
api:
  replica: 3
  replicas: 0
  nodePort: {port: 80, clientCidrs: []}
  corsOrigin: https://app.example/
linkPreview:
  resources: {cpuRequest: 0.5, memoryLimit: 1G}
edge:
  host: API.example
`);
    expect(message.split('\n')).toEqual([
      'natter.staging.yaml: 9 invalid settings',
      "  meshMode: must be one of linkerd-cni, linkerd-init, got 'istio'",
      '  api.replicas: must be >= 1, got 0',
      '  api.corsOrigin: must be one origin such as https://app.example.com (scheme, host, optional port; no path or trailing slash), got \'https://app.example/\'',
      '  api.nodePort.port: must be >= 30000, got 80',
      '  api.nodePort.clientCidrs: must list at least 1, got an empty list',
      '  api.replica: unknown setting (check the spelling against charts/src/settings.ts)',
      '  linkPreview.resources.cpuRequest: must be a string, got 0.5',
      "  linkPreview.resources.memoryLimit: must be a size in Mi or Gi such as 512Mi, got '1G'",
      "  edge.host: must be a lower-case DNS name such as api.example.com, got 'API.example'",
    ]);
  });

  it('checks rules between fields once each field is valid', () => {
    expect(failure(`database:\n${CLUSTER}  resources: {memoryRequest: 1Gi, memoryLimit: 512Mi, cpuRequest: 200m, cpuLimit: 100m}\n`, PINNED_IMAGES).split('\n')).toEqual([
      'natter.staging.yaml: 2 invalid settings',
      "  database.resources.cpuLimit: must be at least cpuRequest (200m), got '100m'",
      "  database.resources.memoryLimit: must be at least memoryRequest (1Gi), got '512Mi'",
    ]);
  });

  it('requires the CloudNativePG settings exactly when the engine is cloudnative-pg, and checks them against each other and the image', () => {
    expect(failure('', PINNED_IMAGES)).toBe(
      'natter.staging.yaml: invalid setting\n  database.cloudNativePg: is required when database.engine is cloudnative-pg (at least kubernetesApiServer.cidrs); or set database.engine: statefulset',
    );
    expect(failure(`database:\n  engine: statefulset\n${CLUSTER}`, PINNED_IMAGES)).toMatch(/database\.cloudNativePg: applies only to database\.engine cloudnative-pg, not statefulset; remove it, got a mapping$/);
    expect(failure(`database:\n  cloudNativePg: {kubernetesApiServer: {cidrs: [api-server]}, instances: 2, synchronousStandbys: 3}\n`, PINNED_IMAGES).split('\n')).toEqual([
      'natter.staging.yaml: 3 invalid settings',
      '  database.cloudNativePg.instances: must be >= 3, got 2',
      "  database.cloudNativePg.kubernetesApiServer.cidrs[0]: must be a CIDR range such as 192.168.49.0/24 or fd00::/8, got 'api-server'",
      '  database.cloudNativePg.backup: is required (object)',
    ]);
    expect(failure(`database:\n  cloudNativePg: {kubernetesApiServer: {cidrs: [192.0.2.10/32]}, backup: {destinationPath: s3://backups/p}, instances: 3, synchronousStandbys: 3}\n`, PINNED_IMAGES)).toMatch(
      /database\.cloudNativePg\.synchronousStandbys: must be below instances \(3\): the primary is not its own standby, got 3$/,
    );
    const taggedOperand = `images: {natterApi: a:1, linkPreview: b:1, cloudNativePgPostgres: 'registry.example:5000/pg:17.2-standard-bookworm@sha256:${'c'.repeat(64)}', requireDigest: false, requireReleased: false}\ndatabase:\n${CLUSTER}`;
    expect(() => parseProfile('staging', taggedOperand)).toThrow(/images\.cloudNativePgPostgres: must be PostgreSQL 16 \(database\.cloudNativePg\.postgresMajorVersion\), but its tag says 17/);
    const seventeen = taggedOperand.replace(CLUSTER, CLUSTER.replace('cloudNativePg: {', 'cloudNativePg: {postgresMajorVersion: 17, '));
    expect(parseProfile('staging', seventeen).database.cloudNativePg?.postgresMajorVersion).toBe(17);
    expect(failure(`database:\n  cloudNativePg: {kubernetesApiServer: {cidrs: [192.0.2.10/32]}, backup: {destinationPath: 'https://b', endpointUrl: 'http://minio:9000', retentionPolicy: 30, schedule: '0 3 * * *'}, restore: {pointInTime: yesterday}}\n`, PINNED_IMAGES).split('\n')).toEqual([
      'natter.staging.yaml: 5 invalid settings',
      "  database.cloudNativePg.backup.destinationPath: must be s3://<bucket>[/<path>] such as s3://natter-backups/prod, got 'https://b'",
      "  database.cloudNativePg.backup.endpointUrl: Invalid URL, got 'http://minio:9000'",
      '  database.cloudNativePg.backup.retentionPolicy: must be a string, got 30',
      "  database.cloudNativePg.backup.schedule: must be a six-field cron expression with seconds first, such as '0 0 3 * * *', got '0 3 * * *'",
      "  database.cloudNativePg.restore.pointInTime: Invalid ISO datetime, got 'yesterday'",
    ]);
    // Only the PostgreSQL image the engine runs is required.
    expect(() => parseProfile('staging', `images: {natterApi: a:1, linkPreview: b:1, requireDigest: false, requireReleased: false}\ndatabase:\n${CLUSTER}`)).toThrow(
      /^natter\.staging\.yaml: invalid setting\n {2}images\.cloudNativePgPostgres: must be set because images\.requireReleased is false .* and database\.engine is cloudnative-pg/,
    );
  });

  it('refuses an edge the chart cannot build: a custom gateway without its data plane, a data plane for envoy-gateway, an unknown issuer kind', () => {
    expect(failure('edge:\n  gatewayApi: {implementation: custom}\n')).toMatch(/edge\.gatewayApi\.dataPlane: must be set when gatewayApi\.implementation is custom/);
    const dataPlane = '{namespace: gw, podLabels: {app: gw}, serviceAccount: gw}';
    expect(failure(`edge:\n  gatewayApi: {dataPlane: ${dataPlane}}\n`)).toMatch(/edge\.gatewayApi\.dataPlane: must not be set for envoy-gateway/);
    expect(failure(`edge:\n  gatewayApi: {implementation: custom, dataPlane: {namespace: gw, podLabels: {}, serviceAccount: gw}}\n`)).toMatch(/edge\.gatewayApi\.dataPlane\.podLabels: must name at least one label/);
    expect(failure('edge:\n  tlsIssuer: {kind: Certificate, name: letsencrypt}\n')).toMatch(/edge\.tlsIssuer\.kind: must be one of ClusterIssuer, Issuer, got 'Certificate'/);
    expect(parseProfile('staging', `${PINNED}edge:\n  gatewayApi: {implementation: custom, dataPlane: ${dataPlane}}\n`).edge.gatewayApi.dataPlane).toEqual({ namespace: 'gw', podLabels: { app: 'gw' }, serviceAccount: 'gw' });
  });

  it('defaults the Basic credential cache to the API\'s own defaults, and refuses values the API would refuse', () => {
    const defaults = parseProfile('staging', PINNED).api.basicAuthCache;
    expect(defaults).toEqual({ ttlSeconds: 300, maxEntries: 10_000 });
    expect(parseConfig({}).basicAuthCache).toEqual({ ttlMs: defaults.ttlSeconds * 1000, maxEntries: defaults.maxEntries });
    expect(parseProfile('staging', `${PINNED}api: {basicAuthCache: {ttlSeconds: 0}}\n`).api.basicAuthCache).toEqual({ ttlSeconds: 0, maxEntries: 10_000 });
    expect(failure('api: {basicAuthCache: {ttlSeconds: 3601, maxEntries: 0}}\n')).toMatch(/api\.basicAuthCache\.ttlSeconds: .*3600[\s\S]*api\.basicAuthCache\.maxEntries: .*1/);
  });

  it('refuses a service-wide rate that leaves a replica less than one request per second', () => {
    expect(failure('api:\n  replicas: 4\n  rateLimit: {perUser: {perSecond: 3}, global: {perSecond: 100, burst: 2}}\n').split('\n')).toEqual([
      'natter.staging.yaml: 2 invalid settings',
      '  api.rateLimit.global.burst: must be at least api.replicas (4): the chart gives each replica 1/4 of it, and a share below 1 would refuse every request, got 2',
      '  api.rateLimit.perUser.perSecond: must be at least api.replicas (4): the chart gives each replica 1/4 of it, and a share below 1 would refuse every request, got 3',
    ]);
  });

  it('refuses CIDRs that are not CIDRs, and a missing image', () => {
    expect(failure('api:\n  nodePort: {port: 30567, clientCidrs: [minikube, 10.0.0.0/33, 192.168.49.0/24]}\n')).toMatch(
      /api\.nodePort\.clientCidrs\[0\]: must be a CIDR range .* got 'minikube'\n {2}api\.nodePort\.clientCidrs\[1\]: must be a CIDR range .* got '10\.0\.0\.0\/33'$/,
    );
    expect(() => parseProfile('staging', 'images: {natterApi: a:1, linkPreview: b:1, requireDigest: false, requireReleased: false}\ndatabase: {engine: statefulset}')).toThrow(
      /images\.postgres: must be set because images\.requireReleased is false/,
    );
  });

  it('reports YAML that does not parse with its line, and a file that is not a mapping', () => {
    expect(() => parseProfile('staging', 'images:\n  natterApi: [a\n')).toThrow(/^natter\.staging\.yaml:3:1: not valid YAML: /);
    expect(() => parseProfile('staging', 'api:\n  replicas: 1\napi:\n  replicas: 2\n')).toThrow(/natter\.staging\.yaml:3:1: not valid YAML: Map keys must be unique/);
    expect(() => parseProfile('staging', '- images\n')).toThrow('natter.staging.yaml: must be a mapping of settings (such as "api:\\n  replicas: 2"), got a list');
  });

  it('makes a profile that runs released images track a release, never a moving branch; development profiles default to main', () => {
    const refusal = /gitOps\.targetRevision: must name a release \(a release\/<version> branch such as release\/v1\.4\.0, or a tag such as v1\.4\.0\) because images\.requireReleased is true/;
    const database = `database:\n${CLUSTER}`;
    expect(() => parseProfile('staging', database)).toThrow(refusal);
    for (const moving of ['main', 'master', 'HEAD', 'develop', 'releases']) {
      expect(() => parseProfile('staging', `${database}gitOps: {targetRevision: ${moving}}`), moving).toThrow(refusal);
    }
    for (const release of ['release/v1.4.0', 'release/2026-12', 'v1.4.0', 'v2.0.0-rc.1']) {
      expect(parseProfile('staging', `${database}gitOps: {targetRevision: ${release}}`).gitOps.targetRevision, release).toBe(release);
    }
    expect(parseProfile('staging', PINNED).gitOps.targetRevision).toBe('main');
    expect(failure('gitOps: {targetRevision: "-x..y", destinationServer: http://cluster.example}').split('\n').slice(1)).toEqual([
      "  gitOps.targetRevision: must be a branch, tag or commit such as main, release/v1.4.0 or v1.4.0, got '-x..y'",
      "  gitOps.destinationServer: Invalid URL, got 'http://cluster.example'",
    ]);
  });

  it('refuses a profile name that cannot name an Argo CD Application or a directory', () => {
    expect(() => profileFromSettings('Prod_2', {})).toThrow(/the profile name 'Prod_2' must be lower-case letters, digits and '-'/);
  });

  it('round-trips: a parsed profile validates again unchanged', () => {
    for (const profile of PROFILES) {
      const { name, outputDirectory, ...settings } = profile;
      expect(profileFromSettings(name, { ...settings, outputDirectory })).toEqual(profile);
    }
  });
});

describe('loadProfiles', () => {
  it('reads every natter.<profile>.yaml in the directory, in name order, and nothing else', () => {
    const directory = directoryWith({
      'natter.b.yaml': PINNED,
      'natter.a.yaml': `${PINNED}outputDirectory: .\n`,
      'natter.schema.json': '{}',
      'cdk8s.yaml': 'app: x\n',
    });
    expect(loadProfiles(directory).map((profile) => [profile.name, profile.outputDirectory])).toEqual([['a', '.'], ['b', 'b']]);
  });

  it('fails when there is no profile, or when two profiles would write into one directory', () => {
    expect(() => loadProfiles(directoryWith({}))).toThrow(/no profile file \(natter\.<profile>\.yaml\) found/);
    const clash = directoryWith({ 'natter.a.yaml': `${PINNED}outputDirectory: b\n`, 'natter.b.yaml': PINNED });
    expect(() => loadProfiles(clash)).toThrow("natter.b.yaml: outputDirectory 'b' is already used by natter.a.yaml; give each profile its own");
  });

  it('selects all profiles, or the one named, and names the existing ones for an unknown name', () => {
    expect(selectProfiles(PROFILES, undefined)).toEqual(PROFILES);
    const last = PROFILES.at(-1)!;
    expect(selectProfiles(PROFILES, last.name)).toEqual([last]);
    expect(() => selectProfiles(PROFILES, 'no-such-profile')).toThrow(
      `no profile 'no-such-profile': the profiles are ${PROFILES.map((profile) => profile.name).join(', ')} (one natter.<profile>.yaml each)`,
    );
  });
});

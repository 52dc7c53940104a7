import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILE_FILE } from '../src/profiles.js';
import { REPOSITORY_ROOT } from './natter-cluster.js';

const run = promisify(execFile);

/** A profile unlike the shipped ones in every setting the invariants look at. */
const EXTRA_PROFILE = 'qa-extra';
const EXTRA_SETTINGS = `
outputDirectory: qa
kubernetesVersion: '1.31'
dns:
  nodeLocalCache: {}
meshMode: linkerd-init
logLevel: warn
images:
  natterApi: registry.qa.example/natter-api@sha256:${'1'.repeat(64)}
  linkPreview: registry.qa.example/natter-link-preview@sha256:${'2'.repeat(64)}
  postgres: registry.qa.example/postgres@sha256:${'3'.repeat(64)}
  cloudNativePgPostgres: registry.qa.example/cloudnative-pg-postgresql@sha256:${'4'.repeat(64)}
  pullPolicy: Always
  requireReleased: false
api:
  replicas: 3
  resources: {cpuRequest: 250m, cpuLimit: 1000m, memoryRequest: 384Mi, memoryLimit: 1Gi}
  nodePort: {port: 31000, clientCidrs: [10.10.0.0/16]}
linkPreview:
  replicas: 1
database:
  storage: 20Gi
  storageClassName: fast-ssd
  cloudNativePg:
    instances: 5
    synchronousStandbys: 2
    walStorage: 5Gi
    operator:
      namespace: postgres-operator
      podLabels: {app: cnpg-controller}
    kubernetesApiServer:
      cidrs: [10.20.0.0/28, fd00:20::/64]
      port: 443
    backup:
      destinationPath: s3://qa-backups/natter
      endpointUrl: https://minio.qa.example:9000
      endpointCidrs: [10.30.0.0/24]
      credentialsSecret: qa-backup-credentials
      retentionPolicy: 2w
      schedule: '0 30 1 * * 0'
      serverName: natter-qa-r1
    restore:
      enabled: true
      sourceServerName: natter-qa
      pointInTime: '2026-12-01T10:00:00Z'
edge:
  kind: ingress-nginx
  host: api.qa.example
  tlsSecretName: qa-tls
  ingressNginx:
    className: nginx-internal
    controllerNamespace: edge-system
    controllerPodLabels: {app: edge-controller}
    controllerServiceAccount: edge-controller
gitOps:
  targetRevision: release-qa
`;

/** The files whose suites run once per profile: each must pick up a profile it has never seen. */
const PER_PROFILE_SUITES = ['argocd.test.ts', 'data-retention.test.ts', 'external-secrets.test.ts', 'node-support.test.ts', 'namespace-budget.test.ts', 'proxy-metrics.test.ts', 'wiring.test.ts', 'cloudnative-pg.test.ts', 'hardening.test.ts', 'label-copy.test.ts', 'secret-holders.test.ts', 'network-policies.test.ts', 'pod-security.test.ts', 'linkerd-policy.test.ts', 'natter-chart.test.ts', 'edge.test.ts', 'probes.test.ts', 'public-internet-egress.test.ts', 'database-connections.test.ts'];
// Suites whose objects the mesh mode does not change run once per profile, not once per mode.
const MESH_INDEPENDENT_SUITES: ReadonlySet<string> = new Set(['natter-chart.test.ts', 'database-connections.test.ts']);

interface JsonReport {
  readonly testResults: readonly { readonly name: string; readonly assertionResults: readonly { readonly fullName: string; readonly status: string }[] }[];
}

const directory = mkdtempSync(join(tmpdir(), 'natter-extra-profile-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('a profile added as one file', () => {
  it('is picked up by every per-profile invariant suite, in both mesh modes, and passes them', async () => {
    for (const file of readdirSync(REPOSITORY_ROOT).filter((entry) => PROFILE_FILE.test(entry))) copyFileSync(join(REPOSITORY_ROOT, file), join(directory, file));
    writeFileSync(join(directory, `natter.${EXTRA_PROFILE}.yaml`), EXTRA_SETTINGS);
    const report = join(directory, 'report.json');
    // Only the tests whose name carries the extra profile run; the rest of the suite is filtered out.
    await run(
      process.execPath,
      [join(REPOSITORY_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'charts', '-t', EXTRA_PROFILE, '--reporter=json', `--outputFile=${report}`],
      { cwd: REPOSITORY_ROOT, env: { ...process.env, NATTER_TEST_PROFILE_DIRECTORY: directory }, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the invariants failed for the extra profile:\n${error.stderr ?? ''}${readReportFailures(report)}`);
    });

    const results = (JSON.parse(readFileSync(report, 'utf8')) as JsonReport).testResults.flatMap((file) =>
      file.assertionResults.map((result) => ({ file: basename(file.name), ...result })),
    );
    const ran = results.filter((result) => result.status !== 'skipped' && result.status !== 'pending');
    expect(ran.filter((result) => result.status !== 'passed')).toEqual([]);
    expect(ran.every((result) => result.fullName.includes(EXTRA_PROFILE))).toBe(true);
    expect([...new Set(ran.map((result) => result.file))].sort()).toEqual([...PER_PROFILE_SUITES].sort());
    for (const variant of [`${EXTRA_PROFILE}/linkerd-cni`, `${EXTRA_PROFILE}/linkerd-init`]) {
      for (const suite of PER_PROFILE_SUITES.filter((suite) => !MESH_INDEPENDENT_SUITES.has(suite))) {
        expect(ran.filter((result) => result.file === suite && result.fullName.includes(variant)).length, `${suite} ${variant}`).toBeGreaterThan(0);
      }
    }
  }, 600_000);
});

function readReportFailures(report: string): string {
  try {
    const { testResults } = JSON.parse(readFileSync(report, 'utf8')) as JsonReport;
    return testResults.flatMap((file) => file.assertionResults.filter((result) => result.status === 'failed').map((result) => `\n  ${result.fullName}`)).join('');
  } catch {
    return '';
  }
}

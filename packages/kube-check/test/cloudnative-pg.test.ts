import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/checks/run-checks.js';
import { formatFinding } from '../src/checks/finding.js';
import { computeConnectivity } from '../src/connectivity.js';
import { readCrdDirectory } from '../src/crd-schema.js';
import type { Manifest } from '../src/manifest.js';
import { podTemplates } from '../src/manifest.js';
import { checkPodSecurity } from '../src/pod-security.js';
import { summarizeWorkloads } from '../src/workload-summary.js';
import { networkPolicy } from './fixtures.js';

const CRDS = readCrdDirectory(new URL('../../../charts/crds', import.meta.url).pathname);
const IMAGE = `registry.example/cloudnative-pg-postgresql@sha256:${'a'.repeat(64)}`;

function cluster(spec: Record<string, unknown> = {}): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } },
    { apiVersion: 'postgresql.cnpg.io/v1', kind: 'ImageCatalog', metadata: { name: 'db', namespace: 'shop' }, spec: { images: [{ major: 16, image: IMAGE }] } },
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        instances: 3,
        imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'db', major: 16 },
        inheritedMetadata: { annotations: { 'linkerd.io/inject': 'disabled' }, labels: { team: 'data' } },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        storage: { size: '1Gi' },
        ...spec,
      },
    },
  ];
}

describe('a CloudNativePG Cluster', () => {
  it('is modeled as the instance pod the operator v1.30 creates: labels, ports, UID 26, restricted security context, image from its catalog', () => {
    const [template, ...others] = podTemplates(cluster());
    expect(others).toEqual([]);
    expect(template).toMatchObject({ owner: 'Cluster/shop/db', ownerKind: 'Cluster', name: 'db', namespace: 'shop', createdByOperator: true });
    expect(template!.labels).toEqual({ team: 'data', 'cnpg.io/cluster': 'db', 'cnpg.io/podRole': 'instance' });
    expect(template!.annotations).toEqual({ 'linkerd.io/inject': 'disabled' });
    expect(template!.spec.serviceAccountName).toBe('db');
    expect(template!.spec.securityContext).toMatchObject({ runAsUser: 26, runAsGroup: 26, fsGroup: 26, runAsNonRoot: true });
    const container = template!.spec.containers[0]!;
    expect(container.image).toBe(IMAGE);
    expect(container.ports?.map((port) => `${port.name}:${port.containerPort}`)).toEqual(['postgresql:5432', 'metrics:9187', 'status:8000']);
    expect(checkPodSecurity(template!, 'restricted')).toEqual([]);
  });

  it('takes a podSecurityContext as the operator does: it replaces the default, which fills in only UID, GID and seccomp', () => {
    const [template] = podTemplates(cluster({ podSecurityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }));
    expect(template!.spec.securityContext).toEqual({ runAsUser: 26, runAsGroup: 26, seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'RuntimeDefault' } });
  });

  it('follows postgresUID/postgresGID, imageName and a weakened security context (which restricted then refuses)', () => {
    const [template] = podTemplates(cluster({ postgresUID: 10001, postgresGID: 10002, imageCatalogRef: undefined, imageName: 'example/pg:16.4', securityContext: { allowPrivilegeEscalation: true } }));
    expect(template!.spec.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10002 });
    expect(template!.spec.containers[0]!.image).toBe('example/pg:16.4');
    expect(checkPodSecurity(template!, 'restricted').map((violation) => violation.control)).toContain('Privilege Escalation');
  });

  it('passes the checks without a FAIL: the operator creates its ServiceAccount and selects its pods; its CA Secret counts as created', () => {
    const client = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'shop' },
      spec: {
        serviceAccountName: 'client',
        containers: [{ name: 'c', image: IMAGE, volumeMounts: [{ name: 'ca', mountPath: '/ca' }] }],
        volumes: [{ name: 'ca', secret: { secretName: 'db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
      },
    };
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'client', namespace: 'shop' } };
    const findings = runChecks([...cluster(), client, account], { crds: CRDS }).findings.map(formatFinding);
    expect(findings.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(findings.filter((line) => line.includes('db-ca'))).toEqual([]);
    expect(findings.filter((line) => line.includes('Cluster/shop/db') && line.includes('automountServiceAccountToken'))).toEqual([]);
  }, 60_000);

  it('fails the CRD schema check on a field the Cluster does not have', () => {
    const findings = runChecks(cluster({ instance: 3 }), { crds: CRDS }).findings.map(formatFinding);
    expect(findings).toContain('FAIL Cluster/shop/db spec.instance: /spec/instance is an unknown field');
  }, 60_000);

  it('is a workload of `instances` replicas in the summary the report and the diff use', () => {
    const [summary] = summarizeWorkloads(cluster());
    expect(summary).toMatchObject({ id: 'Cluster/shop/db', replicas: 3 });
  });

  it('is a peer the NetworkPolicies select by its cnpg.io/cluster label', () => {
    const objects = [...cluster(), networkPolicy('db-from-operator', { podSelector: { matchLabels: { 'cnpg.io/cluster': 'db' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8000 }] }] })];
    const { peers, evaluator } = computeConnectivity(objects);
    const db = peers.find((peer) => peer.id === 'Cluster/shop/db')!;
    expect(db.meshed).toBe(false);
    expect(evaluator.policiesSelecting(db.endpoints[0] as never, 'Ingress')).toEqual(['shop/db-from-operator']);
  });
});

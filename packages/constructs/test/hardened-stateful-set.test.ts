import { Size } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ServiceType } from 'cdk8s-plus-27';
import { HardenedStatefulSet, HealthProbe, VolumeClaimRetention } from '../src/index.js';
import { chartIn, expectRestrictedPod, expectSchemaValid, only, podSpec, synth } from './helpers.js';

const IMAGE = 'postgres:16@sha256:' + 'b'.repeat(64);

function database(chart = chartIn(), extra: Partial<ConstructorParameters<typeof HardenedStatefulSet>[2]> = {}) {
  return new HardenedStatefulSet(chart, 'db', {
    image: IMAGE,
    ports: [{ name: 'postgres', number: 5432 }],
    volumeClaims: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(5) }],
    ...extra,
  });
}

describe('HardenedStatefulSet', () => {
  it('renders the hardened defaults with a claim template and a headless Service', () => {
    const chart = chartIn();
    database(chart);
    const manifests = synth(chart);

    expect(manifests).toMatchSnapshot();
    expectSchemaValid(manifests);
    const set = only(manifests, 'StatefulSet', 'db');
    expectRestrictedPod(podSpec(set));
    expect(set.spec.serviceName).toBe('db-headless');
    expect(set.spec.volumeClaimTemplates).toEqual([
      {
        // Argo CD compares templates with the live, defaulted object: without these it never syncs.
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', labels: { app: 'db' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
      },
    ]);
    expect(podSpec(set).containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    // Deleting or scaling down the StatefulSet (a prune, a renamed construct) never deletes the data.
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    // The tmp emptyDir survives next to the claim (cdk8s-plus 2.x drops pod volumes here).
    expect(podSpec(set).volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    const headless = only(manifests, 'Service', 'db-headless');
    expect(headless.spec).toEqual({
      clusterIP: 'None',
      selector: { app: 'db' },
      ports: [{ name: 'postgres', port: 5432, protocol: 'TCP', targetPort: 'postgres' }],
    });
    expect(only(manifests, 'ServiceAccount', 'db').automountServiceAccountToken).toBe(false);
  });

  it('deletes claims with the StatefulSet only when asked', () => {
    const chart = chartIn();
    database(chart, { volumeClaimsWhenDeleted: VolumeClaimRetention.DELETE, volumeClaimsWhenScaled: VolumeClaimRetention.DELETE });
    new HardenedStatefulSet(chart, 'cache', { image: IMAGE });
    const manifests = synth(chart);
    expect(only(manifests, 'StatefulSet', 'db').spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Delete' });
    expect(only(manifests, 'StatefulSet', 'cache').spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
    expectSchemaValid(manifests);
  });

  it('passes the storage class through', () => {
    const chart = chartIn();
    database(chart, {
      volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1), storageClassName: 'fast' }],
    });
    const set = only(synth(chart), 'StatefulSet');
    expect(set.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('fast');
  });

  it('uses an existing governing Service when asked not to create one', () => {
    const chart = chartIn();
    const db = database(chart, { headlessServiceName: 'db-peers', createHeadlessService: false });
    const manifests = synth(chart);
    expect(db.headlessService).toBeUndefined();
    expect(only(manifests, 'StatefulSet').spec.serviceName).toBe('db-peers');
    expect(manifests.filter((m) => m.kind === 'Service')).toHaveLength(0);
  });

  it('shares probes, PDB and spreading with HardenedDeployment', () => {
    const chart = chartIn();
    database(chart, { replicas: 3, readinessProbe: HealthProbe.exec(['pg_isready', '-q']) });
    const manifests = synth(chart);
    const set = only(manifests, 'StatefulSet');
    expect(podSpec(set).containers[0].readinessProbe.exec).toEqual({ command: ['pg_isready', '-q'] });
    expect(podSpec(set).topologySpreadConstraints).toHaveLength(2);
    // StatefulSet pods carry no pod-template-hash: the spread counts every pod of the set.
    expect(podSpec(set).topologySpreadConstraints[0]).not.toHaveProperty('matchLabelKeys');
    expect(podSpec(set).securityContext.appArmorProfile).toEqual({ type: 'RuntimeDefault' });
    expect(only(manifests, 'PodDisruptionBudget', 'db').spec.maxUnavailable).toBe(1);
  });

  it('can be exposed through a ClusterIP Service targeting its port', () => {
    const chart = chartIn();
    const db = database(chart);
    const service = db.exposeViaService({ name: 'db-service', port: 5432, type: ServiceType.CLUSTER_IP });
    const rendered = only(synth(chart), 'Service', 'db-service');
    expect(service.targetPort.name).toBe('postgres');
    expect(rendered.spec.selector).toEqual(db.selectorLabels);
  });

  describe('fails when', () => {
    it('a claim mount path is relative', () => {
      expect(() =>
        database(chartIn(), { volumeClaims: [{ name: 'data', mountPath: 'data', storage: Size.gibibytes(1) }] }),
      ).toThrow(/mountPath of volume claim 'data' must be an absolute path/);
    });

    it('a claim has no storage', () => {
      expect(() =>
        database(chartIn(), { volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(0) }] }),
      ).toThrow(/storage of volume claim 'data' must be positive, got 0Gi/);
    });

    it('a claim name is not a DNS label', () => {
      expect(() =>
        database(chartIn(), { volumeClaims: [{ name: 'Data', mountPath: '/data', storage: Size.gibibytes(1) }] }),
      ).toThrow(/volume claim name must be a DNS label/);
    });

    it('a claim collides with a writable directory', () => {
      const chart = chartIn();
      database(chart, {
        writableDirectories: ['/data'],
        volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1) }],
      });
      expect(() => synth(chart)).toThrow(/is used twice in one pod/);
    });

    it('the headless Service name starts with a digit', () => {
      expect(() => database(chartIn(), { headlessServiceName: '1db' })).toThrow(/headlessServiceName must be an RFC 1035 label/);
    });
  });
});

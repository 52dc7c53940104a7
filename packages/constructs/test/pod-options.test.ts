import { Duration, Size } from 'cdk8s';
import { ConfigMap, EnvFieldPaths, EnvValue, PercentOrAbsolute, Secret } from 'cdk8s-plus-27';
import { describe, expect, it } from 'vitest';
import { HardenedDeployment, HardenedJob, HardenedStatefulSet, MountedVolume, RolloutStrategy } from '../src/index.js';
import { chartIn, expectRestrictedPod, expectSchemaValid, only, podSpec, synth } from './helpers.js';

const IMAGE = 'registry.example/app@sha256:' + 'b'.repeat(64);

describe('what a second app needs', () => {
  it('passes scheduling, pull secrets and the grace period through to the pod', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      imagePullSecrets: ['registry-credentials'],
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['apps'] }] }],
          },
        },
      },
      priorityClassName: 'business-critical',
      terminationGracePeriod: Duration.seconds(45),
    });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const spec = podSpec(only(manifests, 'Deployment'));
    expectRestrictedPod(spec);
    expect(spec).toMatchObject({
      imagePullSecrets: [{ name: 'registry-credentials' }],
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      priorityClassName: 'business-critical',
      terminationGracePeriodSeconds: 45,
    });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key).toBe('pool');
  });

  it('renders none of them by default', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', { image: IMAGE });
    const spec = podSpec(only(synth(chart), 'Deployment'));
    for (const field of ['imagePullSecrets', 'nodeSelector', 'tolerations', 'affinity', 'priorityClassName', 'terminationGracePeriodSeconds']) {
      expect(spec, field).not.toHaveProperty(field);
    }
  });

  it('reads env from a ConfigMap key and pod fields with cdk8s-plus EnvValue', () => {
    const chart = chartIn();
    const settings = ConfigMap.fromConfigMapName(chart, 'Settings', 'web-settings');
    const web = new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      env: { LOG_LEVEL: 'info', FEATURE_FLAGS: EnvValue.fromConfigMap(settings, 'flags') },
    });
    web.addEnv('POD_NAME', EnvValue.fromFieldRef(EnvFieldPaths.POD_NAME));
    web.addEnv('REGION', EnvValue.fromValue('eu-1'));
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    expect(podSpec(only(manifests, 'Deployment')).containers[0].env).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'FEATURE_FLAGS', valueFrom: { configMapKeyRef: { name: 'web-settings', key: 'flags' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'REGION', value: 'eu-1' },
    ]);
  });

  it('mounts ConfigMaps, claims and audience-bound tokens read-only unless told otherwise', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      volumes: [
        MountedVolume.configMap({ configMap: ConfigMap.fromConfigMapName(chart, 'Cfg', 'web-config'), mountPath: '/etc/web', items: { 'app.yaml': 'app.yaml' } }),
        MountedVolume.persistentVolumeClaim({ claim: 'shared-assets', mountPath: '/srv/assets' }),
        MountedVolume.persistentVolumeClaim({ claim: 'uploads', mountPath: '/srv/uploads', readOnly: false }),
        MountedVolume.serviceAccountToken({ audience: 'vault', mountPath: '/var/run/secrets/vault', expiration: Duration.minutes(20) }),
      ],
    });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const spec = podSpec(only(manifests, 'Deployment'));
    expectRestrictedPod(spec);
    expect(spec.volumes.slice(1)).toEqual([
      { name: 'etc-web', configMap: { name: 'web-config', items: [{ key: 'app.yaml', path: 'app.yaml' }], defaultMode: 0o440 } },
      { name: 'srv-assets', persistentVolumeClaim: { claimName: 'shared-assets', readOnly: true } },
      { name: 'srv-uploads', persistentVolumeClaim: { claimName: 'uploads', readOnly: false } },
      {
        name: 'var-run-secrets-vault',
        projected: { defaultMode: 0o440, sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 1200, path: 'token' } }] },
      },
    ]);
    expect(spec.containers[0].volumeMounts.slice(1)).toEqual([
      { name: 'etc-web', mountPath: '/etc/web', readOnly: true },
      { name: 'srv-assets', mountPath: '/srv/assets', readOnly: true },
      { name: 'srv-uploads', mountPath: '/srv/uploads', readOnly: false },
      { name: 'var-run-secrets-vault', mountPath: '/var/run/secrets/vault', readOnly: true },
    ]);
    // The Kubernetes API token itself stays unmounted.
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  it('mounts a size-limited, writable memory volume (a tmpfs /dev/shm)', () => {
    const chart = chartIn();
    new HardenedStatefulSet(chart, 'db', { image: IMAGE, volumes: [MountedVolume.memory({ mountPath: '/dev/shm', sizeLimit: Size.mebibytes(256) })] });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const spec = podSpec(only(manifests, 'StatefulSet'));
    expectRestrictedPod(spec);
    expect(spec.volumes).toContainEqual({ name: 'dev-shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'dev-shm', mountPath: '/dev/shm', readOnly: false });
  });

  it('sets the rollout strategy of a Deployment', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      replicas: 4,
      strategy: RolloutStrategy.rollingUpdate({ maxSurge: PercentOrAbsolute.absolute(1), maxUnavailable: PercentOrAbsolute.percent(0) }),
    });
    new HardenedDeployment(chart, 'singleton', { image: IMAGE, strategy: RolloutStrategy.recreate() });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    expect(only(manifests, 'Deployment', 'web').spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '0%' } });
    expect(only(manifests, 'Deployment', 'singleton').spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('lets a cdk8s-plus Service select a hardened workload (IPodSelector)', async () => {
    const { Service } = await import('cdk8s-plus-27');
    const chart = chartIn('shop');
    const db = new HardenedStatefulSet(chart, 'db', { image: IMAGE, ports: [{ name: 'pg', number: 5432 }] });
    const service = new Service(chart, 'DbService', { metadata: { name: 'db-plus' }, ports: [{ port: 5432, targetPort: 5432 }] });
    service.select(db);
    expect(only(synth(chart), 'Service', 'db-plus').spec.selector).toEqual({ app: 'db' });
    expect(db.toNetworkPolicyPeerConfig().podSelector?.namespaces?.names).toEqual(['shop']);
  });

  describe('fails when', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      [
        'an env var reads a Secret',
        () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, env: { DB: EnvValue.fromSecretValue({ secret: Secret.fromSecretName(chartIn(), 'S', 'db'), key: 'url' }) } }),
        /'DB' reads Secret 'db': secret values never go into the environment/,
      ],
      ['a memory volume has no size', () => MountedVolume.memory({ mountPath: '/dev/shm', sizeLimit: Size.mebibytes(0) }), /sizeLimit of the memory volume at \/dev\/shm must be positive, got 0Mi/],
      ['a toleration has no key (it tolerates every taint)', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, tolerations: [{ operator: 'Exists' }] }), /a toleration without a key tolerates every taint/],
      ['an image pull secret name is invalid', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, imagePullSecrets: ['Registry'] }), /imagePullSecrets entry must be a DNS subdomain/],
      ['the grace period is fractional', () => new HardenedJob(chartIn(), 'job', { image: IMAGE, terminationGracePeriod: Duration.millis(1500) }), /terminationGracePeriod must be whole seconds >= 0|cannot be converted/],
      ['a token lives under 10 minutes', () => MountedVolume.serviceAccountToken({ audience: 'vault', mountPath: '/t', expiration: Duration.minutes(5) }), /expiration must be whole seconds >= 600/],
      ['a token has no audience', () => MountedVolume.serviceAccountToken({ audience: ' ', mountPath: '/t' }), /audience must not be empty/],
      ['a ConfigMap item escapes its directory', () => MountedVolume.configMap({ configMap: 'c', mountPath: '/c', items: { a: '../a' } }), /items path of key 'a' must be a relative path/],
      ['a volume is mounted at a relative path', () => MountedVolume.persistentVolumeClaim({ claim: 'c', mountPath: 'data' }), /mountPath must be an absolute path/],
      ['both rollout limits are zero', () => RolloutStrategy.rollingUpdate({ maxSurge: PercentOrAbsolute.absolute(0), maxUnavailable: PercentOrAbsolute.percent(0) }), /must not both be zero/],
    ];
    it.each(cases)('%s', (_name, build, message) => {
      expect(build).toThrow(message);
    });

    it('an extra volume reuses a mount path', () => {
      const chart = chartIn();
      new HardenedStatefulSet(chart, 'db', {
        image: IMAGE,
        volumes: [MountedVolume.configMap({ configMap: 'c', mountPath: '/data', name: 'config' })],
        volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1) }],
      });
      expect(() => synth(chart)).toThrow(/volume mount path '\/data' is used twice/);
    });
  });
});

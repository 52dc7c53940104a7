import { ApiObject, JsonPatch, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { describe, expect, it } from 'vitest';
import { ImagePullPolicy } from 'cdk8s-plus-27';
import { AppArmorProfile, HardenedDeployment, HealthProbe } from '../src/index.js';
import { chartIn, expectRestrictedPod, expectSchemaValid, only, podSpec, synth } from './helpers.js';

const IMAGE = 'registry.example/app@sha256:' + 'a'.repeat(64);

describe('HardenedDeployment', () => {
  it('renders the hardened defaults', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', { image: IMAGE, ports: [{ name: 'http', number: 8080 }] });
    const manifests = synth(chart);

    expect(manifests).toMatchSnapshot();
    expectSchemaValid(manifests);
    const deployment = only(manifests, 'Deployment', 'web');
    const spec = podSpec(deployment);
    expectRestrictedPod(spec);
    expect(deployment.metadata.namespace).toBe('apps');
    expect(deployment.spec.replicas).toBe(1);
    expect(spec.serviceAccountName).toBe('web');
    const [container] = spec.containers;
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(container.startupProbe).toBeUndefined();
    expect(spec.topologySpreadConstraints).toBeUndefined();
    expect(manifests.filter((m) => m.kind === 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('creates a dedicated ServiceAccount without a token', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', { image: IMAGE });
    const account = only(synth(chart), 'ServiceAccount', 'web');
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('adds no cdk8s hash labels: selector, template labels and metadata share the app label', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE, labels: { tier: 'frontend' } });
    const deployment = only(synth(chart), 'Deployment');
    expect(web.selectorLabels).toEqual({ app: 'web' });
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(deployment.spec.template.metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    expect(JSON.stringify(deployment)).not.toContain('cdk8s.io');
  });

  it('mounts secret files read-only and returns their paths', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      secretsDirectory: '/var/run/secrets/natter',
      secretFiles: [{ secretName: 'db', key: 'password' }],
    });
    const hmacPath = web.mountSecretFile({ secretName: 'db', key: 'hmac' });
    web.addEnv('DATABASE_PASSWORD_FILE', web.secretFilePath('db', 'password'));
    web.addEnv('HMAC_FILE', hmacPath);
    const spec = podSpec(only(synth(chart), 'Deployment'));

    expect(hmacPath).toBe('/var/run/secrets/natter/db/hmac');
    expect(spec.containers[0].env).toEqual([
      { name: 'DATABASE_PASSWORD_FILE', value: '/var/run/secrets/natter/db/password' },
      { name: 'HMAC_FILE', value: '/var/run/secrets/natter/db/hmac' },
    ]);
    expect(spec.volumes).toContainEqual({
      name: 'secret-db',
      secret: {
        secretName: 'db',
        defaultMode: 0o440,
        items: [
          { key: 'password', path: 'password' },
          { key: 'hmac', path: 'hmac' },
        ],
      },
    });
    expect(spec.containers[0].volumeMounts).toContainEqual({
      name: 'secret-db',
      mountPath: '/var/run/secrets/natter/db',
      readOnly: true,
    });
  });

  it('mounts a Secret whose name has dots under a valid volume name', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE, secretFiles: [{ secretName: 'tls.example', key: 'tls.key' }] });
    const spec = podSpec(only(synth(chart), 'Deployment'));
    expect(web.secretFilePath('tls.example', 'tls.key')).toBe('/var/run/secrets/app/tls.example/tls.key');
    expect(spec.volumes[1].name).toBe('secret-tls-example');
    expect(spec.containers[0].volumeMounts[1]).toEqual({
      name: 'secret-tls-example',
      mountPath: '/var/run/secrets/app/tls.example',
      readOnly: true,
    });
  });

  it('adds emptyDirs for declared writable directories', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      writableDirectories: ['/var/run/postgresql'],
      writableDirectorySizeLimit: Size.mebibytes(16),
    });
    const spec = podSpec(only(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } },
      { name: 'var-run-postgresql', emptyDir: { sizeLimit: '16Mi' } },
    ]);
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'var-run-postgresql', mountPath: '/var/run/postgresql' });
  });

  it('sends the Host header in HTTP probes and defaults the port to the first container port', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      ports: [{ name: 'http', number: 4567 }],
      readinessProbe: HealthProbe.httpGet('/ready', { hostHeader: 'web-service:4567' }),
      livenessProbe: HealthProbe.httpGet('/health', { hostHeader: 'web-service:4567', periodSeconds: 20 }),
    });
    const [container] = podSpec(only(synth(chart), 'Deployment')).containers;
    expect(container.readinessProbe.httpGet).toEqual({
      path: '/ready',
      port: 'http',
      scheme: 'HTTP',
      httpHeaders: [{ name: 'Host', value: 'web-service:4567' }],
    });
    expect(container.livenessProbe.periodSeconds).toBe(20);
    expect(container.livenessProbe.httpGet.path).toBe('/health');
  });

  it('creates a PodDisruptionBudget and spreads pods when replicated', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE, replicas: 3 });
    const manifests = synth(chart);
    const pdb = only(manifests, 'PodDisruptionBudget', 'web');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: web.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const constraints = podSpec(only(manifests, 'Deployment')).topologySpreadConstraints;
    expect(constraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const constraint of constraints) {
      expect(constraint.labelSelector).toEqual({ matchLabels: web.selectorLabels });
      // Only pods of the same ReplicaSet count, so a rollout spreads the new pods too.
      expect(constraint.matchLabelKeys).toEqual(['pod-template-hash']);
    }
    expectSchemaValid(manifests);
  });

  it('lets drains evict unready pods past the budget, unless told not to', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'web', { image: IMAGE, replicas: 2 });
    new HardenedDeployment(chart, 'quorum', { image: IMAGE, replicas: 3, evictUnhealthyPods: false });
    const manifests = synth(chart);
    expect(only(manifests, 'PodDisruptionBudget', 'web').spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(only(manifests, 'PodDisruptionBudget', 'quorum').spec.unhealthyPodEvictionPolicy).toBe('IfHealthyBudget');
  });

  it('sets the RuntimeDefault AppArmor profile, which cdk8s-plus-27 cannot express, in the pod securityContext', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE });
    const spec = podSpec(only(synth(chart), 'Deployment'));
    expect(spec.securityContext.appArmorProfile).toEqual({ type: 'RuntimeDefault' });
    // The field survives a second serialization and the user's own escape-hatch patches.
    ApiObject.of(web).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
    const again = only(synth(chart), 'Deployment');
    expect(again.spec.minReadySeconds).toBe(5);
    expect(podSpec(again).securityContext.appArmorProfile).toEqual({ type: 'RuntimeDefault' });
  });

  it('sets a localhost AppArmor profile, or none when the nodes have no AppArmor', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'custom', { image: IMAGE, appArmorProfile: AppArmorProfile.localhost('k8s-web') });
    new HardenedDeployment(chart, 'plain', { image: IMAGE, appArmorProfile: AppArmorProfile.notSpecified() });
    const manifests = synth(chart);
    expect(podSpec(only(manifests, 'Deployment', 'custom')).securityContext.appArmorProfile).toEqual({ type: 'Localhost', localhostProfile: 'k8s-web' });
    expectRestrictedPod(podSpec(only(manifests, 'Deployment', 'plain')), 10001, 10001, null);
    expectSchemaValid(manifests);
  });

  it('runs the pod in its own user namespace only when asked', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'isolated', { image: IMAGE, userNamespace: true });
    new HardenedDeployment(chart, 'shared', { image: IMAGE });
    const manifests = synth(chart);
    expect(podSpec(only(manifests, 'Deployment', 'isolated')).hostUsers).toBe(false);
    expectRestrictedPod(podSpec(only(manifests, 'Deployment', 'isolated')));
    expect(podSpec(only(manifests, 'Deployment', 'shared'))).not.toHaveProperty('hostUsers');
  });

  it('passes command, args, pull policy, annotations, resources and identity through', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', {
      image: IMAGE,
      command: ['node'],
      args: ['/app/server.mjs'],
      imagePullPolicy: ImagePullPolicy.NEVER,
      podAnnotations: { 'linkerd.io/inject': 'enabled' },
      cpuRequest: Cpu.millis(100),
      cpuLimit: Cpu.units(1),
      memoryRequest: Size.mebibytes(64),
      memoryLimit: Size.mebibytes(64),
      runAsUser: 20000,
      runAsGroup: 20001,
    });
    web.addPodAnnotation('config.linkerd.io/skip-inbound-ports', '');
    const deployment = only(synth(chart), 'Deployment');
    const spec = podSpec(deployment);
    expectRestrictedPod(spec, 20000, 20001);
    expect(deployment.spec.template.metadata.annotations).toEqual({
      'linkerd.io/inject': 'enabled',
      'config.linkerd.io/skip-inbound-ports': '',
    });
    expect(spec.containers[0]).toMatchObject({ command: ['node'], args: ['/app/server.mjs'], imagePullPolicy: 'Never' });
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } });
  });

  it('hardens init containers the same way', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE });
    web.addInitContainer({ name: 'wait', command: ['sh', '-c', 'true'], env: { A: 'b' } });
    const spec = podSpec(only(synth(chart), 'Deployment'));
    expectRestrictedPod(spec);
    expect(spec.initContainers[0]).toMatchObject({ name: 'wait', image: IMAGE, env: [{ name: 'A', value: 'b' }] });
    expect(spec.initContainers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('accepts low IDs only with the allowLowIds relaxation', () => {
    const chart = chartIn();
    new HardenedDeployment(chart, 'db', { image: IMAGE, runAsUser: 999, runAsGroup: 999, allowLowIds: true });
    expectRestrictedPod(podSpec(only(synth(chart), 'Deployment')), 999, 999);
  });

  it('exposes the Deployment as `Resource` for JSON patches', () => {
    const chart = chartIn();
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE });
    expect(web.node.findChild('Resource')).toBe(web.resource);
    ApiObject.of(web).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
    expect(only(synth(chart), 'Deployment').spec.minReadySeconds).toBe(5);
  });

  it('does not set a namespace when the chart has none', () => {
    const chart = chartIn(null);
    const web = new HardenedDeployment(chart, 'web', { image: IMAGE });
    expect(web.namespace).toBeUndefined();
    expect(only(synth(chart), 'Deployment').metadata.namespace).toBeUndefined();
  });

  describe('fails when', () => {
    const cases: Array<[string, () => void, RegExp]> = [
      ['the image is empty', () => new HardenedDeployment(chartIn(), 'web', { image: ' ' }), /image must be a non-empty/],
      ['runAsUser is below 10001', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, runAsUser: 1000 }), /runAsUser must be an integer >= 10001, got 1000/],
      ['runAsUser is root even with allowLowIds', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, runAsUser: 0, allowLowIds: true }), /runAsUser must be an integer >= 1, got 0/],
      ['fsGroup is below 10001', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, fsGroup: 100 }), /fsGroup must be an integer >= 10001, got 100/],
      ['a PDB is requested with replicas 1', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, podDisruptionBudget: true }), /replicas must be >= 2 when podDisruptionBudget is requested, got 1/],
      ['spreading is requested with replicas 1', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, spreadAcrossNodes: true }), /replicas must be >= 2 when spreadAcrossNodes/],
      ['replicas is negative', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, replicas: -1 }), /replicas must be a non-negative integer, got -1/],
      ['the memory limit is below the request', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, memoryRequest: Size.mebibytes(512) }), /memoryLimit must be >= memoryRequest, got limit 256Mi < request 512Mi/],
      ['the CPU limit is below the request', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, cpuLimit: Cpu.millis(10) }), /cpuLimit must be >= cpuRequest/],
      ['the name is not a DNS label', () => new HardenedDeployment(chartIn(), 'Web', { image: IMAGE }), /must be a DNS label .* got 'Web'/],
      ['labels try to override app', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, labels: { app: 'other' } }), /labels must not set 'app'/],
      ['a writable directory is relative', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, writableDirectories: ['cache'] }), /must be an absolute path .* got 'cache'/],
      ['a container port is declared twice', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, ports: [{ name: 'http', number: 80 }, { name: 'alt', number: 80 }] }), /declared twice/],
      ['a container port is out of range', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, ports: [{ name: 'http', number: 70000 }] }), /between 1 and 65535, got 70000/],
      ['an env var looks like it carries a secret', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, env: { DATABASE_PASSWORD: 'x' } }), /'DATABASE_PASSWORD' looks like a secret.* pass the path in 'DATABASE_PASSWORD_FILE'/],
      ['a pod annotation switches AppArmor off', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, podAnnotations: { 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' } }), /would weaken the pod's confinement/],
      ['an AppArmor annotation competes with the field', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, podAnnotations: { 'container.apparmor.security.beta.kubernetes.io/web': 'localhost/k8s-web' } }), /deprecated form of the AppArmor field; use the appArmorProfile prop \(AppArmorProfile.localhost\('k8s-web'\)/],
      ['a legacy seccomp annotation is set', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, podAnnotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }), /would weaken the pod's confinement/],
      ['an env name is invalid', () => new HardenedDeployment(chartIn(), 'web', { image: IMAGE, env: { 'BAD-NAME': 'x' } }), /environment variable name must match/],
    ];
    it.each(cases)('%s', (_name, build, message) => {
      expect(build).toThrow(message);
    });

    it('a secret name is not a DNS subdomain', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE });
      expect(() => web.mountSecretFile({ secretName: 'DB_Secret', key: 'password' })).toThrow(
        /secretName must be a DNS subdomain .* got 'DB_Secret'/,
      );
    });

    it('a secret key tries to leave its directory', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE });
      expect(() => web.mountSecretFile({ secretName: 'db', key: '../etc' })).toThrow(/secret key must consist of/);
    });

    it('an env var is set twice', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE, env: { PORT: '1' } });
      expect(() => web.addEnv('PORT', '2')).toThrow(/'PORT' is already set on web/);
    });

    it('asking for the path of a secret that is not mounted', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE });
      expect(() => web.secretFilePath('db', 'password')).toThrow(/secret 'db' key 'password' is not mounted on web/);
    });

    it('a probe names an undeclared port', () => {
      const chart = chartIn();
      new HardenedDeployment(chart, 'web', {
        image: IMAGE,
        ports: [{ name: 'http', number: 80 }],
        livenessProbe: HealthProbe.tcpSocket({ port: 'admin' }),
      });
      expect(() => synth(chart)).toThrow(/probe port 'admin' is not a declared container port name \(declared: http\)/);
    });

    it('a probe has no port to use', () => {
      const chart = chartIn();
      new HardenedDeployment(chart, 'web', { image: IMAGE, readinessProbe: HealthProbe.httpGet('/health') });
      expect(() => synth(chart)).toThrow(/probe has no port/);
    });

    it('an init container reuses a container name', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE });
      web.addInitContainer({ name: 'setup' });
      expect(() => web.addInitContainer({ name: 'setup' })).toThrow(/container name 'setup' is already used in web/);
      expect(() => web.addInitContainer({ name: 'web' })).toThrow(/container name 'web' is already used in web/);
    });

    it('a pod annotation is set twice', () => {
      const web = new HardenedDeployment(chartIn(), 'web', { image: IMAGE, podAnnotations: { a: '1' } });
      expect(() => web.addPodAnnotation('a', '2')).toThrow(/pod annotation 'a' is already set on web/);
    });

    it('two writable directories map to the same volume name', () => {
      const chart = chartIn();
      new HardenedDeployment(chart, 'web', { image: IMAGE, writableDirectories: ['/a-b', '/a/b'] });
      expect(() => synth(chart)).toThrow(/volume name 'a-b' is used twice in one pod/);
    });

    it('a writable directory collides with a secret mount path', () => {
      const chart = chartIn();
      new HardenedDeployment(chart, 'web', {
        image: IMAGE,
        writableDirectories: ['/var/run/secrets/app/db'],
        secretFiles: [{ secretName: 'db', key: 'password' }],
      });
      expect(() => synth(chart)).toThrow(/volume mount path '\/var\/run\/secrets\/app\/db' is used twice/);
    });
  });
});

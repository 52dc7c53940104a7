import { Chart, Size, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  HardenedDeployment,
  HardenedIngress,
  HardenedJob,
  HardenedNamespace,
  HardenedStatefulSet,
  LockedDownPolicy,
  NamespacePeer,
  Port,
  HealthProbe,
} from '../src/index.js';

/** Every construct, wired together the way an application chart would. */
function synthesizeAll(): string {
  const app = Testing.app();
  const chart = new Chart(app, 'all', { namespace: 'shop' });
  new HardenedNamespace(chart, 'shop', { annotations: { 'linkerd.io/inject': 'enabled' } });
  const policy = new LockedDownPolicy(chart, 'Policy');
  const web = new HardenedDeployment(chart, 'web', {
    image: 'web:1',
    replicas: 2,
    ports: [{ name: 'http', number: 8080 }],
    readinessProbe: HealthProbe.httpGet('/health', { hostHeader: 'web:8080' }),
    secretFiles: [{ secretName: 'web-key', key: 'key' }],
  });
  web.addEnv('KEY_FILE', web.secretFilePath('web-key', 'key'));
  const db = new HardenedStatefulSet(chart, 'db', {
    image: 'db:1',
    ports: [{ name: 'pg', number: 5432 }],
    volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1) }],
  });
  const migrate = new HardenedJob(chart, 'migrate', { image: 'web:1' });
  policy.allowBetween(web, db, { ports: [Port.tcp(5432)] });
  policy.allowBetween(migrate, db, { ports: [Port.tcp(5432)] });
  policy.allowDnsEgress();
  policy.allowPublicInternetEgress(web, { ports: [Port.tcp(443)] });
  policy.allowFromNamespace(NamespacePeer.named('ingress-nginx'), { to: web, ports: [Port.tcp(8080)] });
  const service = web.exposeViaService({ name: 'web-service', port: 80 });
  new HardenedIngress(chart, 'web-ingress', { host: 'shop.example.com', tlsSecretName: 'shop-tls', backend: service });
  return app.synthYaml();
}

describe('synthesis', () => {
  it('is deterministic: the same input gives byte-identical YAML', () => {
    const first = synthesizeAll();
    expect(synthesizeAll()).toBe(first);
    expect(first).not.toMatch(/cdk8s\.io|-c8[0-9a-f]{6}/);
  });
});

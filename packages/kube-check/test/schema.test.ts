import { describe, expect, it } from 'vitest';
import { deployment, networkPolicy, restrictedPodSpec, service } from './fixtures.js';
import type { Manifest } from '../src/manifest.js';
import { validateManifests } from '../src/schema.js';

function errorsOf(...objects: Manifest[]): string[] {
  return validateManifests(objects).errors;
}

/** The first call compiles kubernetes-models' type declarations (seconds on a busy machine). */
describe('validateManifests', { timeout: 60_000 }, () => {
  it('accepts valid objects', () => {
    const report = validateManifests([deployment('web', { app: 'web' }), service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }])]);
    expect(report).toEqual({ errors: [], unknownKinds: [] });
  });

  it('fails on a schema type error (kubernetes-models)', () => {
    const spec = restrictedPodSpec();
    (spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'http';
    expect(errorsOf(deployment('web', { app: 'web' }, spec)).join('\n')).toMatch(/containerPort must be integer/);
  });

  it('fails on a missing required field', () => {
    expect(errorsOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: {} } }).join('\n')).toMatch(/selector/);
  });

  it('fails on unknown fields at any depth', () => {
    const spec = restrictedPodSpec();
    (spec.containers[0]!.securityContext as Record<string, unknown>).readOnlyRootFileSystem = true;
    (spec as unknown as Record<string, unknown>).hostnetwork = true;
    const errors = errorsOf(deployment('web', { app: 'web' }, spec));
    expect(errors).toContain('Deployment/shop/web: unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem');
    expect(errors).toContain('Deployment/shop/web: unknown field .spec.template.spec.hostnetwork');
  });

  it('does not treat map entries (labels, annotations) as unknown fields', () => {
    const object = deployment('web', { app: 'web', 'anything.example/custom': 'x' });
    expect(errorsOf({ ...object, metadata: { ...object.metadata, annotations: { 'a.b/c': 'd' } } })).toEqual([]);
  });

  it('fails when a container has no image', () => {
    const spec = restrictedPodSpec();
    delete spec.containers[0]!.image;
    expect(errorsOf(deployment('web', { app: 'web' }, spec))).toContain('Deployment/shop/web: container app has no image');
  });

  it('fails on out-of-range ports the schema accepts', () => {
    const spec = restrictedPodSpec();
    spec.containers[0]!.ports![0]!.containerPort = 70000;
    expect(errorsOf(deployment('web', { app: 'web' }, spec)).join('\n')).toMatch(/containerPort 70000 out of range/);
    expect(errorsOf(service('web', { app: 'web' }, [{ port: 0 }])).join('\n')).toMatch(/port 0 out of range/);
    const nodePort = service('web', { app: 'web' }, [{ port: 80, nodePort: 80 }]);
    (nodePort.spec as Record<string, unknown>).type = 'NodePort';
    expect(errorsOf(nodePort).join('\n')).toMatch(/nodePort 80 outside 30000-32767/);
    const policy = networkPolicy('p', { podSelector: {}, egress: [{ ports: [{ port: 9000, endPort: 8000 }] }] });
    expect(errorsOf(policy).join('\n')).toMatch(/endPort 8000/);
  });

  it('fails on invalid names', () => {
    expect(errorsOf(service('Web_Service', { app: 'web' }, [{ port: 80 }])).join('\n')).toMatch(/not a valid DNS label/);
  });

  it('lists kinds it has no schema for instead of passing them silently', () => {
    const report = validateManifests([{ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 's' } }]);
    expect(report.unknownKinds).toEqual(['policy.linkerd.io/v1beta3 Server']);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCrdSchemas, validateCustomResources } from '../src/crd-schema.js';
import type { Manifest } from '../src/manifest.js';

const schemas = loadCrdSchemas(readFileSync(new URL('../../../charts/crds/linkerd-policy-crds.yaml', import.meta.url), 'utf8'));

function server(spec: Record<string, unknown>): Manifest {
  return { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 's', namespace: 'n' }, spec };
}

describe('validateCustomResources', () => {
  it('loads every served version of the Linkerd policy CRDs', () => {
    expect([...schemas.keys()]).toEqual(expect.arrayContaining(['policy.linkerd.io/v1beta3|Server', 'policy.linkerd.io/v1alpha1|AuthorizationPolicy', 'policy.linkerd.io/v1alpha1|MeshTLSAuthentication']));
  });

  it('accepts a valid Server', () => {
    expect(validateCustomResources([server({ podSelector: { matchLabels: { app: 'a' } }, port: 'http', proxyProtocol: 'HTTP/1', accessPolicy: 'deny' })], schemas)).toEqual({ errors: [], unknownKinds: [] });
  });

  it('fails on a missing required field and an unknown field', () => {
    const errors = validateCustomResources([server({ podSelector: {}, portt: 1 })], schemas).errors.join('\n');
    expect(errors).toMatch(/missing required field port/);
    expect(errors).toMatch(/\/spec\/portt is an unknown field/);
  });

  it('fails on a value outside an enum, a pattern or a length limit', () => {
    const custom = new Map([['x/v1|Thing', { type: 'object', properties: { spec: { type: 'object', properties: {
      mode: { type: 'string', enum: ['a', 'b'] }, name: { type: 'string', pattern: '^[a-z]+$', maxLength: 3 } } } } }]]);
    const errors = validateCustomResources([{ apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 't' }, spec: { mode: 'c', name: 'ABCD' } }], custom).errors.join('\n');
    expect(errors).toMatch(/mode must be one of a, b, got c/);
    expect(errors).toMatch(/name does not match/);
    expect(errors).toMatch(/name longer than 3/);
  });

  it('fails on a wrong type', () => {
    expect(validateCustomResources([server({ port: true })], schemas).errors.join('\n')).toMatch(/port/);
  });

  it('lists kinds without a schema', () => {
    expect(validateCustomResources([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }], schemas).unknownKinds).toEqual(['v1 Pod']);
  });
});

import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  HardenedDeployment,
  HardenedIngress,
  HardenedJob,
  HardenedNamespace,
  HardenedStatefulSet,
  LockedDownPolicy,
} from '../src/index.js';
import { chartIn } from './helpers.js';

type Build = (scope: Construct) => Construct & { readonly resource: ApiObject };

const ports = [{ name: 'http', number: 80 }];
const constructs: Array<[string, Build]> = [
  ['HardenedDeployment', (scope) => new HardenedDeployment(scope, 'x', { image: 'i' })],
  ['HardenedStatefulSet', (scope) => new HardenedStatefulSet(scope, 'x', { image: 'i' })],
  ['HardenedJob', (scope) => new HardenedJob(scope, 'x', { image: 'i' })],
  ['HardenedNamespace', (scope) => new HardenedNamespace(scope, 'x')],
  ['LockedDownPolicy', (scope) => new LockedDownPolicy(scope, 'x')],
  ['WorkloadService', (scope) => new HardenedDeployment(scope, 'w', { image: 'i', ports }).exposeViaService({ name: 's', port: 80 })],
  [
    'HardenedIngress',
    (scope) => {
      const backend = new HardenedDeployment(scope, 'w', { image: 'i', ports }).exposeViaService({ name: 's', port: 80 });
      return new HardenedIngress(scope, 'x', { host: 'a.example.com', tlsSecretName: 't', backend });
    },
  ],
];

describe('escape hatch', () => {
  it.each(constructs)('ApiObject.of(%s) is its primary object, id Resource', (_name, build) => {
    const construct = build(chartIn());
    expect(ApiObject.of(construct)).toBe(construct.resource);
    expect(construct.resource.node.id).toBe('Resource');
  });
});

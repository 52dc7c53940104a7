import { describe, expect, it } from 'vitest';
import { clusterModel, manifestsOf, OUTSIDERS, PROFILES } from './natter-cluster.js';
import { checkPodSecurity, checkServiceWiring, findObject, findSecretMaterial, isPortSkipped, type Manifest, podTemplates, validateManifests } from '@natter/kube-check';

/**
 * The invariant checks, run on the REAL synthesized manifests of the first profile after one
 * deliberate mistake each: proof that the invariant tests would catch the mistakes people actually make.
 */
const PROFILE = PROFILES[0]!;

function broken(mutate: (objects: Manifest[]) => void): Manifest[] {
  const objects = structuredClone(manifestsOf(PROFILE));
  mutate(objects);
  return objects;
}

type Mutable = Record<string, any>;
const mutable = (object: Manifest): Mutable => object as Mutable;
const apiPodSpec = (objects: Manifest[]): Mutable => mutable(findObject(objects, 'Deployment', 'natter-api')).spec.template.spec;

describe('the invariant checks catch a broken chart', () => {
  it('the unbroken chart passes them all', () => {
    const objects = manifestsOf(PROFILE);
    expect(checkServiceWiring(objects)).toEqual([]);
    expect(findSecretMaterial(objects)).toEqual([]);
    for (const template of podTemplates(objects)) expect(checkPodSecurity(template, 'restricted')).toEqual([]);
  });

  it('a Service selector with a typo (the book\'s bug)', () => {
    const objects = broken((all) => { mutable(findObject(all, 'Service', 'natter-api-service')).spec.selector = { app: 'natter' }; });
    expect(checkServiceWiring(objects)).toEqual(['Service/natter-api/natter-api-service: selector {"app":"natter"} matches no pod template']);
  });

  it('a targetPort that names no container port', () => {
    const objects = broken((all) => { mutable(findObject(all, 'Service', 'natter-link-preview-service')).spec.ports[0].targetPort = 'https'; });
    expect(checkServiceWiring(objects)).toHaveLength(1);
  });

  it('the book\'s lower-case `drop: [all]`', () => {
    const objects = broken((all) => { apiPodSpec(all).containers[0].securityContext.capabilities.drop = ['all']; });
    const api = podTemplates(objects).find((template) => template.name === 'natter-api')!;
    expect(checkPodSecurity(api, 'restricted').map((violation) => violation.control)).toEqual(['Capabilities']);
  });

  it('a hostPath volume slipped into a pod', () => {
    const objects = broken((all) => { apiPodSpec(all).volumes.push({ name: 'host', hostPath: { path: '/var/run/docker.sock' } }); });
    const api = podTemplates(objects).find((template) => template.name === 'natter-api')!;
    expect(checkPodSecurity(api, 'baseline').map((violation) => violation.control)).toEqual(['HostPath Volumes']);
  });

  it('a password pasted into env instead of a mounted file', () => {
    const objects = broken((all) => { apiPodSpec(all).containers[0].env.push({ name: 'DATABASE_PASSWORD', value: 'changeme' }); });
    expect(findSecretMaterial(objects)).toEqual(['Deployment/natter-api/natter-api: container natter-api env DATABASE_PASSWORD has a literal value']);
  });

  it('a misspelt field that the API server would silently drop', () => {
    const objects = broken((all) => {
      const context = apiPodSpec(all).containers[0].securityContext;
      delete context.readOnlyRootFilesystem;
      context.readOnlyRootFileSystem = true;
    });
    expect(validateManifests(objects).errors).toContain(
      'Deployment/natter-api/natter-api: unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem',
    );
  }, 60_000);

  it('the Linkerd skip annotation removed (the default skips 4567)', () => {
    const objects = broken((all) => { delete mutable(findObject(all, 'Deployment', 'natter-api')).spec.template.metadata.annotations['config.linkerd.io/skip-inbound-ports']; });
    const api = podTemplates(objects).find((template) => template.name === 'natter-api')!;
    expect(isPortSkipped(api.annotations, 'inbound', 4567)).toBe(true);
  });

  it('an egress rule to the internet without the private-range exceptions', () => {
    const objects = broken((all) => {
      for (const peer of mutable(findObject(all, 'NetworkPolicy', 'natter-link-preview-egress-to-public-internet')).spec.egress[0].to) delete peer.ipBlock.except;
    });
    const { evaluator, pods } = clusterModel(objects, PROFILE);
    expect(evaluator.isAllowed(pods['natter-link-preview']!, OUTSIDERS.metadata, { port: 80 })).toBe(true);
  });

  it('the default-deny policy deleted', () => {
    const objects = broken((all) => { all.splice(all.findIndex((object) => object.metadata?.name === 'default-deny-all'), 1); });
    const { evaluator, pods } = clusterModel(objects, PROFILE);
    // The migration Job has no ingress rule of its own: without default-deny anyone may connect to it,
    // which the "every workload is selected for Ingress and Egress" invariant reports.
    // (With a metrics scraper configured, a rule of its own still isolates it on port 4191 only.)
    const migration = pods['natter-database-migration']!;
    expect(evaluator.policiesSelecting(migration, 'Ingress')).not.toContain('natter-api/default-deny-all');
    if (PROFILE.monitoring === undefined) {
      expect(evaluator.policiesSelecting(migration, 'Ingress')).toEqual([]);
      expect(evaluator.isAllowed(OUTSIDERS.impostor, migration, { port: 22 })).toBe(true);
    }
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCrdSchemas, type Manifest, validateCustomResources, validateManifests } from '@natter/kube-check';
import { ARGOCD_NAMESPACE, resourceKinds } from '../src/argocd.js';
import { NAMESPACE } from '../src/contract.js';
import { RELEASE_REVISION } from '../src/settings.js';
import { ARGOCD_DIRECTORY, synthesizeArgoCd } from '../src/synth.js';
import { ALL_VARIANTS, manifestsOf, PROFILES, variantName } from './natter-cluster.js';

const ARGOCD_CRDS = new Map([
  ...loadCrdSchemas(readFileSync(new URL('../crds/argocd-application-crd.yaml', import.meta.url), 'utf8')),
  ...loadCrdSchemas(readFileSync(new URL('../crds/argocd-appproject-crd.yaml', import.meta.url), 'utf8')),
]);
/** The first schema check compiles kubernetes-models' type declarations (seconds on a busy machine). */
const SCHEMA_TIMEOUT = 60_000;

interface Restriction { group: string; kind: string; name?: string }
interface ProjectSpec {
  sourceRepos: string[];
  destinations: { server: string; namespace: string }[];
  clusterResourceWhitelist: Restriction[];
  namespaceResourceWhitelist: Restriction[];
}
interface ApplicationSpec {
  project: string;
  source: { repoURL: string; targetRevision: string; path: string; directory: { recurse: boolean } };
  destination: { server: string; namespace: string };
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/**
 * What Argo CD 3.6 does before it applies an object (controller/sync.go validateSyncPermissions,
 * AppProject.IsGroupKindNamePermitted): namespaced kinds must be in the namespace whitelist and the
 * namespace among the destinations; cluster-scoped ones in the cluster whitelist (name included).
 */
function projectAdmits(spec: ProjectSpec, server: string, object: Manifest): boolean {
  const group = groupOf(object.apiVersion);
  const namespace = object.metadata?.namespace;
  if (namespace === undefined) {
    return spec.clusterResourceWhitelist.some((entry) => entry.group === group && entry.kind === object.kind && (entry.name === undefined || entry.name === object.metadata?.name));
  }
  return spec.namespaceResourceWhitelist.some((entry) => entry.group === group && entry.kind === object.kind)
    && spec.destinations.some((destination) => destination.server === server && destination.namespace === namespace);
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('Argo CD (%s)', (_, profile) => {
  const file = synthesizeArgoCd([profile])[0]!;
  const objects = file.objects as unknown as Manifest[];
  const project = objects.find((object) => object.kind === 'AppProject')!;
  const application = objects.find((object) => object.kind === 'Application')!;
  const projectSpec = project.spec as unknown as ProjectSpec;
  const applicationSpec = application.spec as unknown as ApplicationSpec;
  /** The profile's chart (dist.test.ts ties dist/ to this synthesis). */
  const chart = manifestsOf(profile);

  it('puts the Application in its own AppProject, never the default one', () => {
    expect(file.path).toBe(`${ARGOCD_DIRECTORY}/natter-${profile.name}.k8s.yaml`);
    expect(objects.map((object) => object.kind)).toEqual(['AppProject', 'Application']);
    expect(project.metadata).toMatchObject({ name: `natter-${profile.name}`, namespace: ARGOCD_NAMESPACE });
    expect(applicationSpec.project).toBe(project.metadata?.name);
    expect(applicationSpec.project).not.toBe('default');
  });

  it('admits this repository only, the repository the Application reads (one setting)', () => {
    expect(projectSpec.sourceRepos).toEqual([profile.gitOps.repoURL]);
    expect(applicationSpec.source.repoURL).toBe(profile.gitOps.repoURL);
    expect(projectSpec.sourceRepos.some((repo) => repo.includes('*'))).toBe(false);
  });

  it('admits the natter-api namespace of the configured cluster only, where the Application deploys', () => {
    expect(projectSpec.destinations).toEqual([{ server: profile.gitOps.destinationServer, namespace: NAMESPACE }]);
    expect(applicationSpec.destination).toEqual(projectSpec.destinations[0]);
  });

  it('admits one cluster-scoped object, the Namespace natter-api, and exactly the namespaced kinds of the profile\'s chart', () => {
    expect(projectSpec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace', name: NAMESPACE }]);
    const chartKinds = [...new Set(chart.filter((object) => object.metadata?.namespace !== undefined).map((object) => `${groupOf(object.apiVersion)}/${object.kind}`))].sort();
    expect(projectSpec.namespaceResourceWhitelist.map((entry) => `${entry.group}/${entry.kind}`).sort()).toEqual(chartKinds);
    for (const object of chart) expect(projectAdmits(projectSpec, applicationSpec.destination.server, object), `${object.kind} ${object.metadata?.name}`).toBe(true);
  });

  it('refuses what the chart does not emit: another kind, another namespace, another Namespace, another cluster', () => {
    const server = applicationSpec.destination.server;
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'take-over' } };
    expect(projectAdmits(projectSpec, server, role as Manifest)).toBe(false);
    expect(projectAdmits(projectSpec, server, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: NAMESPACE } } as Manifest)).toBe(chart.some((object) => object.kind === 'Secret'));
    expect(projectAdmits(projectSpec, server, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'kube-system' } } as Manifest)).toBe(false);
    expect(projectAdmits(projectSpec, server, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } } as Manifest)).toBe(false);
    expect(projectAdmits(projectSpec, 'https://other.example', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: NAMESPACE } } as Manifest)).toBe(false);
  });

  it('syncs the profile\'s revision: a release for a profile that runs released images', () => {
    expect(applicationSpec.source.targetRevision).toBe(profile.gitOps.targetRevision);
    if (profile.images.requireReleased) expect(applicationSpec.source.targetRevision).toMatch(RELEASE_REVISION);
  });

  it('validates against the vendored Argo CD CRDs (one release for both)', () => {
    expect(validateManifests(objects)).toEqual({ errors: [], unknownKinds: ['argoproj.io/v1alpha1 AppProject', 'argoproj.io/v1alpha1 Application'] });
    expect(validateCustomResources(objects, ARGOCD_CRDS)).toEqual({ errors: [], unknownKinds: [] });
  }, SCHEMA_TIMEOUT);
});

describe('Argo CD across profiles', () => {
  it('points each profile at its own directory of dist/, non-recursively', () => {
    const applications = synthesizeArgoCd(PROFILES, 'dist').map((file) => file.objects.find((object) => object.kind === 'Application') as unknown as Manifest);
    PROFILES.forEach((profile, index) => {
      const spec = applications[index]!.spec as unknown as ApplicationSpec;
      expect(applications[index]?.metadata?.name).toBe(`natter-${profile.name}`);
      expect(spec.source.path).toBe(profile.outputDirectory === '.' ? 'dist' : `dist/${profile.outputDirectory}`);
      expect(spec.source.directory.recurse).toBe(false);
    });
    expect(new Set(applications.map((app) => (app.spec as unknown as ApplicationSpec).source.path)).size).toBe(PROFILES.length);
  });

  it('derives the whitelist from the chart: a new kind is admitted by the same synthesis, a cluster-scoped one stops it', () => {
    const objects = manifestsOf(PROFILES[0]!) as unknown as Record<string, unknown>[];
    const withRole = [...objects, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: NAMESPACE } }];
    expect(resourceKinds(withRole).namespaced).toContainEqual({ group: 'rbac.authorization.k8s.io', kind: 'Role' });
    expect(resourceKinds(objects).namespaced).not.toContainEqual({ group: 'rbac.authorization.k8s.io', kind: 'Role' });
    expect(() => resourceKinds([...objects, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'natter' } }])).toThrow(
      /rbac\.authorization\.k8s\.io\/v1 ClusterRole natter is cluster-scoped: the AppProject admits only the Namespace natter-api/,
    );
    expect(() => resourceKinds([...objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } }])).toThrow(/cluster-scoped/);
  });
});

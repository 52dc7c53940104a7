/**
 * What stops a pod that copies a workload's labels: NetworkPolicies select by label, so they let
 * it through; Linkerd authorizes by mTLS identity (the pod's ServiceAccount), so only the identity
 * check refuses it — and a pod created with the workload's ServiceAccount passes both. Who may
 * create pods in the namespace is therefore the real boundary (charts/README.md).
 */
import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, clusterModel, manifestsOf, variantName } from './natter-cluster.js';
import { type Manifest, mapSelectorMatches, podTemplates } from '@natter/kube-check';

/** The ServiceAccounts Linkerd admits to the Server that selects `labels`, as namespace/name. */
function admittedIdentities(objects: readonly Manifest[], labels: Readonly<Record<string, string>>): string[] {
  const server = objects.find(
    (object) => object.kind === 'Server' && mapSelectorMatches((object.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels, labels),
  )!;
  const byName = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata?.name === name)!;
  return objects
    .filter((object) => object.kind === 'AuthorizationPolicy' && (object.spec as { targetRef: { name: string } }).targetRef.name === server.metadata?.name)
    .flatMap((policy) => (policy.spec as { requiredAuthenticationRefs: { kind: string; name: string }[] }).requiredAuthenticationRefs)
    .filter((ref) => ref.kind === 'MeshTLSAuthentication')
    .flatMap((ref) => (byName(ref.kind, ref.name).spec as { identityRefs: { name: string; namespace?: string }[] }).identityRefs)
    .map((identity) => `${identity.namespace ?? 'natter-api'}/${identity.name}`);
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('a pod that copies the API’s labels (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const { evaluator, pods } = clusterModel(objects, profile);
  const api = pods['natter-api']!;
  const database = pods['natter-database']!;
  const lookalike = { ...api, name: 'lookalike', ip: '10.244.0.99' };
  const apiAccount = podTemplates(objects).find((template) => template.name === 'natter-api')!.spec.serviceAccountName;

  it('passes the NetworkPolicies to the database: they select by label', () => {
    expect(evaluator.isAllowed(lookalike, database, { port: 5432 })).toBe(true);
  });

  it('is refused by Linkerd unless it runs as the API’s ServiceAccount, which anyone who may create pods in the namespace can choose', () => {
    // The CloudNativePG instances are not meshed: there PostgreSQL itself is the identity check
    // (TLS only, a SCRAM password per role; cloudnative-pg.test.ts), and the password is the boundary.
    if (profile.database.engine !== 'statefulset') {
      expect(objects.filter((object) => object.kind === 'Server' && object.metadata?.name === 'natter-database')).toEqual([]);
      return;
    }
    const admitted = admittedIdentities(objects, database.labels);
    expect(admitted).toContain(`natter-api/${apiAccount}`);
    expect(admitted).not.toContain('natter-api/lookalike');
    expect(admitted).not.toContain('natter-api/default');
  });
});

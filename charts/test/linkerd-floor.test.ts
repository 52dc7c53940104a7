/**
 * The Linkerd version the README demands, and its preflight check, follow the policy API versions
 * the chart emits: bump a Server to a newer API and this fails until the docs say which Linkerd
 * serves it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The first Linkerd release known to serve each policy API (FACTS: 2.14 serves v1alpha1/v1beta1, 2.15 adds v1beta2, 2.16 v1beta3). */
const SERVED_SINCE: Readonly<Record<string, number>> = {
  'policy.linkerd.io/v1alpha1': 2.14,
  'policy.linkerd.io/v1beta1': 2.14,
  'policy.linkerd.io/v1beta2': 2.15,
  'policy.linkerd.io/v1beta3': 2.16,
};

const objects = ['dist/natter.k8s.yaml', 'dist/prod/natter.k8s.yaml'].flatMap((file) =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8')).map((document) => document.toJS() as { apiVersion: string; kind: string }),
);
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('the Linkerd floor in the README', () => {
  const policyApis = [...new Set(objects.map((object) => object.apiVersion).filter((api) => api.startsWith('policy.linkerd.io/')))];

  it('is the newest Linkerd any policy API in dist/ needs', () => {
    for (const api of policyApis) expect(SERVED_SINCE[api], `which Linkerd first serves ${api}? add it above and to the README`).toBeDefined();
    const floor = Math.max(...policyApis.map((api) => SERVED_SINCE[api]!)).toFixed(2);
    expect(readme).toContain(`control plane **${floor} or later**`);
    expect(readme).toContain(`(Linkerd < ${floor})`);
  });

  it('is checked before deploying, against the API version the Servers use', () => {
    const serverApis = [...new Set(objects.filter((object) => object.kind === 'Server').map((object) => object.apiVersion))];
    expect(serverApis).toHaveLength(1);
    const version = serverApis[0]!.split('/')[1]!;
    expect(readme).toContain("kubectl get crd servers.policy.linkerd.io -o jsonpath='{.spec.versions[?(@.served==true)].name}'");
    expect(readme).toContain(`grep -qx ${version} `);
  });
});

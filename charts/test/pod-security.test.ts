import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, isMeshed, manifestsOf, variantName } from './natter-cluster.js';
import { checkPodSecurity, enforcedLevel, findObject, formatViolations, injectLinkerd, isInjected, isPortSkipped, parseLevel, podTemplates } from '@natter/kube-check';
import { SERVICE_PORT, DATABASE_PORT } from '../src/contract.js';
import { CNPG_POSTGRES_UID } from '../src/cloudnative-pg.js';

const MESHED_PORTS = [SERVICE_PORT, DATABASE_PORT];

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('pods and namespace (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const namespace = findObject(objects, 'Namespace', 'natter-api');
  const labels = namespace.metadata?.labels ?? {};
  const annotations = namespace.metadata?.annotations ?? {};
  const templates = podTemplates(objects);
  /** Pods we write; CloudNativePG's instance pods are the operator's (modeled by kube-check from the Cluster). */
  const ours = templates.filter((template) => !template.createdByOperator);

  it('has pod templates to check', () => {
    const database = profile.database.engine === 'statefulset' ? 'StatefulSet' : 'Cluster';
    expect(templates.map((template) => template.ownerKind).sort()).toEqual(['Deployment', 'Deployment', 'Job', database].sort());
  });

  it('meshes every pod but the CloudNativePG instances, which PostgreSQL\'s own TLS protects', () => {
    for (const template of templates) expect(isMeshed(objects, template), template.owner).toBe(template.ownerKind !== 'Cluster');
  });

  it('every pod template, as written, passes every restricted control', () => {
    for (const template of templates) {
      expect(formatViolations(checkPodSecurity(template, 'restricted')), template.owner).toEqual([]);
    }
  });

  it('every pod, as the Linkerd injector rewrites it, is admitted by the enforce level the namespace claims', () => {
    const enforce = enforcedLevel(labels);
    // The namespace states the mesh mode it was built for; judge the pods in exactly that mode.
    expect(annotations['natter.local/linkerd-mode']).toBe(profile.meshMode);
    for (const template of templates) {
      const pod = isInjected(template.annotations, annotations) ? injectLinkerd(template, profile.meshMode) : template;
      expect(formatViolations(checkPodSecurity(pod, enforce)), template.owner).toEqual([]);
    }
  });

  it('enforces the strictest level the mesh mode allows, and audits and warns at restricted', () => {
    expect(parseLevel(labels['pod-security.kubernetes.io/audit'] ?? '')).toBe('restricted');
    expect(parseLevel(labels['pod-security.kubernetes.io/warn'] ?? '')).toBe('restricted');
    const injected = templates.filter((template) => isInjected(template.annotations, annotations)).map((template) => injectLinkerd(template, profile.meshMode));
    if (profile.meshMode === 'linkerd-cni') {
      expect(enforcedLevel(labels)).toBe('restricted');
    } else {
      // linkerd-init (root, NET_ADMIN, NET_RAW) is rejected by baseline, so privileged is the least level that works.
      expect(enforcedLevel(labels)).toBe('privileged');
      for (const pod of injected) {
        expect(checkPodSecurity(pod, 'baseline').map((violation) => violation.control)).toContain('Capabilities');
      }
    }
  });

  it('labels the namespace for selectors and mesh injection, with a pinned PSA version', () => {
    expect(labels).toMatchObject({ name: 'natter-api', 'kubernetes.io/metadata.name': 'natter-api' });
    expect(annotations['linkerd.io/inject']).toBe('enabled');
    for (const mode of ['enforce', 'audit', 'warn']) {
      expect(labels[`pod-security.kubernetes.io/${mode}-version`]).toMatch(/^v1\.\d+$/);
    }
  });

  it('skips no meshed port in either direction (Linkerd skips 4567/4568 by default)', () => {
    for (const template of templates.filter((candidate) => isInjected(candidate.annotations, annotations))) {
      for (const port of MESHED_PORTS) {
        expect(isPortSkipped(template.annotations, 'inbound', port), `${template.owner} inbound ${port}`).toBe(false);
        expect(isPortSkipped(template.annotations, 'outbound', port), `${template.owner} outbound ${port}`).toBe(false);
      }
      for (const container of template.spec.containers) {
        for (const port of container.ports ?? []) {
          expect(isPortSkipped(template.annotations, 'inbound', port.containerPort), `${template.owner} ${port.containerPort}`).toBe(false);
        }
      }
    }
  });

  it('runs the migration Job proxy as a native sidecar, so the Job can complete', () => {
    const job = templates.find((template) => template.ownerKind === 'Job');
    expect(job?.annotations['config.alpha.linkerd.io/proxy-enable-native-sidecar']).toBe('true');
  });

  it('gives every workload its own ServiceAccount, without a mounted token unless the operator\'s instance manager needs the API', () => {
    const accounts = templates.map((template) => template.spec.serviceAccountName);
    expect(new Set(accounts).size).toBe(templates.length);
    for (const template of ours) {
      expect(template.spec.automountServiceAccountToken, template.owner).toBe(false);
      findObject(objects, 'ServiceAccount', template.spec.serviceAccountName ?? '');
    }
  });

  it('gives every long-running container readiness and liveness probes and every image an explicit version', () => {
    for (const template of templates) {
      for (const container of template.spec.containers) {
        expect(container.image, template.owner).toMatch(/(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/);
        expect(container.image, template.owner).not.toMatch(/:latest$/);
        expect(container.imagePullPolicy, template.owner).toBeDefined();
        if (template.ownerKind === 'Job') continue;
        expect(container.readinessProbe, template.owner).toBeDefined();
        expect(container.livenessProbe, template.owner).toBeDefined();
      }
      // The operator does not turn service links off; nothing of ours reads them there.
      if (!template.createdByOperator) expect(template.spec.enableServiceLinks, template.owner).toBe(false);
    }
  });

  it('sets resources, a read-only root filesystem and UID/GID >= 10001 on every container (26 where the CloudNativePG image fixes it)', () => {
    for (const template of templates) {
      // The operand image's postgres user is UID/GID 26 and initdb refuses a UID it cannot look up (charts/README.md).
      const floor = template.ownerKind === 'Cluster' ? CNPG_POSTGRES_UID : 10001;
      for (const container of template.spec.containers) {
        expect(container.securityContext?.readOnlyRootFilesystem, template.owner).toBe(true);
        expect(container.resources?.requests?.memory, template.owner).toBeDefined();
        expect(container.resources?.limits?.memory, template.owner).toBeDefined();
        expect(container.securityContext?.runAsUser ?? template.spec.securityContext?.runAsUser, template.owner).toBeGreaterThanOrEqual(floor);
        expect(container.securityContext?.runAsGroup ?? template.spec.securityContext?.runAsGroup, template.owner).toBeGreaterThanOrEqual(floor);
      }
    }
  });
});

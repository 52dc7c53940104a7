import { podTemplates, type Manifest } from '@natter/kube-check';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_NAMES } from '../src/contract.js';
import { ALL_VARIANTS, env, manifestsOf, templateNamed, variantName } from './natter-cluster.js';

// Loosely typed access to synthesized probes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Probe = Record<string, any>;

/** What a probe asks, without its timings: two probes that differ only in period ask the same thing. */
function check(probe: Probe): unknown {
  const { httpGet, exec, tcpSocket, grpc } = probe;
  return { httpGet, exec, tcpSocket, grpc };
}

function serviceSelecting(objects: readonly Manifest[], labels: Readonly<Record<string, string>>): Manifest {
  const services = objects.filter((object) => {
    const selector = (object.spec as { selector?: Record<string, string> } | undefined)?.selector;
    return object.kind === 'Service' && selector !== undefined && Object.entries(selector).every(([key, value]) => labels[key] === value);
  });
  expect(services).toHaveLength(1);
  return services[0]!;
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('liveness and readiness (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  // Jobs run to completion and have neither probe; every long-running container has both.
  const longRunning = podTemplates(objects).filter((template) => template.ownerKind !== 'Job' && template.ownerKind !== 'CronJob');

  it('gives every long-running container a liveness and a readiness probe that ask different things', () => {
    expect(longRunning.length).toBeGreaterThan(0);
    for (const template of longRunning) {
      for (const container of template.spec.containers) {
        const { livenessProbe, readinessProbe } = container as { livenessProbe?: Probe; readinessProbe?: Probe };
        expect(livenessProbe, `${template.owner} ${container.name}`).toBeDefined();
        expect(readinessProbe, `${template.owner} ${container.name}`).toBeDefined();
        expect(check(livenessProbe!), `${template.owner} ${container.name}`).not.toEqual(check(readinessProbe!));
      }
    }
  });

  it("points every HTTP liveness probe of our services at /health, which asks nothing outside the process", () => {
    // (A CloudNativePG Cluster's pods carry the operator's own probes, /healthz and /readyz.)
    const httpLiveness = longRunning.filter((template) => template.ownerKind === 'Deployment').flatMap((template) => template.spec.containers.map((container) => (container as { livenessProbe?: Probe }).livenessProbe?.httpGet)).filter((get) => get !== undefined);
    expect(httpLiveness.length).toBeGreaterThanOrEqual(2);
    for (const get of httpLiveness) expect(get.path).toBe('/health');
  });

  it("makes link-preview ready only while the cluster DNS answers for its own Service's name", () => {
    const template = templateNamed(objects, WORKLOAD_NAMES.linkPreview);
    const container = template.spec.containers[0] as { readinessProbe: Probe; livenessProbe: Probe };
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    const service = serviceSelecting(objects, template.labels);
    expect(env(template, 'READINESS_DNS_NAME')).toBe(`${service.metadata?.name}.${service.metadata?.namespace}.svc.cluster.local`);
  });

  it('restarts a StatefulSet database only when nothing answers, not while it rejects connections during recovery', () => {
    const databases = longRunning.filter((candidate) => candidate.ownerKind === 'StatefulSet');
    expect(databases.length).toBe(profile.database.engine === 'cloudnative-pg' ? 0 : 1);
    for (const template of databases) {
      const container = template.spec.containers[0] as { readinessProbe: Probe; livenessProbe: Probe };
      // Readiness: pg_isready must exit 0. Liveness: the same check on the socket, where exit 1
      // (up, rejecting connections while it recovers) still counts as alive.
      const readiness = container.readinessProbe.exec.command as string[];
      expect(readiness[0]).toBe('pg_isready');
      const socketCheck = readiness.map((argument) => (argument.startsWith('--host=') ? '--host=/var/run/postgresql' : argument)).join(' ');
      expect(container.livenessProbe.exec.command).toEqual(['sh', '-c', `${socketCheck}; [ $? -le 1 ]`]);
    }
  });
});

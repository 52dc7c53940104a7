import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { Manifest } from '../src/manifest.js';

/** A fresh pod spec that passes every restricted control; tests break one thing at a time. */
export function restrictedPodSpec(): IPodSpec {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'app',
        image: 'example/app:1.0.0',
        ports: [{ name: 'http', containerPort: 8080 }],
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  };
}

export function deployment(name: string, labels: Record<string, string>, spec: IPodSpec = restrictedPodSpec(), namespace = 'shop'): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
  };
}

export function networkPolicy(name: string, spec: Record<string, unknown>, namespace = 'shop'): Manifest {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

export function service(name: string, selector: Record<string, string>, ports: Record<string, unknown>[], namespace = 'shop'): Manifest {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector, ports } };
}

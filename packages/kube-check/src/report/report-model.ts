import type { Finding } from '../checks/finding.js';
import type { Connectivity } from '../connectivity.js';
import type { TargetVersion } from '../kube-version.js';
import type { WorkloadSummary } from '../workload-summary.js';

/** Everything one profile's report shows. */
export interface ReportModel {
  readonly name: string;
  readonly directory: string;
  readonly objectCount: number;
  readonly target: TargetVersion;
  readonly findings: readonly Finding[];
  readonly connectivity: Connectivity;
  readonly workloads: readonly WorkloadSummary[];
}

/** The workload table's columns: heading and cell text, shared by the HTML and the Markdown. */
export const WORKLOAD_COLUMNS: readonly { readonly heading: string; readonly cell: (workload: WorkloadSummary) => string }[] = [
  { heading: 'workload', cell: (workload) => `${workload.name} (${workload.kind})` },
  { heading: 'image', cell: (workload) => workload.images.map((image) => `${image.image}${!image.pinned ? ' (not pinned by digest)' : /@sha256:0{64}$/.test(image.image) ? ' (placeholder digest)' : ''}`).join('; ') },
  { heading: 'user', cell: (workload) => workload.user },
  { heading: 'capabilities', cell: (workload) => [
    ...workload.addedCapabilities.map((capability) => `adds ${capability}`),
    ...(workload.keepsCapabilities.length ? [`keeps defaults: ${workload.keepsCapabilities.join(', ')}`] : ['drop ALL']),
    ...(workload.privileged.length ? [`privileged: ${workload.privileged.join(', ')}`] : []),
    ...(workload.privilegeEscalation.length ? [`privilege escalation: ${workload.privilegeEscalation.join(', ')}`] : []),
  ].join('; ') },
  { heading: 'read-only root', cell: (workload) => (workload.writableRoot.length ? `no (${workload.writableRoot.join(', ')})` : 'yes') },
  { heading: 'seccomp / AppArmor', cell: (workload) => `${workload.seccomp} / ${workload.appArmor}` },
  { heading: 'host access', cell: (workload) => workload.hostAccess.join(', ') || 'none' },
  { heading: 'secrets mounted', cell: (workload) => workload.secrets.join('; ') || 'none' },
  { heading: 'ServiceAccount (token)', cell: (workload) => `${workload.serviceAccount} (${workload.tokenMounted ? 'token mounted' : 'no token'})` },
  { heading: 'resources', cell: (workload) => workload.resources.join('; ') },
  { heading: 'probes', cell: (workload) => workload.probes.join(', ') || 'none' },
  { heading: 'replicas / PDB', cell: (workload) => `${workload.replicas ?? 'run to completion'} / ${workload.disruptionBudget ?? 'none'}` },
  { heading: 'Pod Security', cell: (workload) => workload.podSecurity },
];

import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { NAMESPACE } from './contract.js';
import type { NatterProfile } from './profiles.js';

export const ARGOCD_NAMESPACE = 'argocd';

export interface ArgoCdApplicationsProps {
  readonly profiles: readonly NatterProfile[];
  /** Repository path of the output root (where `npm run synth` writes), e.g. `dist`. */
  readonly outputRoot: string;
}

/**
 * One Argo CD Application per profile, each pointing at that profile's directory of dist/
 * (non-recursive, so `dist` never picks up `dist/prod` or these Applications). Install the one
 * for the cluster's environment; the objects' sync-wave annotations order the sync.
 */
export class ArgoCdApplications extends Chart {
  public constructor(scope: Construct, id: string, props: ArgoCdApplicationsProps) {
    super(scope, id, { disableResourceNameHashes: true });
    for (const profile of props.profiles) {
      new ApiObject(this, profile.name, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: `natter-${profile.name}`,
          // No resources-finalizer: deleting the Application must not cascade into the database.
          namespace: ARGOCD_NAMESPACE,
        },
        spec: {
          project: 'default',
          source: {
            repoURL: profile.gitOps.repoURL,
            targetRevision: profile.gitOps.targetRevision,
            path: applicationPath(props.outputRoot, profile),
            directory: { recurse: false, include: '*.k8s.yaml' },
          },
          destination: { server: 'https://kubernetes.default.svc', namespace: NAMESPACE },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['PruneLast=true', 'ApplyOutOfSyncOnly=true'],
            retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
          },
        },
      });
    }
  }
}

export function applicationPath(outputRoot: string, profile: NatterProfile): string {
  return profile.outputDirectory === '.' ? outputRoot : `${outputRoot}/${profile.outputDirectory}`;
}

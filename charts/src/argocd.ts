import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { NAMESPACE } from './contract.js';
import type { NatterProfile } from './profiles.js';

export const ARGOCD_NAMESPACE = 'argocd';

/** An Argo CD resource restriction entry: API group (`''` for the core group) and kind. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface ArgoCdProfileProps {
  readonly profile: NatterProfile;
  /** Repository path of the output root (where `npm run synth` writes), e.g. `dist`. */
  readonly outputRoot: string;
  /** The profile's synthesized chart: the AppProject admits exactly the kinds it holds. */
  readonly chartObjects: readonly Record<string, unknown>[];
}

/**
 * What Argo CD needs to deploy one profile: a dedicated AppProject and the Application in it.
 *
 * The project is the boundary that makes write access to this repository less than cluster admin
 * (the `default` project admits every repository, destination and kind): one source repository
 * (`gitOps.repoURL`, the same setting the Application reads), one destination (the `natter-api`
 * namespace of `gitOps.destinationServer`), one cluster-scoped object (the Namespace `natter-api`;
 * the name restriction needs Argo CD >= 3.3, older versions prune the field and admit any
 * Namespace), and exactly the namespaced kinds the profile's chart emits — computed from
 * `chartObjects`, so a kind added to the chart is admitted by the same synthesis and nothing else is.
 */
export class ArgoCdProfile extends Chart {
  public readonly project: ApiObject;
  public readonly application: ApiObject;

  public constructor(scope: Construct, id: string, props: ArgoCdProfileProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { profile } = props;
    const name = `natter-${profile.name}`;
    const kinds = resourceKinds(props.chartObjects);
    const destination = { server: profile.gitOps.destinationServer, namespace: NAMESPACE };
    this.project = new ApiObject(this, 'Project', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: `Natter ${profile.name}: this repository's ${applicationPath(props.outputRoot, profile)} into namespace ${NAMESPACE}, nothing else`,
        sourceRepos: [profile.gitOps.repoURL],
        destinations: [destination],
        clusterResourceWhitelist: kinds.clusterScoped.map((kind) => ({ ...kind, name: NAMESPACE })),
        namespaceResourceWhitelist: kinds.namespaced,
      },
    });
    this.application = new ApiObject(this, 'Application', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name,
        // No resources-finalizer: deleting the Application must not cascade into the database.
        namespace: ARGOCD_NAMESPACE,
      },
      spec: {
        project: name,
        source: {
          repoURL: profile.gitOps.repoURL,
          targetRevision: profile.gitOps.targetRevision,
          path: applicationPath(props.outputRoot, profile),
          directory: { recurse: false, include: '*.k8s.yaml' },
        },
        destination,
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['PruneLast=true', 'ApplyOutOfSyncOnly=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  }
}

/**
 * The kinds among `objects`, as Argo CD restriction entries in a stable order: namespaced ones
 * (those with `metadata.namespace`) and cluster-scoped ones. Only the Namespace itself may be
 * cluster-scoped: anything else would need cluster-wide rights the project must not grant.
 */
export function resourceKinds(objects: readonly Record<string, unknown>[]): { namespaced: GroupKind[]; clusterScoped: GroupKind[] } {
  const namespaced = new Map<string, GroupKind>();
  const clusterScoped = new Map<string, GroupKind>();
  for (const object of objects) {
    const apiVersion = String(object['apiVersion']);
    const kind = String(object['kind']);
    const entry = { group: apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '', kind };
    const metadata = object['metadata'] as { namespace?: string; name?: string } | undefined;
    if (metadata?.namespace === undefined) {
      if (entry.group !== '' || kind !== 'Namespace' || metadata?.name !== NAMESPACE) {
        throw new Error(`${apiVersion} ${kind} ${metadata?.name ?? ''} is cluster-scoped: the AppProject admits only the Namespace ${NAMESPACE}; give it metadata.namespace or leave it out of the chart`);
      }
      clusterScoped.set(`${entry.group}/${kind}`, entry);
    } else {
      namespaced.set(`${entry.group}/${kind}`, entry);
    }
  }
  const ordered = (map: Map<string, GroupKind>) => [...map].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
  return { namespaced: ordered(namespaced), clusterScoped: ordered(clusterScoped) };
}

export function applicationPath(outputRoot: string, profile: NatterProfile): string {
  return profile.outputDirectory === '.' ? outputRoot : `${outputRoot}/${profile.outputDirectory}`;
}

import { ApiObject } from 'cdk8s';
import { Construct, type IConstruct } from 'constructs';
import { SettingsError } from './profiles.js';
import type { NatterSettings } from './settings.js';

/** A Secret the chart's pods mount, with the keys they read and the workloads that mount it. */
export interface MountedSecret {
  readonly secretName: string;
  readonly keys: readonly string[];
  readonly mountedBy: readonly string[];
}

interface RenderedPodTemplate {
  spec?: { template?: { spec?: { volumes?: { secret?: { secretName?: string; items?: { key: string }[] } }[] } } };
  metadata?: { name?: string };
  kind?: string;
}

/**
 * Every Secret mounted by a pod template under `scope`, read from the rendered objects — the
 * chart's own references, so the Secrets materialized for them can never drift from what the
 * pods mount. Call it once every workload is complete.
 */
export function mountedSecrets(scope: IConstruct): MountedSecret[] {
  const secrets = new Map<string, { keys: Set<string>; mountedBy: Set<string> }>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const rendered = child.toJson() as RenderedPodTemplate;
    for (const volume of rendered.spec?.template?.spec?.volumes ?? []) {
      const name = volume.secret?.secretName;
      if (name === undefined) continue;
      const entry = secrets.get(name) ?? { keys: new Set<string>(), mountedBy: new Set<string>() };
      for (const item of volume.secret?.items ?? []) entry.keys.add(item.key);
      entry.mountedBy.add(`${rendered.kind}/${rendered.metadata?.name}`);
      secrets.set(name, entry);
    }
  }
  return [...secrets]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([secretName, entry]) => ({ secretName, keys: [...entry.keys].sort(), mountedBy: [...entry.mountedBy].sort() }));
}

export type ExternalSecretsSettings = NonNullable<NatterSettings['secrets']['externalSecrets']>;

export interface MaterializedSecretsProps {
  /** The Secrets to materialize: what the pods mount ({@link mountedSecrets}). */
  readonly secrets: readonly MountedSecret[];
  readonly settings: ExternalSecretsSettings;
  /**
   * Secrets another operator issues in the cluster (CloudNativePG's CA): mounted by the pods, but
   * never materialized from the store.
   * @default - none
   */
  readonly issuedInCluster?: readonly string[];
  /**
   * Secrets that must be `kubernetes.io/basic-auth` (CloudNativePG reads role passwords from
   * `username` + `password`), by Secret name: the fixed username; the store holds the password only.
   * @default - none: every Secret is Opaque with the one key the pods read
   */
  readonly basicAuth?: Readonly<Record<string, string>>;
  /** Names the profile file in error messages, e.g. `natter.prod.yaml`. */
  readonly source: string;
}

/**
 * One External Secrets Operator `ExternalSecret` (external-secrets.io/v1) per mounted Secret: the
 * operator reads the value from the profile's store and writes the Secret the pods mount, under
 * the same name and key, and re-reads it every `refreshInterval`. The Secret is owned by its
 * ExternalSecret (`creationPolicy: Owner`) and kept when the store entry disappears
 * (`deletionPolicy: Retain`), so an outage or a mistake in the store does not take the app down.
 *
 * The profile's `remoteKeys` must name exactly the mounted Secrets: a missing one would leave a
 * pod waiting for its volume forever, an extra one would materialize a Secret nothing uses; the
 * mismatch is a settings mistake (SettingsError: `npm run synth` prints it and exits 2).
 */
export class MaterializedSecrets extends Construct {
  public readonly externalSecrets: readonly ApiObject[];

  public constructor(scope: Construct, id: string, props: MaterializedSecretsProps) {
    super(scope, id);
    const { settings } = props;
    const issuedInCluster = new Set(props.issuedInCluster ?? []);
    const secrets = props.secrets.filter((secret) => !issuedInCluster.has(secret.secretName));
    const problems: string[] = [];
    for (const secret of secrets) {
      if (settings.remoteKeys[secret.secretName] === undefined) {
        problems.push(`no remote key for Secret ${secret.secretName} (mounted by ${secret.mountedBy.join(', ')}): add it`);
      }
      if (secret.keys.length !== 1) {
        problems.push(`Secret ${secret.secretName} is mounted with ${secret.keys.length} keys (${secret.keys.join(', ')}); one remote key fills one Secret key`);
      }
    }
    const mounted = new Set(secrets.map((secret) => secret.secretName));
    for (const name of Object.keys(settings.remoteKeys).sort()) {
      if (!mounted.has(name)) problems.push(`${name} is not a Secret the pods mount (they mount ${[...mounted].join(', ')}): remove it`);
    }
    if (problems.length > 0) {
      throw new SettingsError(`${props.source}: secrets.externalSecrets.remoteKeys must name exactly the Secrets the pods mount\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    }
    this.externalSecrets = secrets.map((secret) => {
      const remote = settings.remoteKeys[secret.secretName]!;
      const secretKey = secret.keys[0]!;
      const username = props.basicAuth?.[secret.secretName];
      // The template keeps the username in git (a role name, not a secret) and the password in the store.
      const template =
        username === undefined
          ? {}
          : {
              template: {
                type: 'kubernetes.io/basic-auth',
                engineVersion: 'v2',
                // CloudNativePG applies a labelled Secret's new password at once, others only at its next resync.
                metadata: { labels: { 'cnpg.io/reload': 'true' } },
                data: { username, [secretKey]: `{{ .${secretKey} }}` },
              },
            };
      return new ApiObject(this, secret.secretName, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: secret.secretName },
        spec: {
          refreshInterval: settings.refreshInterval,
          secretStoreRef: { kind: settings.storeKind, name: settings.storeName },
          target: { name: secret.secretName, creationPolicy: 'Owner', deletionPolicy: 'Retain', ...template },
          data: [{ secretKey, remoteRef: { key: remote.key, ...(remote.property === undefined ? {} : { property: remote.property }) } }],
        },
      });
    });
  }
}

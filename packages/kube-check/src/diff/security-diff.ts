import { type Connectivity, type Flow, type FlowPort, PROXY_PORTS, computeConnectivity } from '../connectivity.js';
import { type Manifest, namespaceOf, objectId } from '../manifest.js';
import { type PodSecurityLevel, enforcedLevel } from '../pod-security.js';
import { type WorkloadSummary, summarizeWorkloads } from '../workload-summary.js';

/**
 * What a change does in security terms, between two versions of one set of manifests: flows
 * opened and closed, identities Linkerd admits, Pod Security levels, privileges, images, Secrets
 * mounted, objects added/removed/renamed. A change `widens` when it opens a flow or gives a
 * workload more privilege; the diff command exits 3 on any.
 */
export type ChangeArea = 'flows' | 'linkerd' | 'pod-security' | 'privileges' | 'images' | 'secrets' | 'rbac' | 'objects';

export interface SecurityChange {
  readonly area: ChangeArea;
  /** `+` opened/added, `-` closed/removed, `~` changed. */
  readonly sign: '+' | '-' | '~';
  readonly text: string;
  readonly widens: boolean;
}

export const AREA_TITLES: Readonly<Record<ChangeArea, string>> = {
  flows: 'flows',
  linkerd: 'Linkerd peers admitted',
  'pod-security': 'Pod Security',
  privileges: 'privileges and host access',
  images: 'images',
  secrets: 'Secrets mounted',
  rbac: 'RBAC',
  objects: 'objects',
};

const LEVEL_ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** A JSON rendering with sorted keys: equal for objects that differ only in key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, child]) => [key, sortKeys(child)]));
  }
  return value;
}

/** The object with its own name taken out, so a renamed object compares equal to the original. */
function withoutName(object: Manifest): string {
  const { metadata, ...rest } = object;
  const { name: _name, ...meta } = metadata ?? {};
  return canonical({ ...rest, metadata: meta });
}

export interface Renames {
  /** old `Kind/ns/name` → new. */
  readonly objects: ReadonlyMap<string, string>;
}

/**
 * Objects that left under one name and came back under another with the same content (a pure
 * rename), and workloads whose privileges and images are unchanged while their name changed (their
 * flows are then compared under the new name).
 */
export function detectRenames(before: readonly Manifest[], after: readonly Manifest[], beforeWorkloads: readonly WorkloadSummary[], afterWorkloads: readonly WorkloadSummary[]): Renames {
  const beforeIds = new Set(before.map(objectId));
  const afterIds = new Set(after.map(objectId));
  const removed = before.filter((object) => !afterIds.has(objectId(object)));
  const added = after.filter((object) => !beforeIds.has(objectId(object)));
  const renames = new Map<string, string>();
  const taken = new Set<string>();
  for (const old of removed) {
    const match = added.find((candidate) => !taken.has(objectId(candidate)) && candidate.kind === old.kind && namespaceOf(candidate) === namespaceOf(old) && withoutName(candidate) === withoutName(old));
    if (match) {
      renames.set(objectId(old), objectId(match));
      taken.add(objectId(match));
    }
  }
  for (const old of beforeWorkloads.filter((workload) => removed.some((object) => objectId(object) === workload.id) && !renames.has(workload.id))) {
    const candidates = afterWorkloads.filter((workload) => added.some((object) => objectId(object) === workload.id) && !taken.has(workload.id) &&
      workload.kind === old.kind && workload.namespace === old.namespace && privilegeFingerprint(workload) === privilegeFingerprint(old));
    if (candidates.length === 1) {
      renames.set(old.id, candidates[0]!.id);
      taken.add(candidates[0]!.id);
    }
  }
  return { objects: renames };
}

function privilegeFingerprint(workload: WorkloadSummary): string {
  return canonical({
    images: workload.images.map((image) => image.image), user: workload.user, added: workload.addedCapabilities.map(stripContainer), keeps: workload.keepsCapabilities.length,
    privileged: workload.privileged.length, escalation: workload.privilegeEscalation.length, writable: workload.writableRoot.length, host: workload.hostAccess,
    seccomp: workload.seccomp, appArmor: workload.appArmor, token: workload.tokenMounted, secrets: workload.secrets.map((secret) => secret.split(' → ')[0]).sort(), level: workload.podSecurity,
  });
}

function stripContainer(text: string): string {
  return text.replace(/^[^:]+: /, '');
}

function portKey(port: FlowPort): string {
  return `${port.port ?? 'any'}/${port.protocol}`;
}

/** `from → to port/proto` for every allowed port, with workload ids renamed to their new names. */
function flowEntries(connectivity: Connectivity, rename: (id: string) => string): Map<string, { flow: Flow; port: FlowPort; text: string }> {
  const entries = new Map<string, { flow: Flow; port: FlowPort; text: string }>();
  for (const flow of connectivity.flows) {
    for (const port of flow.allPorts) {
      const key = `${rename(flow.from.id)}|${rename(flow.to.id)}|${portKey(port)}`;
      entries.set(key, { flow, port, text: `${flow.from.label} → ${flow.to.label} ${portKey(port)}` });
    }
  }
  return entries;
}

/** Every identity or network a Server admits, keyed by the workload and port it guards. */
function admissions(connectivity: Connectivity, rename: (id: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const peer of connectivity.peers) {
    if (!peer.template || !peer.meshed) continue;
    for (const container of peer.template.spec.containers) {
      for (const port of container.ports ?? []) {
        for (const server of connectivity.linkerd.serversFor(peer.template, port)) {
          const admission = connectivity.linkerd.admission(server);
          const target = `${peer.label}:${port.name ?? port.containerPort}`;
          for (const identity of admission.identities) out.set(`${rename(peer.id)}|${port.containerPort}|id:${identity}`, `${target} admits mesh identity ${identity}`);
          for (const network of admission.networks) out.set(`${rename(peer.id)}|${port.containerPort}|net:${network.cidr}`, `${target} admits network ${network.cidr}`);
          if (server.accessPolicy !== 'deny') out.set(`${rename(peer.id)}|${port.containerPort}|default:${server.accessPolicy}`, `${target} admits by default (${server.accessPolicy})`);
        }
      }
    }
  }
  return out;
}

function namespaceLevels(objects: readonly Manifest[], renames: Renames): Map<string, { id: string; level: PodSecurityLevel | 'invalid' }> {
  const out = new Map<string, { id: string; level: PodSecurityLevel | 'invalid' }>();
  for (const namespace of objects.filter((object) => object.kind === 'Namespace')) {
    let level: PodSecurityLevel | 'invalid';
    try {
      level = enforcedLevel(namespace.metadata?.labels ?? {});
    } catch {
      level = 'invalid'; // `npm run check` reports the bad label; here it counts as the loosest
    }
    const id = objectId(namespace);
    out.set(renames.objects.get(id) ?? id, { id, level });
  }
  return out;
}

function looser(before: PodSecurityLevel | 'invalid', after: PodSecurityLevel | 'invalid'): boolean {
  const rank = (level: PodSecurityLevel | 'invalid'): number => (level === 'invalid' ? -1 : LEVEL_ORDER.indexOf(level));
  return rank(after) < rank(before);
}

export function securityDiff(before: readonly Manifest[], after: readonly Manifest[]): SecurityChange[] {
  const changes: SecurityChange[] = [];
  const add = (area: ChangeArea, sign: SecurityChange['sign'], text: string, widens: boolean): void => {
    changes.push({ area, sign, text, widens });
  };
  const beforeWorkloads = summarizeWorkloads(before);
  const afterWorkloads = summarizeWorkloads(after);
  const renames = detectRenames(before, after, beforeWorkloads, afterWorkloads);
  const rename = (id: string): string => renames.objects.get(id) ?? id;
  const keep = (id: string): string => id;

  // Flows
  const beforeConnectivity = computeConnectivity(before);
  const afterConnectivity = computeConnectivity(after);
  const beforeFlows = flowEntries(beforeConnectivity, rename);
  const afterFlows = flowEntries(afterConnectivity, keep);
  for (const [key, entry] of afterFlows) if (!beforeFlows.has(key)) add('flows', '+', `${entry.text} (${entry.flow.layer})`, true);
  for (const [key, entry] of beforeFlows) if (!afterFlows.has(key)) add('flows', '-', `${entry.text} (${entry.flow.layer})`, false);
  for (const [key, entry] of afterFlows) {
    if (entry.port.port !== undefined && PROXY_PORTS.has(entry.port.port)) continue;
    const old = beforeFlows.get(key);
    if (old && old.flow.layer === 'L7' && entry.flow.layer === 'L4') add('flows', '~', `${entry.text} loses Linkerd identity authorization (L7 → L4)`, true);
    if (old && old.flow.layer === 'L4' && entry.flow.layer === 'L7') add('flows', '~', `${entry.text} now authorized by mesh identity (L4 → L7)`, false);
  }

  // Linkerd
  const beforeAdmitted = admissions(beforeConnectivity, rename);
  const afterAdmitted = admissions(afterConnectivity, keep);
  for (const [key, text] of afterAdmitted) if (!beforeAdmitted.has(key)) add('linkerd', '+', text, true);
  for (const [key, text] of beforeAdmitted) if (!afterAdmitted.has(key)) add('linkerd', '-', text, false);

  // Pod Security
  const beforeLevels = namespaceLevels(before, renames);
  const afterLevels = namespaceLevels(after, { objects: new Map() });
  for (const [id, { level }] of afterLevels) {
    const old = beforeLevels.get(id);
    if (!old) add('pod-security', '+', `${id} enforces ${level}`, level !== 'restricted');
    else if (old.level !== level) add('pod-security', '~', `${id} enforce ${old.level} → ${level}`, looser(old.level, level));
  }

  // Per workload: privileges, images, secrets
  const beforeById = new Map(beforeWorkloads.map((workload) => [rename(workload.id), workload]));
  for (const workload of afterWorkloads) {
    const old = beforeById.get(workload.id);
    if (!old) {
      add('privileges', '+', `${workload.id} new workload: ${describePrivileges(workload)}`, true);
      for (const secret of workload.secrets) add('secrets', '+', `${workload.id} mounts ${secret}`, true);
      continue;
    }
    comparePrivileges(old, workload, add);
    const oldImages = new Map(old.images.map((image) => [image.container, image.image]));
    for (const image of workload.images) {
      const previous = oldImages.get(image.container);
      if (previous !== undefined && previous !== image.image) add('images', '~', `${workload.id} ${image.container}: ${previous} → ${image.image}`, false);
      if (previous === undefined) add('images', '+', `${workload.id} ${image.container}: ${image.image}`, false);
    }
    for (const secret of workload.secrets.filter((secret) => !old.secrets.includes(secret))) add('secrets', '+', `${workload.id} mounts ${secret}`, true);
    for (const secret of old.secrets.filter((secret) => !workload.secrets.includes(secret))) add('secrets', '-', `${workload.id} no longer mounts ${secret}`, false);
  }
  const afterIds = new Set(afterWorkloads.map((workload) => workload.id));
  for (const [id] of beforeById) if (!afterIds.has(id)) add('privileges', '-', `${id} workload removed`, false);

  // RBAC and objects
  const beforeObjects = new Map(before.map((object) => [rename(objectId(object)), object]));
  const afterObjects = new Map(after.map((object) => [objectId(object), object]));
  for (const [oldId, newId] of renames.objects) add('objects', '~', `renamed ${oldId} → ${newId}`, false);
  for (const [id, object] of afterObjects) {
    const old = beforeObjects.get(id);
    if (!old) add('objects', '+', id, false);
    if (RBAC_KINDS.has(object.kind) && (!old || withoutName(old) !== withoutName(object))) add('rbac', old ? '~' : '+', `${id} ${old ? 'changed' : 'added'}`, true);
  }
  for (const [id] of beforeObjects) if (!afterObjects.has(id)) add('objects', '-', id, false);
  return changes;
}

function describePrivileges(workload: WorkloadSummary): string {
  return [
    `user ${workload.user}`,
    workload.addedCapabilities.length ? `adds ${workload.addedCapabilities.join(', ')}` : 'drops ALL capabilities',
    ...(workload.hostAccess.length ? [`host ${workload.hostAccess.join(', ')}`] : []),
    ...(workload.privileged.length ? ['privileged'] : []),
    `Pod Security ${workload.podSecurity}`,
    workload.tokenMounted ? 'ServiceAccount token mounted' : 'no token',
  ].join(', ');
}

type Add = (area: ChangeArea, sign: SecurityChange['sign'], text: string, widens: boolean) => void;

function comparePrivileges(old: WorkloadSummary, now: WorkloadSummary, add: Add): void {
  const id = now.id;
  const capability = (entry: string): string => `${stripContainer(entry)} (container ${entry.split(': ')[0]})`;
  for (const entry of now.addedCapabilities.filter((candidate) => !old.addedCapabilities.includes(candidate))) add('privileges', '+', `${id} adds capability ${capability(entry)}`, true);
  for (const entry of old.addedCapabilities.filter((candidate) => !now.addedCapabilities.includes(candidate))) add('privileges', '-', `${id} no longer adds capability ${capability(entry)}`, false);
  const grown = (label: string, before: readonly string[], after: readonly string[]): void => {
    for (const item of after.filter((candidate) => !before.includes(candidate))) add('privileges', '+', `${id} ${label}: ${item}`, true);
    for (const item of before.filter((candidate) => !after.includes(candidate))) add('privileges', '-', `${id} no longer ${label}: ${item}`, false);
  };
  grown('keeps the default capabilities (no drop ALL)', old.keepsCapabilities, now.keepsCapabilities);
  grown('privileged container', old.privileged, now.privileged);
  grown('allows privilege escalation', old.privilegeEscalation, now.privilegeEscalation);
  grown('writable root filesystem', old.writableRoot, now.writableRoot);
  grown('host access', old.hostAccess, now.hostAccess);
  if (!old.runsAsRoot && now.runsAsRoot) add('privileges', '+', `${id} may run as root (${now.user})`, true);
  if (old.runsAsRoot && !now.runsAsRoot) add('privileges', '-', `${id} no longer runs as root (${now.user})`, false);
  if (old.seccomp !== now.seccomp) add('privileges', '~', `${id} seccomp ${old.seccomp} → ${now.seccomp}`, !now.seccomp.split(', ').every((profile) => profile === 'RuntimeDefault' || profile === 'Localhost'));
  if (old.appArmor !== now.appArmor) add('privileges', '~', `${id} AppArmor ${old.appArmor} → ${now.appArmor}`, /unconfined/i.test(now.appArmor));
  if (!old.tokenMounted && now.tokenMounted) add('privileges', '+', `${id} now mounts a ServiceAccount token (${now.serviceAccount})`, true);
  if (old.tokenMounted && !now.tokenMounted) add('privileges', '-', `${id} no longer mounts a ServiceAccount token`, false);
  if (old.serviceAccount !== now.serviceAccount) add('privileges', '~', `${id} ServiceAccount ${old.serviceAccount} → ${now.serviceAccount}`, false);
  if (old.podSecurity !== now.podSecurity) add('pod-security', '~', `${id} meets ${old.podSecurity} → ${now.podSecurity}`, looser(old.podSecurity, now.podSecurity));
}

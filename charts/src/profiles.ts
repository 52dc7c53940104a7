import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ResolvedImages, resolveImages } from './image-lock.js';
import { APPARMOR_MINOR, DEVELOPMENT_REVISION, kubernetesMinor, USER_NAMESPACES_MINOR, type NatterSettings, type NatterSettingsInput, settingsSchema } from './settings.js';

export { MESH_MODES, type MeshMode } from './settings.js';

/**
 * One environment: a name and its settings with every default filled in. Its source is the file
 * `natter.<name>.yaml` next to `cdk8s.yaml`; adding that file adds the profile.
 */
export interface NatterProfile extends Omit<NatterSettings, 'outputDirectory' | 'images' | 'gitOps' | 'pods'> {
  readonly name: string;
  /** The Argo CD settings with the revision filled in (main for a development profile that names none). */
  readonly gitOps: NatterSettings['gitOps'] & { readonly targetRevision: string };
  /** Pod hardening with the defaults of the profile's kubernetesVersion filled in. */
  readonly pods: { readonly appArmor: boolean; readonly userNamespaces: boolean };
  /** Every image filled in: from images.lock.json when `images.requireReleased`. */
  readonly images: ResolvedImages;
  /** Directory (relative to the output root) the profile's YAML is written to. */
  readonly outputDirectory: string;
}

/** A profile file's name: `natter.<profile>.yaml`. */
export const PROFILE_FILE = /^natter\.(.+)\.yaml$/;
const PROFILE_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

export function profileFileName(name: string): string {
  return `natter.${name}.yaml`;
}

/**
 * A setting (or a profile file) is wrong: the message names the file, each field, what was
 * received and what is accepted, so it can be printed as is, without a stack trace.
 */
export class SettingsError extends Error {
  public override readonly name = 'SettingsError';
}

/**
 * Validates settings against the model and fills in the defaults; `source` names where they
 * came from in the messages (a file name, or `profile <name>` for settings built in code).
 */
export function profileFromSettings(name: string, input: unknown, source = `profile ${name}`): NatterProfile {
  if (!PROFILE_NAME.test(name)) {
    throw new SettingsError(`${source}: the profile name '${name}' must be lower-case letters, digits and '-' (at most 32, starting with a letter)`);
  }
  const result = settingsSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${describeIssue(issue)}`);
    throw new SettingsError(`${source}: ${problems.length === 1 ? 'invalid setting' : `${problems.length} invalid settings`}\n${problems.join('\n')}`);
  }
  const { outputDirectory, images, gitOps, pods, ...settings } = result.data;
  const minor = kubernetesMinor(settings.kubernetesVersion);
  let resolved: ResolvedImages;
  try {
    resolved = resolveImages(images, source);
  } catch (error) {
    throw new SettingsError(error instanceof Error ? error.message : String(error));
  }
  return {
    name,
    outputDirectory: outputDirectory ?? name,
    images: resolved,
    gitOps: { ...gitOps, targetRevision: gitOps.targetRevision ?? DEVELOPMENT_REVISION },
    pods: { appArmor: pods.appArmor ?? minor >= APPARMOR_MINOR, userNamespaces: pods.userNamespaces ?? minor >= USER_NAMESPACES_MINOR },
    ...settings,
  };
}

/** Parses and validates the text of `natter.<name>.yaml`. */
export function parseProfile(name: string, yamlText: string, source = profileFileName(name)): NatterProfile {
  const document = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0];
    throw new SettingsError(`${source}${line ? `:${line.line}:${line.col}` : ''}: not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const input: unknown = document.toJS();
  if (input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new SettingsError(`${source}: must be a mapping of settings (such as "api:\\n  replicas: 2"), got ${Array.isArray(input) ? 'a list' : typeof input}`);
  }
  return profileFromSettings(name, input ?? {}, source);
}

/** Every `natter.<profile>.yaml` in `directory`, validated, in name order. */
export function loadProfiles(directory: string): NatterProfile[] {
  const files = readdirSync(directory).filter((entry) => PROFILE_FILE.test(entry)).sort();
  if (files.length === 0) {
    throw new SettingsError(`${directory}: no profile file (natter.<profile>.yaml) found; add one such as natter.dev.yaml`);
  }
  const profiles = files.map((file) => parseProfile(PROFILE_FILE.exec(file)![1]!, readFileSync(join(directory, file), 'utf8'), file));
  assertDistinctOutputs(profiles);
  return profiles;
}

/** Re-validates a profile built or changed in code (the chart does this before synthesizing). */
export function validateProfile(profile: NatterProfile): void {
  const { name, outputDirectory, ...settings } = profile;
  profileFromSettings(name, { ...settings, outputDirectory } satisfies NatterSettingsInput);
}

/** Two profiles writing into one directory would overwrite each other. */
export function assertDistinctOutputs(profiles: readonly NatterProfile[]): void {
  const owners = new Map<string, string>();
  for (const profile of profiles) {
    const other = owners.get(profile.outputDirectory);
    if (other !== undefined) {
      throw new SettingsError(`${profileFileName(profile.name)}: outputDirectory '${profile.outputDirectory}' is already used by ${profileFileName(other)}; give each profile its own`);
    }
    owners.set(profile.outputDirectory, profile.name);
  }
}

/** The profiles to synthesize: all of them, or the one named (`NATTER_PROFILE`, `--profile`). */
export function selectProfiles(profiles: readonly NatterProfile[], requested: string | undefined): NatterProfile[] {
  if (requested === undefined) return [...profiles];
  const profile = profiles.find((candidate) => candidate.name === requested);
  if (!profile) {
    throw new SettingsError(`no profile '${requested}': the profiles are ${profiles.map((candidate) => candidate.name).join(', ')} (one natter.<profile>.yaml each)`);
  }
  return [profile];
}

/** `api.replicas: must be an integer >= 1, got 0` — the field, the rule, the value received. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
  // A missing value has nothing to show ("is required", "must be set").
  const received = 'input' in issue && issue.input !== undefined ? `, got ${formatValue(issue.input)}` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${field ? `${field}.` : ''}${key}: unknown setting (check the spelling against charts/src/settings.ts)`).join('\n  ');
    case 'invalid_type':
      return issue.input === undefined ? `${field}: is required (${issue.expected})` : `${field}: must be ${article(issue.expected)}${received}`;
    case 'invalid_value':
      return `${field}: must be one of ${issue.values.map((value) => String(value)).join(', ')}${received}`;
    case 'too_small':
      return `${field}: must ${issue.origin === 'array' ? `list at least ${String(issue.minimum)}` : `be >= ${String(issue.minimum)}`}${received}`;
    case 'too_big':
      return `${field}: must ${issue.origin === 'array' ? `list at most ${String(issue.maximum)}` : `be <= ${String(issue.maximum)}`}${received}`;
    default:
      return `${field}: ${issue.message}${received}`;
  }
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

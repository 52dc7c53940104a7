import { App, Yaml } from 'cdk8s';
import { ArgoCdApplications } from './argocd.js';
import { NatterChart } from './natter-chart.js';
import type { NatterProfile } from './profiles.js';

/** The file name of the Natter chart inside each profile's directory. */
export const CHART_FILE = 'natter.k8s.yaml';
export const ARGOCD_DIRECTORY = 'argocd';

/** A synthesized file: path relative to the output root (POSIX separators) and its YAML. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly objects: readonly Record<string, unknown>[];
}

/** Synthesizes one profile's chart in memory (pure: no files, no environment). */
export function synthesizeProfile(profile: NatterProfile): RenderedFile {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new NatterChart(app, `natter-${profile.name}`, { profile });
  return rendered(profile.outputDirectory === '.' ? CHART_FILE : `${profile.outputDirectory}/${CHART_FILE}`, chart.toJson());
}

export function synthesizeArgoCd(profiles: readonly NatterProfile[], outputRoot: string): RenderedFile[] {
  const app = new App({ outdir: '/nonexistent' });
  return profiles.map((profile) => {
    const chart = new ArgoCdApplications(app, `argocd-${profile.name}`, { profiles: [profile], outputRoot });
    return rendered(`${ARGOCD_DIRECTORY}/natter-${profile.name}.k8s.yaml`, chart.toJson());
  });
}

/** Everything `npm run synth` writes, in a stable order. */
export function synthesizeAll(profiles: readonly NatterProfile[], outputRoot = 'dist'): RenderedFile[] {
  return [...profiles.map(synthesizeProfile), ...synthesizeArgoCd(profiles, outputRoot)];
}

function rendered(path: string, objects: Record<string, unknown>[]): RenderedFile {
  return { path, content: Yaml.stringify(...objects), objects };
}

/** `path: N objects (Kind×n, …)` lines for the human summary. */
export function summarize(files: readonly RenderedFile[]): string[] {
  return files.map((file) => {
    const counts = new Map<string, number>();
    for (const object of file.objects) counts.set(String(object.kind), (counts.get(String(object.kind)) ?? 0) + 1);
    const kinds = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => `${kind}×${count}`);
    return `${file.path}: ${file.objects.length} objects (${kinds.join(', ')})`;
  });
}

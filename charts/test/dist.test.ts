import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../src/profiles.js';
import { ARGOCD_DIRECTORY, CHART_FILE, synthesizeAll, synthesizeProfile } from '../src/synth.js';
import { REPOSITORY_ROOT } from './natter-cluster.js';
import { parseManifests } from './toolkit/manifest.js';
import { findLiterals, findSecretMaterial } from './toolkit/secrets.js';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

function yamlFilesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return entry.endsWith('.yaml') ? [relative(DIST, path).split('\\').join('/')] : [];
  });
}

/** The repository's own profiles: dist/ is synthesized from exactly these. */
const PROFILES = loadProfiles(REPOSITORY_ROOT);

describe('dist/', () => {
  const fresh = synthesizeAll(PROFILES);

  it('equals a fresh synthesis, file for file (run `npm run synth` and commit)', () => {
    expect(existsSync(DIST)).toBe(true);
    expect(yamlFilesUnder(DIST).sort(), 'run `npm run synth` and commit dist/').toEqual(fresh.map((file) => file.path).sort());
    for (const file of fresh) {
      expect(readFileSync(join(DIST, file.path), 'utf8'), `${file.path} is stale: run \`npm run synth\` and commit dist/`).toBe(file.content);
    }
  });

  it('holds one chart per profile in its outputDirectory and one Argo CD Application per profile', () => {
    const chartPath = (directory: string) => (directory === '.' ? CHART_FILE : `${directory}/${CHART_FILE}`);
    expect(fresh.map((file) => file.path)).toEqual([
      ...PROFILES.map((profile) => chartPath(profile.outputDirectory)),
      ...PROFILES.map((profile) => `${ARGOCD_DIRECTORY}/natter-${profile.name}.k8s.yaml`),
    ]);
  });

  it('holds no Secret object, no secret material and no known test password in any file on disk', () => {
    for (const path of yamlFilesUnder(DIST)) {
      const text = readFileSync(join(DIST, path), 'utf8');
      const objects = parseManifests(text);
      expect(objects.filter((object) => object.kind === 'Secret'), path).toEqual([]);
      expect(findSecretMaterial(objects), path).toEqual([]);
      expect(findLiterals(text, ['natter-ci', 'hunter2', 'BEGIN PRIVATE KEY', 'stringData']), path).toEqual([]);
    }
  });

  it('parses back to the objects that were synthesized', () => {
    for (const file of fresh) expect(parseManifests(file.content)).toEqual(JSON.parse(JSON.stringify(file.objects)));
  });
});

// No snapshot: dist/ itself is the reviewed expectation (the drift check above), and the
// invariant suites say what must hold of it.
describe('synthesis', () => {
  it('is deterministic: two runs give byte-identical YAML', () => {
    for (const profile of PROFILES) {
      expect(synthesizeProfile(profile).content).toBe(synthesizeProfile(profile).content);
    }
  });
});

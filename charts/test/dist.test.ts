import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROFILES, selectProfiles } from '../src/profiles.js';
import { synthesizeAll, synthesizeProfile } from '../src/synth.js';
import { findLiterals, findSecretMaterial, parseManifests } from '@natter/kube-check';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

function yamlFilesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return entry.endsWith('.yaml') ? [relative(DIST, path).split('\\').join('/')] : [];
  });
}

describe('dist/', () => {
  const fresh = synthesizeAll(selectProfiles({}));

  it('equals a fresh synthesis, file for file (run `npm run synth` and commit)', () => {
    expect(existsSync(DIST)).toBe(true);
    expect(yamlFilesUnder(DIST).sort()).toEqual(fresh.map((file) => file.path).sort());
    for (const file of fresh) {
      expect(readFileSync(join(DIST, file.path), 'utf8'), file.path).toBe(file.content);
    }
  });

  it('puts dev at the top (what `kubectl apply -f dist/` deploys) and prod and Argo CD below', () => {
    expect(fresh.map((file) => file.path)).toEqual(['natter.k8s.yaml', 'prod/natter.k8s.yaml', 'argocd/natter-dev.k8s.yaml', 'argocd/natter-prod.k8s.yaml']);
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

describe('synthesis', () => {
  it('is deterministic: two runs give byte-identical YAML', () => {
    for (const profile of Object.values(PROFILES)) {
      expect(synthesizeProfile(profile).content).toBe(synthesizeProfile(profile).content);
    }
  });

  it('matches the reviewed snapshot per profile', () => {
    for (const profile of Object.values(PROFILES)) {
      expect(synthesizeProfile(profile).content).toMatchSnapshot(profile.name);
    }
  });
});

describe('selectProfiles', () => {
  it('selects all profiles by default, one by NATTER_PROFILE, and overrides the mesh mode', () => {
    expect(selectProfiles({}).map((profile) => profile.name)).toEqual(['dev', 'prod']);
    expect(selectProfiles({ NATTER_PROFILE: 'prod' }).map((profile) => profile.name)).toEqual(['prod']);
    expect(selectProfiles({ NATTER_MESH_MODE: 'linkerd-init' }).map((profile) => profile.meshMode)).toEqual(['linkerd-init', 'linkerd-init']);
  });

  it('fails with a message naming the variable for unknown values', () => {
    expect(() => selectProfiles({ NATTER_PROFILE: 'staging' })).toThrow(/NATTER_PROFILE must be one of dev, prod, got 'staging'/);
    expect(() => selectProfiles({ NATTER_MESH_MODE: 'istio' })).toThrow(/NATTER_MESH_MODE must be one of/);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  IMAGE_LOCK_FILE,
  lockedImages,
  parseImageLock,
  readImageLock,
  MIRRORED_POSTGRES_IMAGE,
  resolveImages,
  serializeImageLock,
  splitReference,
  type ImageLock,
} from '../src/image-lock.js';
import { NatterChart } from '../src/natter-chart.js';
import { type NatterProfile, profileFromSettings, SettingsError } from '../src/profiles.js';
import { DATABASE_IMAGE_FIELD, IMAGE_FIELDS, type NatterSettings } from '../src/settings.js';
import { PROFILES } from './natter-cluster.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const LOCK: ImageLock = {
  'natter-api': `registry.example.com/natter/natter-api@${DIGEST_A}`,
  'natter-link-preview': `registry.example.com/natter/natter-link-preview@${DIGEST_A}`,
  postgres: `registry.example.com:5000/mirror/postgres@${DIGEST_B}`,
  'cloudnative-pg-postgresql': `registry.example.com:5000/mirror/cloudnative-pg-postgresql@${DIGEST_B}`,
};
/** Image settings of a profile that runs only released builds and names none itself. */
const RELEASED: NatterSettings['images'] = { pullPolicy: 'IfNotPresent', requireDigest: true, requireReleased: true };
const text = (entries: Record<string, unknown>) => JSON.stringify(entries);

function synth(profile: NatterProfile): void {
  new NatterChart(new App({ outdir: '/nonexistent' }), 'natter', { profile });
}

/** Every container image in a synthesized YAML file. */
function imagesIn(path: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'image' && typeof child === 'string') found.push(child);
        else walk(child);
      }
    }
  };
  for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) walk(document.toJS());
  return found;
}

describe('parseImageLock', () => {
  it('accepts one digest-pinned reference per image, with any registry host and port', () => {
    expect(parseImageLock(text(LOCK))).toEqual(LOCK);
    expect(splitReference(LOCK.postgres)).toEqual({ repository: 'registry.example.com:5000/mirror/postgres', digest: DIGEST_B });
  });

  it('fails when the file is not a JSON object', () => {
    expect(() => parseImageLock('{', 'lock.json')).toThrow(/^lock\.json: not valid JSON/);
    expect(() => parseImageLock('[]', 'lock.json')).toThrow('lock.json: must be a JSON object mapping natter-api, natter-link-preview, postgres, cloudnative-pg-postgresql');
  });

  it('fails when an image is missing or unknown', () => {
    const { postgres: _postgres, ...withoutPostgres } = LOCK;
    expect(() => parseImageLock(text(withoutPostgres))).toThrow("images.lock.json: no entry for 'postgres'; `npm run images` writes it");
    expect(() => parseImageLock(text({ ...LOCK, 'natter-apu': LOCK['natter-api'] }))).toThrow(
      "images.lock.json: unknown image 'natter-apu' (the lock holds natter-api, natter-link-preview, postgres, cloudnative-pg-postgresql)",
    );
  });

  it.each([
    ['a tag instead of a digest', 'registry.example.com/natter-api:1.2.3'],
    ['a tag next to the digest', `registry.example.com/natter-api:1.2.3@${DIGEST_A}`],
    ['no registry (Docker Hub by short name)', `natter-api@${DIGEST_A}`],
    ['an upper-case repository', `registry.example.com/Natter-API@${DIGEST_A}`],
    ['a short digest', 'registry.example.com/natter-api@sha256:abc'],
    ['another algorithm', `registry.example.com/natter-api@sha512:${'a'.repeat(128)}`],
    ['not a string', 42],
  ])('fails on %s', (_case, value) => {
    expect(() => parseImageLock(text({ ...LOCK, 'natter-api': value }))).toThrow(
      `images.lock.json: 'natter-api' must be <registry>/<repository>@sha256:<64 hex> (pinned by digest, no tag), got ${JSON.stringify(value)}`,
    );
  });

  it('round-trips through the format `npm run images` writes, which is the file in the repository', () => {
    expect(parseImageLock(serializeImageLock(LOCK))).toEqual(LOCK);
    expect(serializeImageLock(readImageLock())).toBe(readFileSync(IMAGE_LOCK_FILE, 'utf8'));
  });
});

describe('profiles and the lock', () => {
  const released = PROFILES.filter((profile) => profile.images.requireReleased);
  const ownImages = PROFILES.filter((profile) => !profile.images.requireReleased);

  it('has a profile that runs only released images (prod) and one that builds its own (dev)', () => {
    expect(released.map((profile) => profile.name)).toContain('prod');
    expect(ownImages.map((profile) => profile.name)).toContain('dev');
  });

  it.each(released.map((profile) => [profile.name, profile] as const))('takes every image of %s from images.lock.json and deploys exactly those its database engine runs', (_, profile) => {
    const locked = lockedImages(readImageLock());
    expect({ natterApi: profile.images.natterApi, linkPreview: profile.images.linkPreview, postgres: profile.images.postgres, cloudNativePgPostgres: profile.images.cloudNativePgPostgres }).toEqual(locked);
    const file = fileURLToPath(new URL(`../../dist/${profile.outputDirectory}/natter.k8s.yaml`, import.meta.url));
    const running = [locked.natterApi, locked.linkPreview, locked[DATABASE_IMAGE_FIELD[profile.database.engine]]];
    expect(new Set(imagesIn(file))).toEqual(new Set(running));
  });

  it.each([
    ['another digest of the same repository', (locked: string) => `${splitReference(locked).repository}@${DIGEST_B}`],
    ['the same digest from another registry', (locked: string) => `registry.attacker.example/natter-api@${splitReference(locked).digest}`],
  ])('fails when a released profile names an image that is %s', (_case, replace) => {
    const image = replace(LOCK['natter-api']);
    expect(() => resolveImages({ ...RELEASED, natterApi: image }, 'natter.prod.yaml', () => LOCK)).toThrow(
      `natter.prod.yaml: images.natterApi '${image}' is not in images.lock.json (natter-api is '${LOCK['natter-api']}'); ` +
        'this profile runs only released images (images.requireReleased): release with `npm run images` instead of editing the profile',
    );
  });

  it('checks every image field against its own entry, and fills in the ones the profile leaves out', () => {
    expect(resolveImages(RELEASED, 'p', () => LOCK)).toMatchObject(lockedImages(LOCK));
    expect(() => resolveImages({ ...RELEASED, ...lockedImages(LOCK) }, 'p', () => LOCK)).not.toThrow();
    for (const field of IMAGE_FIELDS) {
      const swapped = { ...RELEASED, [field]: field === 'postgres' ? LOCK['natter-api'] : LOCK.postgres };
      expect(() => resolveImages(swapped, 'p', () => LOCK), field).toThrow(`images.${field}`);
    }
  });

  it('refuses a released profile whose file names an image that is not locked, naming the file', () => {
    const prod = released.find((profile) => profile.name === 'prod')!;
    const image = `${splitReference(prod.images.natterApi).repository}@${DIGEST_B}`;
    const settings = { images: { natterApi: image }, gitOps: { targetRevision: prod.gitOps.targetRevision }, database: { cloudNativePg: { kubernetesApiServer: { cidrs: ['192.0.2.10/32'] }, backup: { destinationPath: 's3://backups/prod' } } } };
    expect(() => profileFromSettings('prod', settings, 'natter.prod.yaml')).toThrow(SettingsError);
    expect(() => profileFromSettings('prod', settings, 'natter.prod.yaml')).toThrow(/^natter\.prod\.yaml: images\.natterApi/);
  });

  it('does not read the lock for profiles that name their own images (dev), and those use the PostgreSQL the release mirrors', () => {
    for (const profile of ownImages) {
      expect(() => resolveImages(profile.images, profile.name, () => { throw new Error('lock read'); })).not.toThrow();
      expect(profile.images.postgres, profile.name).toBe(MIRRORED_POSTGRES_IMAGE);
      expect(() => synth(profile)).not.toThrow();
    }
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  IMAGE_LOCK_FILE,
  LOCKED_IMAGE_NAMES,
  lockedImages,
  parseImageLock,
  readImageLock,
  requireLockedImages,
  serializeImageLock,
  splitReference,
  type ImageLock,
} from '../src/image-lock.js';
import { NatterChart } from '../src/natter-chart.js';
import { DEV, type NatterProfile, PROD } from '../src/profiles.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const LOCK: ImageLock = {
  'natter-api': `registry.example.com/natter/natter-api@${DIGEST_A}`,
  'natter-link-preview': `registry.example.com/natter/natter-link-preview@${DIGEST_A}`,
  postgres: `registry.example.com:5000/mirror/postgres@${DIGEST_B}`,
};
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
    expect(() => parseImageLock('[]', 'lock.json')).toThrow('lock.json: must be a JSON object mapping natter-api, natter-link-preview, postgres');
  });

  it('fails when an image is missing or unknown', () => {
    const { postgres: _postgres, ...withoutPostgres } = LOCK;
    expect(() => parseImageLock(text(withoutPostgres))).toThrow("images.lock.json: no entry for 'postgres'; `npm run images` writes it");
    expect(() => parseImageLock(text({ ...LOCK, 'natter-apu': LOCK['natter-api'] }))).toThrow(
      "images.lock.json: unknown image 'natter-apu' (the lock holds natter-api, natter-link-preview, postgres)",
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

describe('the prod profile and the lock', () => {
  it('takes every prod image from images.lock.json', () => {
    const lock = readImageLock();
    expect(PROD.images).toEqual(lockedImages(lock));
    expect(Object.keys(PROD.images).sort()).toEqual(Object.keys(LOCKED_IMAGE_NAMES).sort());
  });

  it('deploys exactly the locked images (dist/prod)', () => {
    const images = new Set(imagesIn(fileURLToPath(new URL('../../dist/prod/natter.k8s.yaml', import.meta.url))));
    expect(images).toEqual(new Set(Object.values(readImageLock())));
  });

  it.each([
    ['another digest of the same repository', (locked: string) => `${splitReference(locked).repository}@${DIGEST_B}`],
    ['the same digest from another registry', (locked: string) => `registry.attacker.example/natter-api@${splitReference(locked).digest}`],
  ])('fails when a prod image is %s', (_case, replace) => {
    const image = replace(PROD.images.natterApi);
    expect(() => synth({ ...PROD, images: { ...PROD.images, natterApi: image } })).toThrow(
      `profile prod: images.natterApi '${image}' is not in images.lock.json (natter-api is '${PROD.images.natterApi}'); ` +
        'prod runs only released images: release with `npm run images` instead of editing the profile',
    );
  });

  it('checks every image field of a digest-pinned profile against its own entry', () => {
    const profile = { ...PROD, images: lockedImages(LOCK) };
    expect(() => requireLockedImages(profile, LOCK)).not.toThrow();
    for (const field of Object.keys(LOCKED_IMAGE_NAMES) as (keyof NatterProfile['images'])[]) {
      const swapped = { ...profile, images: { ...profile.images, [field]: field === 'postgres' ? LOCK['natter-api'] : LOCK.postgres } };
      expect(() => requireLockedImages(swapped, LOCK), field).toThrow(`images.${field}`);
    }
  });

  it('leaves profiles that build their images locally (dev) alone', () => {
    expect(DEV.requireDigestPinnedImages).toBe(false);
    expect(() => requireLockedImages(DEV, LOCK)).not.toThrow();
    expect(() => synth(DEV)).not.toThrow();
  });
});

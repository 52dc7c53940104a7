/**
 * The release lock of the prod images. `images.lock.json` at the repository root maps each image
 * name to `<registry>/<repository>@sha256:<digest>`: where the image lives and exactly which build
 * it is. `npm run images` (scripts/images.ts) writes it after pushing; the prod profile takes its
 * images from it, and the chart refuses a profile that requires digest-pinned images when any of
 * its images is not the locked one — a digest that is not in the lock is not one of our releases.
 *
 * Until the first release the entries carry the all-zero digest, which no registry serves: a prod
 * deploy of an unreleased tree fails closed (ErrImagePull) instead of running something unknown.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IMAGE_FIELDS, type ImageField, type NatterSettings } from './settings.js';

export const IMAGE_LOCK_FILE = fileURLToPath(new URL('../../images.lock.json', import.meta.url));

/** Each image field of a profile and the image's name in the lock (and in the registry). */
export const LOCKED_IMAGE_NAMES = {
  natterApi: 'natter-api',
  linkPreview: 'natter-link-preview',
  postgres: 'postgres',
  cloudNativePgPostgres: 'cloudnative-pg-postgresql',
} as const satisfies Record<ImageField, string>;

export type LockedImageName = (typeof LOCKED_IMAGE_NAMES)[ImageField];
export type ImageLock = Readonly<Record<LockedImageName, string>>;

const NAMES = Object.values(LOCKED_IMAGE_NAMES) as readonly LockedImageName[];

/**
 * The public PostgreSQL image `npm run images` mirrors into the registry as the locked `postgres`
 * (official image, Debian variant: its entrypoint handles a non-root UID). Profiles that name
 * their own images use this tag, so every environment runs the same PostgreSQL.
 */
export const MIRRORED_POSTGRES_IMAGE = 'postgres:16.10-bookworm';

/**
 * The CloudNativePG operand image `npm run images` mirrors as the locked `cloudnative-pg-postgresql`:
 * the same PostgreSQL 16.10 on Debian bookworm as the dev image, in the community build the
 * operator's instance manager runs on (`standard`: PostgreSQL, locales and the common extensions;
 * no Barman Cloud tools, which the Barman Cloud plugin's own sidecar brings). Its major version is
 * the default of `database.cloudNativePg.postgresMajorVersion`, which the chart checks against it.
 */
export const MIRRORED_CLOUDNATIVE_PG_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:16.10-standard-bookworm';

/** The digest of an image that has never been released (no registry serves it). */
export const UNRELEASED_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * `<registry>/<path>` as the distribution spec spells it: the registry is a host name with a dot
 * (or `localhost`), optionally a port — never implied, so nothing is pulled from Docker Hub by a
 * short name — then lower-case path components; no tag.
 */
const REGISTRY = String.raw`(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?::[0-9]+)?`;
const PATH_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REPOSITORY = new RegExp(`^${REGISTRY}(?:/${PATH_COMPONENT})+$`);
const LOCKED_REFERENCE = new RegExp(`^(${REGISTRY}(?:/${PATH_COMPONENT})+)@(sha256:[0-9a-f]{64})$`);

/** True for `<registry>/<path>` (no tag, no digest): where `npm run images` may push. */
export function isRepository(value: string): boolean {
  return REPOSITORY.test(value);
}

/** Splits a locked reference into its repository and digest. */
export function splitReference(reference: string): { repository: string; digest: string } {
  const match = LOCKED_REFERENCE.exec(reference);
  if (match === null) throw new Error(`'${reference}' is not <registry>/<repository>@sha256:<64 hex>`);
  return { repository: match[1]!, digest: match[2]! };
}

/** Parses and validates the lock; every error names the file, the entry and the fix. */
export function parseImageLock(text: string, source = 'images.lock.json'): ImageLock {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source}: must be a JSON object mapping ${NAMES.join(', ')} to <registry>/<repository>@sha256:<64 hex>`);
  }
  const entries = parsed as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!(NAMES as readonly string[]).includes(key)) throw new Error(`${source}: unknown image '${key}' (the lock holds ${NAMES.join(', ')})`);
  }
  const lock: Partial<Record<LockedImageName, string>> = {};
  for (const name of NAMES) {
    const value = entries[name];
    if (value === undefined) throw new Error(`${source}: no entry for '${name}'; \`npm run images\` writes it`);
    if (typeof value !== 'string' || !LOCKED_REFERENCE.test(value)) {
      throw new Error(`${source}: '${name}' must be <registry>/<repository>@sha256:<64 hex> (pinned by digest, no tag), got ${JSON.stringify(value)}`);
    }
    lock[name] = value;
  }
  return lock as ImageLock;
}

/** The lock as `npm run images` writes it: one entry per line in a fixed order, so a release diff is one line per image. */
export function serializeImageLock(lock: ImageLock): string {
  return `${JSON.stringify(Object.fromEntries(NAMES.map((name) => [name, lock[name]])), null, 2)}\n`;
}

export function readImageLock(path: string = IMAGE_LOCK_FILE): ImageLock {
  return parseImageLock(readFileSync(path, 'utf8'), path);
}

/** A profile's images as the lock has them. */
export function lockedImages(lock: ImageLock = readImageLock()): Record<ImageField, string> {
  return Object.fromEntries(IMAGE_FIELDS.map((field) => [field, lock[LOCKED_IMAGE_NAMES[field]]])) as Record<ImageField, string>;
}

/**
 * A profile's image settings with every image it runs filled in. Of the two PostgreSQL images only
 * the one its database engine runs is required (`databaseImage` in construct-props.ts reads it).
 */
export type ResolvedImages = NatterSettings['images'] & Record<'natterApi' | 'linkPreview', string>;

/**
 * The images a profile runs. With `requireReleased` (the default) each is its entry in the lock,
 * and an image the profile names must be exactly that entry — a digest that is not in the lock
 * is not one of our releases. Otherwise the profile names each image itself (the settings model
 * requires them then). Throws a message naming `source`, the field, the image and the locked one.
 */
export function resolveImages(images: NatterSettings['images'], source: string, readLock: () => ImageLock = readImageLock): ResolvedImages {
  if (!images.requireReleased) return images as ResolvedImages;
  const locked = lockedImages(readLock());
  for (const field of IMAGE_FIELDS) {
    const named = images[field];
    if (named !== undefined && named !== locked[field]) {
      throw new Error(
        `${source}: images.${field} '${named}' is not in images.lock.json (${LOCKED_IMAGE_NAMES[field]} is '${locked[field]}'); ` +
          'this profile runs only released images (images.requireReleased): release with `npm run images` instead of editing the profile',
      );
    }
  }
  return { ...images, ...locked };
}

import { readHeadMetadata } from './head-metadata.js';
import type { LinkPreview } from './types.js';

/** Field caps, in characters: enough for any real preview card, small enough to store and render. */
export const MAX_TITLE_LENGTH = 300;
export const MAX_DESCRIPTION_LENGTH = 1000;
export const MAX_IMAGE_URL_LENGTH = 2048;

const TITLE_KEYS = ['og:title'];
const DESCRIPTION_KEYS = ['og:description', 'description'];
const IMAGE_KEYS = ['og:image', 'og:image:url', 'og:image:secure_url', 'twitter:image', 'twitter:image:src'];

/** Collapses whitespace and cuts at `max` characters (code points, so no surrogate pair is split). */
function clean(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = value.replace(/\s+/g, ' ').trim();
  if (text === '') return undefined;
  // A string never has more code points than UTF-16 units: only a long one needs counting.
  if (text.length <= max) return text;
  const codePoints = Array.from(text);
  return codePoints.length <= max ? text : `${codePoints.slice(0, max - 1).join('').trimEnd()}…`;
}

function firstOf(metadata: ReadonlyMap<string, string>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = metadata.get(key);
    if (value !== undefined && value.trim() !== '') return value;
  }
  return undefined;
}

/** An absolute http(s) URL for `raw` resolved against the page, or `undefined` when there is none. */
function imageUrl(raw: string | undefined, baseUrl: string): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim(), baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.href.length <= MAX_IMAGE_URL_LENGTH ? url.href : undefined;
}

/**
 * The preview of an HTML document (usually just its head) fetched from `baseUrl`: Open Graph
 * first, then the plain HTML equivalents. Entities are decoded, whitespace collapsed, each field
 * capped; without any title the host name stands in, so a card always has a heading.
 */
export function extractPreview(html: string, baseUrl: string): LinkPreview {
  const { meta: metadata, title: titleText } = readHeadMetadata(html);
  const title =
    clean(firstOf(metadata, TITLE_KEYS), MAX_TITLE_LENGTH) ??
    clean(titleText, MAX_TITLE_LENGTH) ??
    new URL(baseUrl).hostname;
  const description = clean(firstOf(metadata, DESCRIPTION_KEYS), MAX_DESCRIPTION_LENGTH);
  const image = imageUrl(firstOf(metadata, IMAGE_KEYS), baseUrl);
  return {
    url: baseUrl,
    title,
    ...(description === undefined ? {} : { description }),
    ...(image === undefined ? {} : { image }),
  };
}

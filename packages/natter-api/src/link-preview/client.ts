import type { Logger } from 'pino';
import type { Clock } from '../context.js';
import { extractLinks } from './links.js';
import { TtlCache } from './ttl-cache.js';

/** A preview as the link-preview service returns it (`{url, title, description, image}`). */
export type Preview = Readonly<Record<string, unknown>>;

export interface LinkPreviewClient {
  /** Previews for the first links of `text` that answered within the budget, in link order. */
  previewsFor(text: string): Promise<Preview[]>;
  /** Failures so far (timeouts, errors, non-200s), for tests and diagnostics. */
  readonly failures: number;
}

export interface LinkPreviewOptions {
  /** Base URL of the service; no previews when undefined. */
  readonly baseUrl: URL | undefined;
  /** One budget for all previews of one message. */
  readonly budgetMs: number;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Contract: the first 5 distinct links of a message. */
export const MAX_PREVIEWS_PER_MESSAGE = 5;
const MAX_PREVIEW_BYTES = 64 * 1024;

/**
 * Fetches previews in parallel under one overall budget, caches successes for a while (and shares
 * a fetch already in flight for the same link), and never fails the message: a link that errs or
 * is late is logged, counted and left out.
 */
export function createLinkPreviewClient(options: LinkPreviewOptions): LinkPreviewClient {
  const doFetch = options.fetch ?? fetch;
  const cache = new TtlCache<Preview>(options.cacheTtlMs, options.cacheMaxEntries);
  const inFlight = new Map<string, Promise<Preview>>();
  let failures = 0;

  const fetchPreview = async (baseUrl: URL, link: string): Promise<Preview> => {
    const target = new URL('preview', baseUrl.href.endsWith('/') ? baseUrl : new URL(`${baseUrl.href}/`));
    target.searchParams.set('url', link);
    // No per-call signal: a shared fetch outlives one caller's budget and still fills the cache.
    const response = await doFetch(target, {
      headers: { Accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(Math.max(options.budgetMs * 5, 10_000)),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`link-preview answered ${response.status}`);
    }
    const preview: unknown = JSON.parse(await readCapped(response, MAX_PREVIEW_BYTES));
    if (typeof preview !== 'object' || preview === null || Array.isArray(preview)) throw new Error('link-preview answer is not an object');
    return preview as Preview;
  };

  const previewOf = (baseUrl: URL, link: string): Promise<Preview> => {
    const cached = cache.get(link, options.clock.now().getTime());
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = inFlight.get(link);
    if (pending === undefined) {
      pending = fetchPreview(baseUrl, link)
        .then((preview) => {
          cache.set(link, preview, options.clock.now().getTime());
          return preview;
        })
        .finally(() => inFlight.delete(link));
      inFlight.set(link, pending);
    }
    return pending;
  };

  return {
    get failures() {
      return failures;
    },
    async previewsFor(text) {
      const baseUrl = options.baseUrl;
      if (baseUrl === undefined) return [];
      const links = extractLinks(text, MAX_PREVIEWS_PER_MESSAGE);
      if (links.length === 0) return [];
      // Every preview cached (a re-read): nothing to wait for, so no budget timer and no race.
      const nowMs = options.clock.now().getTime();
      const cached = links.map((link) => cache.get(link, nowMs));
      if (cached.every((preview) => preview !== undefined)) return cached;
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), options.budgetMs);
      });
      const outcomes = await Promise.all(
        links.map((link) =>
          Promise.race([previewOf(baseUrl, link), budget]).then(
            (value) => (value === 'late' ? { link, error: new Error(`no answer within ${options.budgetMs} ms`) } : { link, preview: value }),
            (error: unknown) => ({ link, error: error as Error }),
          ),
        ),
      );
      clearTimeout(timer);
      const previews: Preview[] = [];
      for (const outcome of outcomes) {
        if ('preview' in outcome && outcome.preview !== undefined) {
          previews.push(outcome.preview);
          continue;
        }
        failures += 1;
        // The host only: a link's path and query are user content and may be private.
        options.logger.warn({ linkHost: hostOf(outcome.link), reason: outcome.error?.message, failures }, 'link preview failed; message served without it');
      }
      return previews;
    },
  };
}

/** The body as text, refusing (and abandoning) anything larger than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body?.cancel();
    throw new Error('link-preview answer too large');
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error('link-preview answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function hostOf(link: string): string {
  try {
    return new URL(link).host;
  } catch {
    return 'unparseable';
  }
}

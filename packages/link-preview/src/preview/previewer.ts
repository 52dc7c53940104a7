import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { AddressPolicy } from './address-policy.js';
import { decodeHtml } from './charset.js';
import { Deadline } from './deadline.js';
import { badUrl, upstreamFailure } from './errors.js';
import { extractPreview } from './extract.js';
import { asPreviewError, createAgents, get } from './http-client.js';
import { readHead } from './head-reader.js';
import { releaseResponse } from './release-response.js';
import { createValidatingLookup, systemHostLookup, type HostLookup } from './safe-lookup.js';
import { checkTarget, type Target, type TargetRules } from './target.js';
import type { LinkPreview } from './types.js';

/** Options for {@link createLinkPreviewer}. */
export interface LinkPreviewerOptions {
  /** Time budget for the whole preview, all redirect hops included. @default 3000 */
  readonly timeoutMs?: number;
  /** Most decompressed bytes read from one response before giving up. @default 524288 (512 KiB) */
  readonly maxBytes?: number;
  /** Redirects followed before giving up. @default 10 */
  readonly maxRedirects?: number;
  /** Destination ports allowed, for the first URL and every redirect. @default [80, 443] */
  readonly allowedPorts?: readonly number[];
  /** Where refused destinations are logged (never sent to the client). @default - not logged */
  readonly logger?: Logger;
  /**
   * TEST ONLY: resolves host names instead of the system resolver. Every answer is still checked.
   * Never set from configuration or from a request.
   * @default - the system resolver (`/etc/hosts`, `/etc/resolv.conf`)
   */
  readonly lookup?: HostLookup;
  /**
   * TEST ONLY: CIDR ranges allowed although they are not public, so fixture servers on loopback
   * can be reached. Never set from configuration or from a request.
   * @default - none: only public unicast addresses
   */
  readonly allowedFixtureRanges?: readonly string[];
}

/** Fetches a page's head and extracts its preview. */
export interface LinkPreviewer {
  /** Throws {@link PreviewError} with the status and a short public reason when no preview can be made. */
  preview(url: string): Promise<LinkPreview>;
  /** Closes kept-alive connections. */
  close(): void;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

function mediaType(response: IncomingMessage): string {
  return (response.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export function createLinkPreviewer(options: LinkPreviewerOptions = {}): LinkPreviewer {
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxBytes = options.maxBytes ?? 512 * 1024;
  const maxRedirects = options.maxRedirects ?? 10;
  const logger = options.logger;
  const policy = new AddressPolicy(options.allowedFixtureRanges);
  const onRefusal = (hostname: string, address: string, range: string): void => {
    logger?.warn({ event: 'destination_refused', hostname, address, range }, 'refused a non-public destination');
  };
  const rules: TargetRules = { allowedPorts: new Set(options.allowedPorts ?? [80, 443]), policy, onRefusal };
  const agents = createAgents(createValidatingLookup(options.lookup ?? systemHostLookup, policy, onRefusal));

  async function follow(first: Target, deadline: Deadline): Promise<LinkPreview> {
    let target = first;
    for (let redirects = 0; ; redirects += 1) {
      const response = await get(target, agents, deadline);
      const status = response.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        const location = response.headers.location;
        releaseResponse(response, 0);
        if (location === undefined || location.trim() === '') throw upstreamFailure('redirect without Location');
        if (redirects >= maxRedirects) throw upstreamFailure('too many redirects');
        let next: URL;
        try {
          next = new URL(location, target.url);
        } catch {
          throw upstreamFailure('invalid redirect Location');
        }
        target = checkTarget(next, rules);
        continue;
      }
      if (status < 200 || status > 299) {
        releaseResponse(response, 0);
        throw upstreamFailure(`upstream responded with HTTP ${status}`);
      }
      if (!HTML_TYPES.has(mediaType(response))) {
        releaseResponse(response, 0);
        throw upstreamFailure('upstream response is not HTML');
      }
      const head = await readHead(response, maxBytes);
      return extractPreview(decodeHtml(head, response.headers['content-type']), target.url.href);
    }
  }

  return {
    async preview(url) {
      if (url.length > 4096) throw badUrl('URL too long');
      const first = checkTarget(url, rules);
      const deadline = new Deadline(timeoutMs);
      try {
        return await follow(first, deadline);
      } catch (error) {
        throw asPreviewError(error, deadline);
      } finally {
        deadline.clear();
      }
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

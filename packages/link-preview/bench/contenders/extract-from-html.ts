import { parse, type HTMLElement } from 'node-html-parser';
import type { PreviewFields } from './contender.js';

function metaContent(root: HTMLElement, selector: string): string | undefined {
  const value = root.querySelector(selector)?.getAttribute('content')?.trim();
  return value ? value : undefined;
}

function absoluteHttpUrl(value: string | undefined, baseUrl: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    const resolved = new URL(value, baseUrl);
    return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The extraction rules of the issue (og:* first, then <title>/description, twitter:image), with
 * node-html-parser, for the baselines that do their own parsing. No length caps or other checks.
 */
export function extractFromHtml(html: string, baseUrl: string): PreviewFields {
  const root = parse(html);
  return {
    title: metaContent(root, 'meta[property="og:title"]') ?? (root.querySelector('title')?.text.trim() || undefined),
    description: metaContent(root, 'meta[property="og:description"]') ?? metaContent(root, 'meta[name="description"]'),
    image: absoluteHttpUrl(
      metaContent(root, 'meta[property="og:image"]') ?? metaContent(root, 'meta[name="twitter:image"]'),
      baseUrl,
    ),
  };
}

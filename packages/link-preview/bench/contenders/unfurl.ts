/**
 * unfurl.js 6 with its defaults except `oembed: false`: by default it fetches the page's oEmbed URL
 * server-side, which here would leave loopback (and is an SSRF vector in production).
 */
import { unfurl } from 'unfurl.js';
import type { ContenderFactory } from './contender.js';

export const create: ContenderFactory = async () => ({
  async preview(url) {
    const metadata = await unfurl(url, { oembed: false });
    return {
      title: metadata.open_graph?.title ?? metadata.title,
      description: metadata.open_graph?.description ?? metadata.description,
      image: metadata.open_graph?.images?.[0]?.url ?? metadata.twitter_card?.images?.[0]?.url,
    };
  },
  async close() {},
});

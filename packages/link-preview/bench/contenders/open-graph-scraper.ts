/** open-graph-scraper 6 with its defaults (it fetches with Node's built-in fetch). */
import ogs from 'open-graph-scraper';
import type { ContenderFactory } from './contender.js';

export const create: ContenderFactory = async () => ({
  async preview(url) {
    // It rejects with its `{ error: true, result }` object rather than an Error.
    const { error, result } = await ogs({ url }).catch((failure: unknown) => {
      throw new Error(`open-graph-scraper: ${JSON.stringify(failure)}`);
    });
    if (error) throw new Error(`open-graph-scraper: ${JSON.stringify(result)}`);
    return {
      title: result.ogTitle,
      description: result.ogDescription,
      image: result.ogImage?.[0]?.url,
    };
  },
  async close() {},
});

/** A do-it-yourself baseline: got 14 reads the whole page, node-html-parser parses all of it. */
import { Agent } from 'node:http';
import got from 'got';
import type { ContenderFactory } from './contender.js';
import { extractFromHtml } from './extract-from-html.js';

export const create: ContenderFactory = async () => {
  const agent = new Agent({ keepAlive: true });
  // Retries off so a failure shows as an error instead of hidden extra requests.
  const client = got.extend({ agent: { http: agent }, retry: { limit: 0 } });
  return {
    async preview(url) {
      const response = await client(url);
      return extractFromHtml(response.body, response.url);
    },
    async close() {
      agent.destroy();
    },
  };
};

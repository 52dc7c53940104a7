/** metascraper 5.45 with the title/description/image/url rules, fed by got 14 (its documented pairing). */
import { Agent } from 'node:http';
import got from 'got';
import metascraper from 'metascraper';
import metascraperDescription from 'metascraper-description';
import metascraperImage from 'metascraper-image';
import metascraperTitle from 'metascraper-title';
import metascraperUrl from 'metascraper-url';
import type { ContenderFactory } from './contender.js';

export const create: ContenderFactory = async () => {
  const scrape = metascraper([metascraperTitle(), metascraperDescription(), metascraperImage(), metascraperUrl()]);
  const agent = new Agent({ keepAlive: true });
  const client = got.extend({ agent: { http: agent }, retry: { limit: 0 } });
  return {
    async preview(url) {
      const response = await client(url);
      const metadata = await scrape({ html: response.body, url: response.url });
      return { title: metadata.title, description: metadata.description, image: metadata.image };
    },
    async close() {
      agent.destroy();
    },
  };
};

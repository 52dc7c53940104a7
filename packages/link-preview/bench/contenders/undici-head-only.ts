/**
 * The floor: undici's `request` on a keep-alive Agent, reading only until `</head>`, then a
 * node-html-parser parse of the head. No address, port, size, type or redirect checks at all —
 * the least work a preview can cost, which the core is compared against.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { ContenderFactory } from './contender.js';
import { extractFromHtml } from './extract-from-html.js';

const HEAD_END = Buffer.from('</head>');

async function readHead(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    // Search from just before the new chunk so a tag split across chunks is found.
    const searchFrom = Math.max(0, length - HEAD_END.length + 1);
    chunks.push(chunk);
    length += chunk.length;
    const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
    const end = all.indexOf(HEAD_END, searchFrom);
    if (end !== -1) return all.subarray(0, end + HEAD_END.length);
  }
  return Buffer.concat(chunks, length);
}

export const create: ContenderFactory = async () => {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  return {
    async preview(url) {
      const response = await request(url, { dispatcher: agent, headers: { 'accept-encoding': 'gzip' } });
      // Destroying the body below makes undici emit an abort error on it; that is the intended stop.
      response.body.on('error', () => {});
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
      const gzip = response.headers['content-encoding'] === 'gzip';
      const body: Readable = gzip ? response.body.pipe(createGunzip()) : response.body;
      try {
        return extractFromHtml((await readHead(body)).toString('utf8'), url);
      } finally {
        // Stop reading at </head>: undici then closes this connection instead of draining it.
        response.body.destroy();
        body.destroy();
      }
    },
    async close() {
      await agent.close();
    },
  };
};

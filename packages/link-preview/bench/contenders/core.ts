/**
 * The service's own fetch-and-extract core, configured as deployed (the chart's defaults) plus the
 * two things loopback fixtures need: the fixture port in the port allowlist, and the test-only
 * allowance for 127.0.0.0/8 (which the core blocks otherwise).
 */
import { createLinkPreviewer } from '../../src/preview/index.js';
import type { ContenderFactory } from './contender.js';

export const create: ContenderFactory = async ({ fixturePort }) => {
  const previewer = createLinkPreviewer({
    timeoutMs: 3000,
    maxBytes: 512 * 1024,
    maxRedirects: 10,
    allowedPorts: [80, 443, fixturePort],
    allowedFixtureRanges: ['127.0.0.0/8'],
  });
  return {
    preview: (url) => previewer.preview(url),
    async close() {
      previewer.close();
    },
  };
};

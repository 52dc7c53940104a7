/**
 * The service's own fetch-and-extract core, configured as deployed (the chart's defaults) plus the
 * two things loopback fixtures need: the fixture port in the port allowlist, and the test-only
 * allowance for 127.0.0.0/8 (which the core blocks otherwise).
 */
import type { ContenderFactory } from './contender.js';

// TODO(bench): import statically once packages/link-preview/src/preview/index.ts lands.
const CORE_MODULE: string = '../../src/preview/index.js';

interface CoreModule {
  createLinkPreviewer(options: Record<string, unknown>): {
    preview(url: string): Promise<{ url: string; title: string; description?: string; image?: string }>;
  };
}

export const create: ContenderFactory = async ({ fixturePort }) => {
  const { createLinkPreviewer } = (await import(CORE_MODULE)) as CoreModule;
  const previewer = createLinkPreviewer({
    timeoutMs: 3000,
    maxBytes: 512 * 1024,
    maxRedirects: 10,
    allowedPorts: [80, 443, fixturePort],
    allowedFixtureRanges: ['127.0.0.0/8'],
  });
  return {
    preview: (url) => previewer.preview(url),
    async close() {},
  };
};

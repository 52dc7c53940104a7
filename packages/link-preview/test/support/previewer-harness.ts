import type { ServerResponse } from 'node:http';
import { createLinkPreviewer, PreviewError, type LinkPreviewer, type LinkPreviewerOptions } from '../../src/preview/index.js';
import { startDnsServer, type Answerer, type LoopbackDnsServer } from './dns-server.js';
import { startFixture, type FixtureHandler, type FixtureServer } from './fixture-server.js';
import { guardNetwork } from './network-guard.js';

/**
 * A fixture server on 127.0.0.1, a loopback DNS server, a connect guard and a previewer that may
 * reach 127.0.0.1 (only) on the fixture's port. Fresh per test; `close()` releases everything.
 */
export interface Harness {
  readonly fixture: FixtureServer;
  readonly dns: LoopbackDnsServer;
  readonly previewer: LinkPreviewer;
  readonly network: ReturnType<typeof guardNetwork>;
  close(): Promise<void>;
}

export async function startHarness(
  handler: FixtureHandler,
  options: { answer?: Answerer; previewer?: Partial<LinkPreviewerOptions>; extraPorts?: number[] } = {},
): Promise<Harness> {
  const fixture = await startFixture(handler);
  const dns = await startDnsServer(options.answer ?? (() => undefined));
  const network = guardNetwork();
  const previewer = createLinkPreviewer({
    lookup: dns.lookup,
    allowedFixtureRanges: ['127.0.0.1/32'],
    allowedPorts: [fixture.port, ...(options.extraPorts ?? [])],
    ...options.previewer,
  });
  return {
    fixture,
    dns,
    previewer,
    network,
    async close() {
      previewer.close();
      network.restore();
      await fixture.close();
      await dns.close();
    },
  };
}

/** The PreviewError a preview fails with (fails the test when it succeeds or throws anything else). */
export async function previewFailure(previewer: LinkPreviewer, url: string): Promise<PreviewError> {
  const outcome = await previewer.preview(url).then(
    (preview) => preview,
    (error: unknown) => error,
  );
  if (!(outcome instanceof PreviewError)) throw new Error(`expected a PreviewError, got ${JSON.stringify(outcome)}`);
  return outcome;
}

export function redirect(response: ServerResponse, location: string | undefined, status = 302, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, ...(location === undefined ? {} : { location }) });
  response.end();
}

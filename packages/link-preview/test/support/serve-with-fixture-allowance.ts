/**
 * TEST-ONLY launcher: starts the real service (same parseConfig → createApp → serve path as
 * src/server.ts, configured by PORT / ALLOWED_HOSTS / PREVIEW_* in the environment) but lets the
 * previewer reach fixture servers in the given ranges, which production never can:
 *
 *   PORT=0 ALLOWED_HOSTS=127.0.0.1 tsx serve-with-fixture-allowance.ts --allow-fixture-range 127.0.0.0/8
 *
 * It binds 127.0.0.1 and logs `{"msg":"listening","url":"http://127.0.0.1:<port>"}` on stdout.
 * It lives under test/, so it is never part of the production bundle.
 */
import { parseArgs } from 'node:util';
import { coalescedStdout, createLogger } from '@natter/service-kit';
import { parseConfig } from '../../src/config.js';
import { createLinkPreviewer, systemHostLookup } from '../../src/preview/index.js';
import { dnsReadiness } from '../../src/readiness.js';
import { startService } from '../../src/service.js';

const USAGE = 'usage: serve-with-fixture-allowance.ts --allow-fixture-range <cidr> [--allow-fixture-range <cidr> …]';

function fixtureRanges(): string[] {
  const { values } = parseArgs({
    options: { 'allow-fixture-range': { type: 'string', multiple: true } },
    strict: true,
  });
  const ranges = values['allow-fixture-range'] ?? [];
  if (ranges.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  return ranges;
}

const allowedFixtureRanges = fixtureRanges();
// Fixture ranges make the service an open proxy into them: never listen beyond loopback.
const config = { ...parseConfig(process.env), bindAddress: '127.0.0.1' };
const logger = createLogger({ name: 'link-preview', level: config.logLevel, destination: coalescedStdout() });
logger.warn({ allowedFixtureRanges }, 'TEST LAUNCHER: non-public fixture ranges are reachable');
const previewer = createLinkPreviewer({ ...config.preview, logger, allowedFixtureRanges });
const readiness = dnsReadiness({ host: config.readinessDnsName, lookup: systemHostLookup });
await startService(config, { previewer, logger, readiness });

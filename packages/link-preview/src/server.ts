import { coalescedStdout, ConfigError, createLogger } from '@natter/service-kit';
import { parseConfig, type Config } from './config.js';
import { createLinkPreviewer, systemHostLookup } from './preview/index.js';
import { dnsReadiness } from './readiness.js';
import { startService } from './service.js';

function configFromEnvironment(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'link-preview', msg: 'invalid configuration', variable: error.variable, error: error.message })}\n`);
    process.exit(1);
  }
}

const config = configFromEnvironment();
// One `preview` line per request: written once per event-loop turn rather than one write(2) each.
const logger = createLogger({ name: 'link-preview', level: config.logLevel, destination: coalescedStdout() });
// Production wiring: the previewer gets the parsed limits and nothing else — no lookup override,
// no fixture allowance.
const previewer = createLinkPreviewer({ ...config.preview, logger });
const readiness = dnsReadiness({ host: config.readinessDnsName, lookup: systemHostLookup });
await startService(config, { previewer, logger, readiness });

import { randomBytes } from 'node:crypto';
import { ConfigError, createLogger, serve, type Logger } from '@natter/service-kit';
import { createApp } from './app.js';
import { parseConfig, type Config } from './config.js';
import { systemClock } from './context.js';
import type { Database } from './db/database.js';
import { createPostgresDatabase } from './db/postgres.js';
import { SECURITY_HEADERS } from './middleware/security-headers.js';
import { TOKEN_IN_TEXT } from './security/tokens.js';
import { startTokenPurge } from './token-purge.js';

/** Embedded mode migrates its own in-memory database and then drops to the API role, as production does. */
async function openEmbeddedDatabase(): Promise<Database> {
  const [{ createEmbeddedDatabase }, { migrate }] = await Promise.all([import('./db/embedded.js'), import('./db/migrations.js')]);
  const embedded = await createEmbeddedDatabase();
  await migrate(embedded.owner, { apiUser: 'natter_api_user' });
  await embedded.actAs('natter_api_user');
  return embedded.db;
}

async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.database.kind === 'embedded') {
    logger.warn('no DATABASE_HOST or DATABASE_URL: using an embedded in-memory database (development only; data is lost on exit)');
    return openEmbeddedDatabase();
  }
  return createPostgresDatabase({ ...config.database, logger });
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ name: 'natter-api' }).fatal({ variable: error.variable }, error.message);
    process.exit(2);
  }
  const logger = createLogger({ name: 'natter-api', level: config.logLevel, redactPatterns: [TOKEN_IN_TEXT] });
  let db: Database;
  try {
    db = await openDatabase(config, logger);
  } catch (error) {
    // e.g. a production image without the embedded database and no DATABASE_HOST
    logger.fatal({ err: { message: (error as Error).message } }, 'cannot open the database');
    process.exit(1);
  }
  let hmacKey = config.hmacKey;
  if (hmacKey === undefined) {
    logger.warn('no HMAC_KEY_FILE: using a random key for this run (embedded development mode only); tokens end with the process');
    hmacKey = randomBytes(32);
  }
  if (config.linkPreview.url === undefined) logger.warn('no LINK_PREVIEW_URL: messages are served without link previews');
  const app = createApp({ config: { ...config, hmacKey }, db, logger, clock: systemClock });
  const purge = startTokenPurge({ db, intervalMs: config.tokenPurgeIntervalMs, logger, clock: systemClock });
  await serve(app, {
    port: config.port,
    host: config.bindAddress,
    logger,
    // Requests Node's HTTP parser rejects get the contract's error shape and headers too.
    errorBody: (_status, reason) => ({ error: reason }),
    errorHeaders: SECURITY_HEADERS,
    onClose: async () => {
      purge.stop();
      await app.settled();
      await db.close();
    },
  });
}

await main();

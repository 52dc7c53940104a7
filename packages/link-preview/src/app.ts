import Router from '@koa/router';
import { hostAllowlist } from '@natter/service-kit';
import Koa from 'koa';
import type { Logger } from 'pino';
import { concurrencyLimit } from './concurrency-limit.js';
import type { Config } from './config.js';
import { jsonErrors } from './error-handler.js';
import { PreviewError, type LinkPreviewer } from './preview/index.js';
import type { ReadinessCheck } from './readiness.js';

/** What the app needs from the outside; built by server.ts (or a test). */
export interface AppDependencies {
  readonly previewer: LinkPreviewer;
  readonly logger: Logger;
  /** What `/ready` asks (never `/health`). @default - ready whenever the process answers */
  readonly readiness?: ReadinessCheck;
}

function targetHost(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).host : undefined;
}

/**
 * The HTTP API: `GET /preview?url=`, `GET /health` (liveness: the process answers, nothing outside
 * it is asked) and `GET /ready` (readiness: `deps.readiness` too), behind the Host allowlist. No `listen()` here.
 */
export function createApp(config: Pick<Config, 'allowedHosts' | 'maxConcurrency'>, deps: AppDependencies): Koa {
  const { previewer, logger } = deps;
  const readiness = deps.readiness ?? (async () => undefined);
  const router = new Router();

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/ready', async (ctx) => {
    const problem = await readiness();
    if (problem === undefined) {
      ctx.body = { status: 'ok' };
      return;
    }
    logger.warn({ event: 'not_ready', reason: problem }, 'not ready');
    ctx.status = 503;
    ctx.set('retry-after', '1');
    ctx.body = { status: 503, error: 'not ready' };
  });

  router.get('/preview', concurrencyLimit({ max: config.maxConcurrency }), async (ctx) => {
    const url = ctx.query.url;
    if (typeof url !== 'string' || url.trim() === '') throw new PreviewError(400, 'missing or repeated url parameter');
    const started = performance.now();
    try {
      ctx.body = await previewer.preview(url);
      logger.info({ event: 'preview', host: targetHost(url), status: 200, ms: Math.round(performance.now() - started) });
    } catch (error) {
      if (error instanceof PreviewError) {
        logger.info({ event: 'preview', host: targetHost(url), status: error.status, reason: error.reason, ms: Math.round(performance.now() - started) });
      }
      throw error;
    }
  });

  const app = new Koa();
  app.silent = true;
  app.use(jsonErrors(logger));
  // Before the Host allowlist: its refusals carry the contract's headers too.
  app.use(async function securityHeaders(ctx, next) {
    ctx.set('cache-control', 'no-store');
    ctx.set('x-content-type-options', 'nosniff');
    await next();
  });
  app.use(hostAllowlist({ hosts: config.allowedHosts }));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}

import Router from '@koa/router';
import { hostAllowlist } from '@natter/service-kit';
import Koa from 'koa';
import type { Logger } from 'pino';
import { concurrencyLimit } from './concurrency-limit.js';
import type { Config } from './config.js';
import { jsonErrors } from './error-handler.js';
import { PreviewError, type LinkPreviewer } from './preview/index.js';

/** What the app needs from the outside; built by server.ts (or a test). */
export interface AppDependencies {
  readonly previewer: LinkPreviewer;
  readonly logger: Logger;
}

function targetHost(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).host : undefined;
}

/** The HTTP API: `GET /preview?url=` and `GET /health`, behind the Host allowlist. No `listen()` here. */
export function createApp(config: Pick<Config, 'allowedHosts' | 'maxConcurrency'>, deps: AppDependencies): Koa {
  const { previewer, logger } = deps;
  const router = new Router();

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
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

import { serve, type RunningService } from '@natter/service-kit';
import { createApp, type AppDependencies } from './app.js';
import type { Config } from './config.js';

/** Serves the app on the configured port; closing it (or SIGTERM) also closes the previewer's connections. */
export function startService(config: Config, deps: AppDependencies): Promise<RunningService> {
  return serve(createApp(config, deps), {
    port: config.port,
    host: config.bindAddress,
    logger: deps.logger,
    onClose: async () => deps.previewer.close(),
  });
}

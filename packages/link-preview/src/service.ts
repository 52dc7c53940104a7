import { serve, type RunningService } from '@natter/service-kit';
import { createApp, type AppDependencies } from './app.js';
import type { Config } from './config.js';

/** Options for {@link startService}. */
export interface StartOptions {
  /** Address to bind. @default '0.0.0.0' (what a pod needs) */
  readonly host?: string;
}

/** Serves the app on the configured port; closing it (or SIGTERM) also closes the previewer's connections. */
export function startService(config: Config, deps: AppDependencies, options: StartOptions = {}): Promise<RunningService> {
  return serve(createApp(config, deps), {
    port: config.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    logger: deps.logger,
    onClose: async () => deps.previewer.close(),
  });
}

import Koa from 'koa';
import { createLogger, serve } from '../../src/index.js';

await serve(new Koa(), { port: 0, host: '127.0.0.1', logger: createLogger({ name: 'signal-test' }) });

import Koa from 'koa';
import { coalescedStdout, createLogger, serve } from '../../src/index.js';

// `--coalesced`: log through coalescedStdout() instead of the default synchronous standard output.
const destination = process.argv.includes('--coalesced') ? coalescedStdout() : undefined;
await serve(new Koa(), { port: 0, host: '127.0.0.1', logger: createLogger({ name: 'signal-test', ...(destination ? { destination } : {}) }) });

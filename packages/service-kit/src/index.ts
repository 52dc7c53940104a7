export * from './config.js';
export * from './host-allowlist.js';
export * from './logger.js';
export * from './serve.js';

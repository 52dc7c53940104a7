export * from './client-errors.js';
export * from './coalesced-destination.js';
export * from './config.js';
export * from './host-allowlist.js';
export * from './log-redaction.js';
export * from './logger.js';
export * from './serve.js';

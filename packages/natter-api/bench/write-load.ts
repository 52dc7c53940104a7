/** Posts messages with autocannon for a duration: the write side of the pool-size run. */
import autocannon from 'autocannon';
import { loadFigures, type LoadFigures } from './load.js';

export interface WriteLoadOptions {
  /** Base URL of the API. */
  readonly url: string;
  /** The space's `messages-rw` capability URI. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body's author: the authenticated user. */
  readonly author: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

/** Every request posts one message without links (a transaction: the message and its two capability tokens). */
export async function runWrites(options: WriteLoadOptions): Promise<LoadFigures> {
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 30,
    headers: { ...options.headers, 'content-type': 'application/json' },
    requests: [{ method: 'POST', path: options.path, body: JSON.stringify({ author: options.author, message: 'A message without links' }) }],
  });
  return loadFigures(result, started);
}

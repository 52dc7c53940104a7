import { createLogger, type Logger } from '@natter/service-kit';
import { Writable } from 'node:stream';

/** A real (pino) logger whose JSON lines are kept in memory for assertions. */
export function captureLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ name: 'link-preview', level: 'debug', destination });
  return {
    logger,
    lines: () => raw.join('').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

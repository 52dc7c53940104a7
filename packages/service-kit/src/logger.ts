import pino, { type DestinationStream, type Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** The service name put on every line. */
  readonly name: string;
  /** pino level. @default 'info' */
  readonly level?: string;
  /** Where lines go. @default - standard output */
  readonly destination?: DestinationStream;
}

/** Fields that may carry credentials: censored wherever they appear in a logged object. */
const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/** Structured JSON logs, one object per line, with credentials redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}

export type { Logger };

import pino, { type DestinationStream, type Logger } from 'pino';
import { CENSORED, DEFAULT_LOG_LIMITS, sanitize, scrubText, serializeError, type LogLimits } from './log-redaction.js';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** The service name put on every line. */
  readonly name: string;
  /** pino level. @default 'info' */
  readonly level?: string;
  /**
   * Where lines go. @default - standard output, written synchronously: an asynchronous write still
   * queued when the process exits is written after (or without) the lines flushed at exit, so a
   * shutdown's or crash's last lines would come out of order or not at all
   */
  readonly destination?: DestinationStream;
  /**
   * Further credential shapes to censor wherever they appear in logged text, e.g. the service's
   * own token format. @default - none (credentials in the usual places are always censored)
   */
  readonly redactPatterns?: readonly RegExp[];
  /** Bounds on every logged field. @default - 1024 characters a string, 32 items, depth 6 */
  readonly limits?: LogLimits;
}

/**
 * Paths censored by pino itself, the last line of defence behind the formatter below (which
 * censors these keys at any depth): request and response headers, credentials a few levels down.
 */
const REDACTED_PATHS = [
  'password',
  'token',
  'access_token',
  'authorization',
  'cookie',
  '*.password',
  '*.token',
  '*.access_token',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'err.rawPacket',
  '*.rawPacket',
];

/**
 * Structured JSON logs, one object per line. No line ever holds a credential or unbounded data:
 * whatever is logged passes through {@link sanitize} (credential keys censored at any depth,
 * embedded credentials scrubbed from text, strings, arrays and nesting bounded), errors through
 * {@link serializeError} (never `rawPacket`), messages through {@link scrubText}, and pino's own
 * `redact` censors the usual paths on top.
 */
export function createLogger(options: LoggerOptions): Logger {
  const limits = options.limits ?? DEFAULT_LOG_LIMITS;
  const extra = options.redactPatterns ?? [];
  const errorSerializer = (error: unknown) => serializeError(error, limits, extra);
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => sanitize(object, limits, extra) as Record<string, unknown>,
      },
      serializers: { err: errorSerializer, error: errorSerializer },
      hooks: {
        // The message (and any format arguments) is text like any other. An error logged on its
        // own would lend pino its raw message: log it as `err` with a scrubbed one instead.
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          const leading = first instanceof Error ? [{ err: first }, ...(rest.length === 0 ? [first.message] : [])] : [first];
          const scrubbed = [...leading, ...rest].map((arg) => (typeof arg === 'string' ? scrubText(arg, limits, extra) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      redact: { paths: REDACTED_PATHS, censor: CENSORED },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export type { Logger };

/**
 * What keeps credentials and unbounded data out of the logs, whatever object a caller hands the
 * logger: keys that name credentials are censored at any depth, strings are scrubbed of
 * credentials they embed (an `access_token` in a URL, an Authorization header in a raw request)
 * and cut to a bounded length, and errors are reduced to a fixed set of fields (never Node's
 * `rawPacket`, the raw request bytes, credentials included).
 */

export const CENSORED = '[redacted]';

/** Bounds on what one log line may hold. */
export interface LogLimits {
  /** Longest string kept whole (characters); longer ones are cut with a note of how much. */
  readonly maxStringLength: number;
  /** Items kept of an array, keys kept of an object. */
  readonly maxItems: number;
  /** Nesting kept; deeper values become a placeholder. */
  readonly maxDepth: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxStringLength: 1024, maxItems: 32, maxDepth: 6 };

/** Keys whose values are credentials (compared lower-case, `-` and `_` ignored). */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'hmackey',
  // Node's HTTP parser errors: the raw request; the raw header list holds every header's value.
  'rawpacket',
  'rawheaders',
]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** Credentials that travel inside text: query parameters, header lines, Authorization values. */
const EMBEDDED_SECRETS: readonly [RegExp, string][] = [
  // ?access_token=… in a URL, also percent-encoded inside another URL's query (…%3Faccess_token%3D…).
  [/(access_token|token|password)(=|%3D)[^&\s"'#%]*(%[0-9a-f]{2}[^&\s"'#%]*)*/gi, `$1$2${CENSORED}`],
  // Header lines in a raw request or response.
  [/^((?:proxy-)?authorization|cookie|set-cookie)[ \t]*:[^\r\n]*/gim, `$1: ${CENSORED}`],
  // An Authorization value on its own.
  [/\b(Bearer|Basic|Digest)[ \t]+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${CENSORED}`],
  // A JSON body's credential fields.
  [/("(?:password|token|access_token)"[ \t]*:[ \t]*)"(?:[^"\\]|\\.)*"/gi, `$1"${CENSORED}"`],
];

/** `text` with embedded credentials (and whatever `extra` patterns match) censored, then bounded. */
export function scrubText(text: string, limits: LogLimits = DEFAULT_LOG_LIMITS, extra: readonly RegExp[] = []): string {
  let scrubbed = text;
  for (const [pattern, replacement] of EMBEDDED_SECRETS) scrubbed = scrubbed.replace(pattern, replacement);
  for (const pattern of extra) scrubbed = scrubbed.replace(pattern, CENSORED);
  return bound(scrubbed, limits.maxStringLength);
}

function bound(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength)}…[${text.length - maxLength} more characters]`;
}

/** The fields of an error worth logging; everything else an error carries is left out. */
const ERROR_FIELDS = ['code', 'errno', 'syscall', 'status', 'statusCode', 'reason', 'bytesParsed', 'constraint'] as const;

/**
 * An error as a plain object: type, message, stack and a fixed set of diagnostic fields, with its
 * cause (to the depth limit). Never `rawPacket` or any other property an error happens to carry.
 */
export function serializeError(error: unknown, limits: LogLimits = DEFAULT_LOG_LIMITS, extra: readonly RegExp[] = [], depth = 0): unknown {
  if (!(error instanceof Error)) return sanitize(error, limits, extra, depth);
  const serialized: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: scrubText(error.message, limits, extra),
  };
  for (const field of ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') serialized[field] = typeof value === 'string' ? scrubText(value, limits, extra) : value;
  }
  if (error.stack !== undefined) serialized['stack'] = scrubText(error.stack, { ...limits, maxStringLength: limits.maxStringLength * 4 }, extra);
  if (error.cause !== undefined) {
    serialized['cause'] = depth + 1 >= limits.maxDepth ? '[depth limit]' : serializeError(error.cause, limits, extra, depth + 1);
  }
  return serialized;
}

/** A copy of `value` safe to log: credentials censored at any depth, strings scrubbed, everything bounded. */
export function sanitize(value: unknown, limits: LogLimits = DEFAULT_LOG_LIMITS, extra: readonly RegExp[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value, limits, extra);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return serializeError(value, limits, extra, depth);
  if (depth >= limits.maxDepth) return '[depth limit]';
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.maxItems).map((item) => sanitize(item, limits, extra, depth + 1));
    if (value.length > limits.maxItems) kept.push(`[${value.length - limits.maxItems} more items]`);
    return kept;
  }
  const result: Record<string, unknown> = {};
  const entries = Object.entries(value);
  for (const [key, child] of entries.slice(0, limits.maxItems)) {
    result[bound(key, 64)] = isSecretKey(key) ? CENSORED : sanitize(child, limits, extra, depth + 1);
  }
  if (entries.length > limits.maxItems) result['[more keys]'] = entries.length - limits.maxItems;
  return result;
}

/** Anything that runs parameterised SQL: the pool, one transaction, the embedded database. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** The API's database handle; both PostgreSQL (pg Pool) and embedded PGlite implement it. */
export interface Database extends Queryable {
  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The database could not be reached (refused, reset, timed out, shutting down). Mapped to 503 so
 * clients and probes can tell "try again later" from a bug; the pool reconnects on its own.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: admin/crash shutdown, cannot connect now, too many connections, query canceled by timeout.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|connection timeout/i;

// Node's certificate-verification codes (and pg's answer to a server without TLS): the database may
// be healthy, but this process cannot trust it, so nothing can be stored — unavailable, not a bug.
const TLS_FAILURE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_REVOKED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TLS_FAILURE_MESSAGES = /The server does not support SSL connections/;

/** True when the TLS session to the database could not be established or verified (a configuration fault: retrying does not help). */
export function isTlsFailure(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return isTlsFailure(error.cause);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && TLS_FAILURE_CODES.has(code)) || TLS_FAILURE_MESSAGES.test(error.message);
}

/** True for failures of the connection rather than of the statement. */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  if (isTlsFailure(error)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** SQLSTATE 23505: a UNIQUE or PRIMARY KEY constraint refused the row. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '23505';
}

/** SQLSTATE 23503: a FOREIGN KEY constraint refused the row. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '23503';
}

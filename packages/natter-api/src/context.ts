import type { ParameterizedContext, Middleware, Next } from 'koa';
import type { RequestFound, StoredToken } from './db/store.js';

/** What the pipeline learns about a request, stage by stage. */
export interface NatterState {
  /** Where the request came from, resolved once before the audit trail starts (rate limits and audit rows use it). */
  clientAddress?: string;
  /** The authenticated user (Basic or Bearer). */
  user?: string;
  /** Scopes of the Bearer session; undefined for Basic, which carries every scope. */
  scope?: ReadonlySet<string>;
  /** The Bearer token as presented (DELETE /sessions revokes it). */
  bearer?: string;
  /** The lookup of `?access_token=`, started early in the request's one statement. */
  capability?: Promise<StoredToken | undefined>;
  /** The lookup of the `Bearer` session token, started alongside the capability's; authentication checks it. */
  sessionLookup?: {
    readonly presented: string;
    /** The instant the lookup judged the session at (for the start row's user): authentication checks expiry at the same one. */
    readonly at: Date;
    readonly token: Promise<StoredToken | undefined>;
  };
  /** A Bearer read of one message: fetched by the request's one statement if the tokens allowed it. */
  messageRead?: Promise<RequestFound['read']>;
  /** Permissions granted by the request's capability token. */
  perms?: string;
  /** The parsed JSON body of a POST. */
  body?: Record<string, unknown>;
  /** Audit id once the start row is written. */
  auditId?: number;
  /** Settles when the start row is written (a read may run alongside it; a Bearer request's is written by its one statement). */
  auditStarted?: Promise<void>;
}

export type NatterContext = ParameterizedContext<NatterState>;
export type NatterMiddleware = Middleware<NatterState>;
export type { Next };

/** Time source; tests move it to prove expiry. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

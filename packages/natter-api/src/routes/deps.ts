import type { Logger } from 'pino';
import type { Clock, NatterContext, NatterMiddleware } from '../context.js';
import type { Database } from '../db/database.js';
import type { LinkPreviewClient } from '../link-preview/client.js';
import type { PasswordHashing } from '../security/password-hashing.js';
import type { TokenService } from '../security/tokens.js';
import { fail } from '../http-error.js';
import { isPathId } from '../validation.js';

/** What route handlers work with. */
export interface RouteDeps {
  readonly db: Database;
  readonly tokens: TokenService;
  readonly passwordHashing: PasswordHashing;
  readonly linkPreviews: LinkPreviewClient;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A required string field of the JSON body, else 400. */
export function stringField(ctx: NatterContext, name: string): string {
  const value = ctx.state.body?.[name];
  if (typeof value !== 'string') fail(400, `${name} must be a string`);
  return value;
}

/** An optional string field: undefined when absent, 400 when present but not a string. */
export function optionalStringField(ctx: NatterContext, name: string): string | undefined {
  const value = ctx.state.body?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(400, `${name} must be a string`);
  return value;
}

/** First on routes with ids: an id that is not a BIGINT JavaScript reads exactly makes the path unknown (404). */
export const validPathIds: NatterMiddleware = async (ctx, next) => {
  const params = (ctx as NatterContext & { params: Record<string, string> }).params;
  if (!Object.values(params).every(isPathId)) fail(404, 'not found');
  await next();
};

/** `:spaceId`/`:msgId` as numbers; {@link validPathIds} has already checked their form. */
export function pathId(ctx: NatterContext, name: string): number {
  return Number((ctx as NatterContext & { params: Record<string, string> }).params[name]);
}

/** A relative capability URI, as the book hands them out. */
export function capabilityUri(path: string, token: string): string {
  return `${path}?access_token=${token}`;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

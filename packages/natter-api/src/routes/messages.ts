import type Router from '@koa/router';
import type { NatterContext, NatterState } from '../context.js';
import { isForeignKeyViolation } from '../db/database.js';
import { batched } from '../db/batch.js';
import { deleteMessage, findMessages, insertMessage, listMessageIds, type RequestLookup } from '../db/store.js';
import { requireAuthentication, requireCapability, requireScope } from '../middleware/authorize.js';
import { AUTHOR, characterCount, INSTANT_RANGE, isPathId, MAX_MESSAGE_LENGTH, parseInstant, textProblem } from '../validation.js';
import { capabilityUri, DAY_MS, MINUTE_MS, pathId, stringField, validPathIds, type RouteDeps } from './deps.js';
import { fail } from '../http-error.js';

const MESSAGE_CAPABILITY_LIFETIME_MS = 5 * MINUTE_MS;
const READ_ONLY_CAPABILITY_LIFETIME_MS = 365 * DAY_MS;
const LISTED_CAPABILITY_LIFETIME_MS = 10 * MINUTE_MS;
/** What reading one message needs: the session's scope and the capability's letter. */
const READ = { scope: 'read_message', perm: 'r' } as const;
const MESSAGE_PATH = /^\/spaces\/(\d+)\/messages\/(\d+)$/;

/**
 * The message a GET of `/spaces/{id}/messages/{msgId}` reads, and what reading it needs, so that the
 * request's one statement can fetch it (see prefetch); undefined for any other request.
 */
export function messageRead(ctx: NatterContext): RequestLookup['read'] {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined;
  const ids = MESSAGE_PATH.exec(ctx.path);
  if (ids === null || !isPathId(ids[1]!) || !isPathId(ids[2]!)) return undefined;
  return { spaceId: Number(ids[1]), msgId: Number(ids[2]), ...READ };
}

export function messageRoutes(router: Router<NatterState>, deps: RouteDeps): void {
  // Concurrent reads share one SELECT (see batched()); each still waits for its own row.
  const findMessage = batched((keys: readonly { spaceId: number; msgId: number }[]) => findMessages(deps.db, keys));

  router.post(
    '/spaces/:spaceId/messages',
    validPathIds,
    requireAuthentication(),
    requireScope('post_message'),
    requireCapability('w', deps),
    async (ctx) => {
      const author = stringField(ctx, 'author');
      const message = stringField(ctx, 'message');
      if (!AUTHOR.test(author)) fail(400, 'invalid username');
      if (author !== ctx.state.user) fail(400, 'author must match authenticated user');
      if (characterCount(message) > MAX_MESSAGE_LENGTH) fail(400, 'message is too long');
      const messageProblem = textProblem(message);
      if (messageProblem !== undefined) fail(400, `message ${messageProblem}`);
      const spaceId = pathId(ctx, 'spaceId');
      const now = deps.clock.now().getTime();
      const { path, tokens } = await deps.db.transaction(async (tx) => {
        const msgId = await insertMessage(tx, spaceId, author, message, new Date(now)).catch((error: unknown) => {
          if (isForeignKeyViolation(error)) fail(404, 'not found');
          throw error;
        });
        const path = `/spaces/${spaceId}/messages/${msgId}`;
        const tokens = await deps.tokens.createMany(tx, [
          { user: author, expiry: new Date(now + MESSAGE_CAPABILITY_LIFETIME_MS), attributes: { path, perms: 'rd' } },
          { user: author, expiry: new Date(now + READ_ONLY_CAPABILITY_LIFETIME_MS), attributes: { path, perms: 'r' } },
        ]);
        return { path, tokens };
      });
      ctx.status = 201;
      ctx.set('Location', path);
      ctx.body = { uri: capabilityUri(path, tokens[0]!), 'read-only': capabilityUri(path, tokens[1]!) };
    },
  );

  router.get(
    '/spaces/:spaceId/messages/:msgId',
    validPathIds,
    requireAuthentication(),
    requireScope(READ.scope),
    requireCapability(READ.perm, deps),
    async (ctx) => {
      // A Bearer read's statement fetched the message, as the checks above allowed; otherwise it is a SELECT of its own.
      const prefetched = await ctx.state.messageRead;
      const message = prefetched?.allowed === true ? prefetched.message : await findMessage({ spaceId: pathId(ctx, 'spaceId'), msgId: pathId(ctx, 'msgId') });
      if (message === undefined) fail(404, 'not found');
      const links = await deps.linkPreviews.previewsFor(message.text);
      ctx.status = 200;
      ctx.body = { author: message.author, time: message.time.toISOString(), message: message.text, links };
    },
  );

  router.get(
    '/spaces/:spaceId/messages',
    validPathIds,
    requireAuthentication(),
    requireScope('list_messages'),
    requireCapability('r', deps),
    async (ctx) => {
      const now = deps.clock.now().getTime();
      // An unencoded `+01:00` offset arrives as a space (form encoding); read it as the `+` meant.
      const rawSince = ctx.query['since'];
      const sinceParam = typeof rawSince === 'string' ? rawSince.replace(' ', '+') : rawSince;
      let since = new Date(now - DAY_MS);
      if (sinceParam !== undefined) {
        const parsed = typeof sinceParam === 'string' ? parseInstant(sinceParam) : undefined;
        if (parsed === undefined) fail(400, `since must be an ISO-8601 instant between ${INSTANT_RANGE}, such as 2024-01-01T00:00:00Z`);
        since = parsed;
      }
      const spaceId = pathId(ctx, 'spaceId');
      const ids = await listMessageIds(deps.db, spaceId, since);
      // Listing hands out read (and delete, if held) but never write.
      const perms = ctx.state.perms!.replace('w', '');
      const paths = ids.map((msgId) => `/spaces/${spaceId}/messages/${msgId}`);
      const expiry = new Date(now + LISTED_CAPABILITY_LIFETIME_MS);
      const tokens = await deps.tokens.createMany(
        deps.db,
        paths.map((path) => ({ user: ctx.state.user!, expiry, attributes: { path, perms } })),
      );
      ctx.status = 200;
      ctx.body = paths.map((path, index) => capabilityUri(path, tokens[index]!));
    },
  );

  router.delete(
    '/spaces/:spaceId/messages/:msgId',
    validPathIds,
    requireAuthentication(),
    requireScope('delete_message'),
    requireCapability('d', deps),
    async (ctx) => {
      const deleted = await deleteMessage(deps.db, pathId(ctx, 'spaceId'), pathId(ctx, 'msgId'));
      if (!deleted) fail(404, 'not found');
      ctx.status = 200;
      ctx.body = {};
    },
  );
}

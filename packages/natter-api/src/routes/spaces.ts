import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/database.js';
import { insertMemberRoles, insertSpace } from '../db/store.js';
import { requireAuthentication, requireCapability, requireScope } from '../middleware/authorize.js';
import { characterCount, MAX_SPACE_NAME_LENGTH, ROLES, textProblem, USERNAME } from '../validation.js';
import { capabilityUri, DAY_MS, optionalStringField, pathId, stringField, validPathIds, type RouteDeps } from './deps.js';
import { fail } from '../http-error.js';

// The book's lifetime for a space's own capabilities: effectively permanent, but still checked.
const SPACE_CAPABILITY_LIFETIME_MS = 100_000 * DAY_MS;
const KNOWN_ROLES: ReadonlySet<string> = new Set(ROLES);

export function spaceRoutes(router: Router<NatterState>, deps: RouteDeps): void {
  router.post('/spaces', requireAuthentication(), requireScope('create_space'), async (ctx) => {
    const name = stringField(ctx, 'name');
    const owner = stringField(ctx, 'owner');
    if (characterCount(name) > MAX_SPACE_NAME_LENGTH) fail(400, 'space name too long');
    if (name.trim() === '') fail(400, 'invalid space name');
    const nameProblem = textProblem(name);
    if (nameProblem !== undefined) fail(400, `space name ${nameProblem}`);
    if (!USERNAME.test(owner)) fail(400, 'invalid username');
    if (owner !== ctx.state.user) fail(400, 'owner must match authenticated user');

    const expiry = new Date(deps.clock.now().getTime() + SPACE_CAPABILITY_LIFETIME_MS);
    const created = await deps.db
      .transaction(async (tx) => {
        const spaceId = await insertSpace(tx, name, owner);
        const space = `/spaces/${spaceId}`;
        const messages = `${space}/messages`;
        const grants = [
          { path: space, perms: 'rwd' },
          { path: messages, perms: 'rwd' },
          { path: messages, perms: 'rw' },
          { path: messages, perms: 'r' },
        ];
        const tokens = await deps.tokens.createMany(
          tx,
          grants.map((grant) => ({ user: owner, expiry, attributes: grant })),
        );
        return { space, uris: grants.map((grant, index) => capabilityUri(grant.path, tokens[index]!)) };
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) fail(409, 'a space with this name already exists');
        throw error;
      });
    const [uri, messagesRwd, messagesRw, messagesR] = created.uris;
    ctx.status = 201;
    ctx.set('Location', created.space);
    ctx.body = { name, uri, 'messages-rwd': messagesRwd, 'messages-rw': messagesRw, 'messages-r': messagesR };
  });

  router.post(
    '/spaces/:spaceId/members',
    validPathIds,
    requireAuthentication(),
    requireScope('add_member'),
    // No capability is ever issued for …/members itself: the space's own `rwd` capability
    // (the `uri` from POST /spaces) is the authority to add members.
    requireCapability('rwd', deps, (ctx) => `/spaces/${pathId(ctx, 'spaceId')}`),
    async (ctx) => {
      const username = stringField(ctx, 'username');
      if (!USERNAME.test(username)) fail(400, 'invalid username');
      const roles = parseRoles(ctx.state.body?.['roles'] ?? optionalStringField(ctx, 'role'));
      if (roles === undefined) fail(400, `roles must be a non-empty list of: ${ROLES.join(', ')}`);
      try {
        await insertMemberRoles(deps.db, pathId(ctx, 'spaceId'), username, roles);
      } catch (error) {
        if (isForeignKeyViolation(error)) fail(404, 'no such user or space');
        throw error;
      }
      ctx.status = 200;
      ctx.body = { username, roles };
    },
  );
}

/** `roles`: an array (or space-separated string) of known role names; default `["member"]`. */
function parseRoles(value: unknown): string[] | undefined {
  if (value === undefined) return ['member'];
  const list = typeof value === 'string' ? value.split(' ').filter((role) => role !== '') : value;
  if (!Array.isArray(list) || list.length === 0 || list.length > ROLES.length) return undefined;
  if (!list.every((role) => typeof role === 'string' && KNOWN_ROLES.has(role))) return undefined;
  return [...new Set(list as string[])];
}

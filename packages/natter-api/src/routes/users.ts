import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { isUniqueViolation } from '../db/database.js';
import { insertUser } from '../db/store.js';
import type { CredentialCache } from '../security/credential-cache.js';
import { characterCount, MIN_PASSWORD_LENGTH, USERNAME } from '../validation.js';
import { stringField, type RouteDeps } from './deps.js';
import { fail } from '../http-error.js';

export function userRoutes(router: Router<NatterState>, deps: RouteDeps & { readonly credentialCache: CredentialCache }): void {
  router.post('/users', async (ctx) => {
    const username = stringField(ctx, 'username');
    const password = stringField(ctx, 'password');
    if (!USERNAME.test(username)) fail(400, 'invalid username');
    if (characterCount(password) < MIN_PASSWORD_LENGTH) fail(400, `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    const hash = await deps.passwordHashing.hash(password);
    try {
      await insertUser(deps.db, username, hash);
    } catch (error) {
      if (isUniqueViolation(error)) fail(409, 'username already exists');
      throw error;
    }
    // A new account under a name seen before (the old row deleted outside the API) must not inherit
    // the old one's cached logins; the stored-hash check would catch it too, this says so at once.
    deps.credentialCache.evict(username);
    ctx.status = 201;
    ctx.set('Location', `/users/${username}`);
    ctx.body = { username };
  });
}

import Router from '@koa/router';
import { hostAllowlist } from '@natter/service-kit';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { systemClock, type Clock, type NatterMiddleware, type NatterState } from './context.js';
import type { Database } from './db/database.js';
import { requestStatements } from './db/request-statements.js';
import { createLinkPreviewClient, type LinkPreviewClient } from './link-preview/client.js';
import { auditLog } from './middleware/audit.js';
import { authenticate } from './middleware/authenticate.js';
import { clientAddress } from './middleware/client-address.js';
import { cors } from './middleware/cors.js';
import { errorResponses } from './middleware/error-responses.js';
import { jsonBody } from './middleware/json-body.js';
import { methodNotAllowed } from './middleware/method-not-allowed.js';
import { prefetch } from './middleware/prefetch.js';
import { rateLimit, rateLimitPerUser } from './middleware/rate-limit.js';
import { securityHeaders } from './middleware/security-headers.js';
import { healthRoutes } from './routes/health.js';
import { logRoutes } from './routes/logs.js';
import { messageRead, messageRoutes } from './routes/messages.js';
import { sessionRoutes } from './routes/sessions.js';
import { shareRoutes } from './routes/share.js';
import { spaceRoutes } from './routes/spaces.js';
import { userRoutes } from './routes/users.js';
import { createCredentialCache, type CredentialCache } from './security/credential-cache.js';
import { scryptPasswordHashing, type PasswordHashing } from './security/password-hashing.js';
import { createTokenService, type TokenService } from './security/tokens.js';

export interface AppDeps {
  readonly config: Config;
  /** Connected as the least-privileged API role. */
  readonly db: Database;
  readonly logger: Logger;
  /** @default scrypt at the contract's cost (tests pass a cheaper one) */
  readonly passwordHashing?: PasswordHashing;
  /** @default HMAC-protected tokens keyed with `config.hmacKey` */
  readonly tokens?: TokenService;
  /** @default a client for `config.linkPreview` */
  readonly linkPreviews?: LinkPreviewClient;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default a cache of successful Basic verifications sized by `config.basicAuthCache`, with a random key */
  readonly credentialCache?: CredentialCache;
}

const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/**
 * The Natter API, in the contract's order: rate limit → CORS → Host allowlist → JSON-only →
 * (security headers, on everything) → authentication → audit → routes. No listen(), no globals.
 */
/** The Koa app plus what its owner needs at shutdown. */
export type NatterApp = Koa<NatterState> & {
  /** Resolves once audit rows still being written after their responses are stored (call before closing the database). */
  readonly settled: () => Promise<void>;
};

export function createApp(deps: AppDeps): NatterApp {
  const { config, db, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const tokens = deps.tokens ?? createTokenService(requireKey(config));
  const passwordHashing = deps.passwordHashing ?? scryptPasswordHashing();
  const linkPreviews = deps.linkPreviews ?? createLinkPreviewClient({ ...config.linkPreview, baseUrl: config.linkPreview.url, logger, clock });
  const routeDeps = { db, tokens, passwordHashing, linkPreviews, clock, logger };
  const credentialCache = deps.credentialCache ?? createCredentialCache({ ...config.basicAuthCache, clock });
  const statements = requestStatements(db);
  const audit = auditLog({ statements, logger, clock });
  const errors = errorResponses({ logger });
  const hosts = hostAllowlist({ hosts: config.allowedHosts }) as NatterMiddleware;

  const router = new Router<NatterState>();
  userRoutes(router, { ...routeDeps, credentialCache });
  sessionRoutes(router, routeDeps);
  spaceRoutes(router, routeDeps);
  messageRoutes(router, routeDeps);
  logRoutes(router, { ...routeDeps, auditSettled: audit.settled });
  shareRoutes(router, routeDeps);

  const probes = new Router<NatterState>();
  healthRoutes(probes, { db });

  const app = new Koa<NatterState>();
  app.use(securityHeaders());
  // Probes skip rate limiting (a flood must not make the kubelet restart healthy pods) and audit.
  app.use(branch(PROBE_PATHS, [errors, hosts, methodNotAllowed([probes]), probes.routes() as NatterMiddleware]));
  app.use(clientAddress({ trustedProxies: config.trustedProxies, trustedIdentities: config.trustedProxyIdentities }));
  app.use(audit.trail);
  app.use(errors);
  app.use(
    rateLimit({
      global: config.rateLimit.global,
      perAddress: config.rateLimit.perAddress,
      clientAddress: (ctx) => ctx.state.clientAddress!,
      clock,
    }),
  );
  app.use(cors({ allowedOrigin: config.corsOrigin }));
  app.use(hosts);
  app.use(jsonBody());
  app.use(prefetch({ statements, tokens, clock, messageRead }));
  app.use(authenticate({ db, passwordHashing, tokens, clock, credentialCache }));
  app.use(rateLimitPerUser({ perUser: config.rateLimit.perUser, clock }));
  app.use(audit.start);
  app.use(methodNotAllowed([router]));
  app.use(router.routes() as NatterMiddleware);
  // Errors never reach Koa's default handler (it would drop the security headers); log if one does.
  app.on('error', (error: Error) => logger.error({ err: error }, 'unhandled application error'));
  return Object.assign(app, { settled: audit.settled });
}

function requireKey(config: Config): Buffer {
  if (config.hmacKey === undefined) throw new Error('createApp needs config.hmacKey (HMAC_KEY_FILE) or a tokens service');
  return config.hmacKey;
}

/** Runs `stack` (and nothing after it) for the given paths; every other request passes on. */
function branch(paths: ReadonlySet<string>, stack: readonly NatterMiddleware[]): NatterMiddleware {
  return function branchMiddleware(ctx, next) {
    if (!paths.has(ctx.path)) return next();
    const run = async (index: number): Promise<void> => {
      const middleware = stack[index];
      if (middleware !== undefined) await middleware(ctx, () => run(index + 1));
    };
    return run(0);
  };
}

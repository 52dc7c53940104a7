export { startCountingServer, type CountingServer } from './counting-server.js';
export { basicAuth, request, type HttpRequestOptions, type HttpResponse } from './http.js';
export { rawRequest, type RawExchange, type RawRequestOptions } from './raw-http.js';
export {
  apiEnvironment,
  connectionFromUrl,
  createSecretsDirectory,
  ENTRIES,
  generateHmacKey,
  linkPreviewEnvironment,
  loopbackHosts,
  migrationEnvironment,
  type ApiEnvironmentOptions,
  type ListenOptions,
  type MigrationEnvironmentOptions,
  type PostgresConnection,
  type SecretsDirectory,
} from './natter-services.js';
export { baseEnvironment, freePort, nodeArguments, runToCompletion, startService, type ServiceProcess, type StartOptions } from './service-process.js';
export { createTestPki, opensslAvailable, type IssuedCertificate, type ServerIdentity, type TestPki } from './test-pki.js';
export { privatePostgresSupport, startPrivatePostgres, type PrivatePostgres, type PrivatePostgresOptions, type PrivatePostgresSupport, type PrivatePostgresTls } from './private-postgres.js';

import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Deadline } from './deadline.js';
import { PreviewError, timedOut, upstreamFailure } from './errors.js';
import type { Target } from './target.js';

const REQUEST_HEADERS = {
  'user-agent': 'natter-link-preview/0.1 (+https://github.com/natter; previews only the page head)',
  accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
  'accept-encoding': 'gzip, deflate, br',
};

/** Kept-alive connection pools whose every new socket resolves through the validating lookup. */
export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  readonly lookup: LookupFunction;
}

export function createAgents(lookup: LookupFunction): Agents {
  // Agent options override request options when the socket is created, so `lookup` cannot be bypassed
  // per request. Idle sockets are closed after 15 s rather than kept open to arbitrary hosts.
  const options = { keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' as const, timeout: 15_000, lookup };
  // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot switch certificate checks off.
  const tls = { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
  return { http: new http.Agent(options), https: new https.Agent({ ...options, ...tls }), lookup };
}

/**
 * One GET without following redirects, without cookies or credentials, and without any proxy
 * (node:http ignores HTTP_PROXY and friends). Resolves with the response head.
 */
export function get(target: Target, agents: Agents, deadline: Deadline): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (target.secure ? https : http).request({
      hostname: target.hostname,
      port: target.port,
      path: `${target.url.pathname}${target.url.search}`,
      method: 'GET',
      headers: REQUEST_HEADERS,
      agent: target.secure ? agents.https : agents.http,
      lookup: agents.lookup,
      // Pinned here so NODE_OPTIONS (--max-http-header-size, --insecure-http-parser) cannot loosen them.
      maxHeaderSize: 16 * 1024,
      insecureHTTPParser: false,
    });
    request.once('response', resolve);
    // `on`, not `once`: a request can report a socket error again after the first (e.g. once aborted
    // mid-body), and an 'error' without a listener would crash the process.
    request.on('error', (error) => reject(asPreviewError(error, deadline)));
    deadline.track(request);
    request.end();
  });
}

/** Maps a failure to what the caller may be told; the original error never reaches the client. */
export function asPreviewError(error: unknown, deadline: Deadline): PreviewError {
  // Once the budget is spent, whatever broke (a reset socket, a half-read body) broke because of it.
  if (deadline.expired) return timedOut();
  if (error instanceof PreviewError) return error;
  return upstreamFailure('upstream connection failed');
}

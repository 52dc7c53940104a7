/**
 * What counts as a proper refusal of a bad request: a 4xx whose body is JSON and which carries
 * the service's security headers, or a closed connection. Anything else — a 5xx, a bare Node
 * error page, a hang — is a failure, with the reason spelled out.
 */
import type { RawExchange } from '@natter/process-harness';

/** The headers a service's contract puts on every response, errors included (lower-case names). */
export interface HeaderContract {
  readonly required: Readonly<Record<string, string>>;
  /** Headers that must be absent (they tell an attacker what runs). */
  readonly absent: readonly string[];
}

/** The Natter API's contract (packages/natter-api/CONTRACT.md, README "Request pipeline"). */
export const API_HEADERS: HeaderContract = {
  required: {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'x-xss-protection': '0',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
  },
  absent: ['server', 'x-powered-by'],
};

/** link-preview's contract (packages/link-preview/README.md, "HTTP contract"). */
export const LINK_PREVIEW_HEADERS: HeaderContract = {
  required: {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  },
  absent: ['server', 'x-powered-by'],
};

export type Verdict =
  | { readonly kind: 'json-4xx'; readonly status: number }
  | { readonly kind: 'closed' }
  | { readonly kind: 'failed'; readonly status: number | undefined; readonly reason: string };

/** Judges what `rawRequest(…, { until: 'response' })` brought back. */
export function judge(exchange: RawExchange, contract: HeaderContract): Verdict {
  const { status, headers, body, raw } = exchange;
  if (status === undefined) {
    if (raw !== '') return { kind: 'failed', status: undefined, reason: `not an HTTP/1.x response: ${JSON.stringify(raw.slice(0, 200))}` };
    return exchange.closedByServer ? { kind: 'closed' } : { kind: 'failed', status: undefined, reason: 'no answer and no close: a hang' };
  }
  const failed = (reason: string): Verdict => ({ kind: 'failed', status, reason: `${reason}; got ${JSON.stringify(raw.slice(0, 300))}` });
  if (status < 400 || status > 499) return failed(`status ${status}, not a 4xx`);
  for (const [name, value] of Object.entries(contract.required)) {
    if (headers[name] !== value) return failed(`header ${name} should be ${JSON.stringify(value)}`);
  }
  const present = contract.absent.filter((name) => headers[name] !== undefined);
  if (present.length > 0) return failed(`headers ${present.join(', ')} should be absent`);
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error !== 'string') return failed('JSON body without an "error" message');
  } catch {
    return failed('body is not JSON');
  }
  return { kind: 'json-4xx', status };
}

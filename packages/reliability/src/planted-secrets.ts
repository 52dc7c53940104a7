/**
 * Credentials made up for one run and planted in requests, so that a log line containing any of
 * them can only be a leak. Each is long and random: no log line contains one by chance.
 */
import { randomBytes } from 'node:crypto';
import type { LogLine } from './services.js';

export interface PlantedSecrets {
  /** Sent as `Authorization: Bearer …`. */
  readonly bearer: string;
  readonly basicUser: string;
  /** Sent inside `Authorization: Basic …` (and in URL userinfo). */
  readonly basicPassword: string;
  /** Sent as `Cookie: session=…`. */
  readonly cookie: string;
  /** Sent as a capability URL's `access_token` query value. */
  readonly accessToken: string;
}

const random = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

export function plantSecrets(): PlantedSecrets {
  return {
    bearer: random('plantedBearer'),
    basicUser: random('planteduser').slice(0, 30),
    basicPassword: random('plantedPassword'),
    cookie: random('plantedCookie'),
    accessToken: random('plantedCapability'),
  };
}

/** `Authorization: Basic …` carrying the planted user and password. */
export function basicHeaderValue(secrets: PlantedSecrets): string {
  return `Basic ${Buffer.from(`${secrets.basicUser}:${secrets.basicPassword}`, 'utf8').toString('base64')}`;
}

/** Every spelling that would reveal a planted secret: the values, and the Basic credential as sent. */
export function revealingForms(secrets: PlantedSecrets): string[] {
  return [secrets.bearer, secrets.basicPassword, basicHeaderValue(secrets).slice('Basic '.length), secrets.cookie, secrets.accessToken];
}

/** The log lines that contain any of `forms`, with the form each contains. */
export function linesRevealing(lines: readonly LogLine[], forms: readonly string[]): { line: LogLine; form: string }[] {
  return lines.flatMap((line) => {
    const text = searchableText(line.text);
    return forms.filter((form) => text.includes(form)).map((form) => ({ line, form }));
  });
}

/**
 * The line, plus the bytes of every Buffer logged in it: JSON spells a Buffer as
 * `{"type":"Buffer","data":[71,69,84,…]}`, in which no secret is visible as text (pino logs
 * Node's parser errors so, raw request included).
 */
export function searchableText(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  const buffers: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const candidate = value as { type?: unknown; data?: unknown };
    if (candidate.type === 'Buffer' && Array.isArray(candidate.data)) {
      buffers.push(Buffer.from(candidate.data.filter((byte): byte is number => typeof byte === 'number')).toString('latin1'));
      return;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(parsed);
  return [line, ...buffers].join('\n');
}

// The contract's input rules, in one place.

export const USERNAME = /^[a-zA-Z][a-zA-Z0-9]{1,29}$/;
export const AUTHOR = /^[a-zA-Z][a-zA-Z0-9]{0,29}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_SPACE_NAME_LENGTH = 255;
export const MAX_MESSAGE_LENGTH = 1024;
/**
 * Ids in paths: digits of a BIGINT that JavaScript reads exactly (ids come from sequences, far
 * below 2^53; a larger number would silently become a neighbouring id). Anything else is an
 * unknown path.
 */
export function isPathId(value: string): boolean {
  return /^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value));
}

export const ALL_SCOPES = ['create_space', 'post_message', 'read_message', 'list_messages', 'delete_message', 'add_member', 'full_access'] as const;
export const DEFAULT_SCOPE = 'create_space post_message read_message list_messages delete_message add_member';
export const ROLES = ['owner', 'moderator', 'member', 'observer'] as const;

/** Length in characters (code points), as a user would count them. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * Why PostgreSQL could not store `text` as given, or undefined when it can: text cannot hold NUL
 * (a database error, so a 500), and an unpaired surrogate would be stored as U+FFFD (silently
 * changed). Callers answer 400 with `${field} ${problem}`.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be well-formed Unicode (no unpaired surrogates)';
  return undefined;
}

// YYYY-MM-DDTHH:MM[:SS[.fraction]] and Z or ±HH:MM.
const ISO_8601_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;
/** What PostgreSQL's timestamptz reads back from `Date.toISOString()`: years 1 to 9999 in UTC. */
const EARLIEST_INSTANT_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');
export const INSTANT_RANGE = '0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';

/**
 * An ISO-8601 instant with every field in range (no 30 February, no hour 24: `Date` would roll
 * them over into another instant) whose UTC year PostgreSQL accepts (`Date` accepts year 0,
 * PostgreSQL does not). @returns the instant, or undefined
 */
export function parseInstant(text: string): Date | undefined {
  const match = ISO_8601_INSTANT.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((field) => Number(field ?? '0')) as [number, number, number, number, number, number];
  // Milliseconds from the digits (a float product would turn .57 into 569): further digits are cut, as Date does.
  const fraction = Number((match[7] ?? '.').slice(1).padEnd(3, '0').slice(0, 3));
  const offsetMinutes = match[8] === 'Z' ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (match[8] !== 'Z' && (Number(match[10]) > 23 || Number(match[11]) > 59)) return undefined;
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, fraction);
  const instant = local.getTime() - offsetMinutes * 60_000;
  return instant >= EARLIEST_INSTANT_MS && instant <= LATEST_INSTANT_MS ? new Date(instant) : undefined;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

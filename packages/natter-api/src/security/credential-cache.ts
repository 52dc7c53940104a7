import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../context.js';

/** The full, slow check (scrypt through the hashing gate) that the cache saves on repeated logins. */
export type VerifyPassword = (password: string, stored: string) => Promise<boolean>;

export interface CredentialCacheOptions {
  /** How long a successful verification is honoured, counted from the verification (not refreshed by hits); 0 disables the cache. */
  readonly ttlMs: number;
  /** Users remembered at most; past it the least recently used entry goes first. */
  readonly maxEntries: number;
  readonly clock: Clock;
  /** @default - 32 random bytes, so a memory dump of one process says nothing about another's entries */
  readonly key?: Buffer;
}

/**
 * Successful Basic verifications, as Elasticsearch's realms cache them: one entry per user holding
 * HMAC(key, username, password) — never the password, never an unkeyed hash — and HMAC(key, the
 * stored hash it was checked against). A hit needs both to match (constant-time), so a password
 * changed anywhere (another replica, an administrator) invalidates the entry on the user's next
 * request. Failures are never remembered: a wrong password always costs a full verification, so the
 * only fast answer is to the right password, which the caller learns from the response anyway.
 */
export interface CredentialCache {
  /**
   * Whether `password` is the user's: from a fresh entry, else by `verifyPassword` (remembered on
   * success). Concurrent misses with the same credentials share one verification when it succeeds;
   * when it fails, each of them still runs its own.
   */
  verify(username: string, password: string, stored: string, verifyPassword: VerifyPassword): Promise<boolean>;
  /** Forgets the user's entry: call wherever their credentials change. */
  evict(username: string): void;
  /** Entries held, expired ones included until they are looked up or pushed out. */
  readonly size: number;
}

interface Entry {
  readonly credentials: Buffer;
  readonly stored: Buffer;
  readonly expiresAt: number;
}

interface Pending {
  readonly credentials: Buffer;
  readonly stored: Buffer;
  readonly outcome: Promise<boolean>;
}

const DEFAULT_KEY_BYTES = 32;

/**
 * HMAC-SHA-256(key, username and password): what an entry holds instead of the password. The
 * length prefix keeps (username, password) pairs apart however they are split; the tag keeps it
 * apart from {@link storedHashFingerprint}. Passwords are NFC-normalized, as password hashing does.
 */
export function credentialsFingerprint(key: Buffer, username: string, password: string): Buffer {
  return createHmac('sha256', key).update(`credentials\0${username.length}\0${username}\0${password.normalize('NFC')}`).digest();
}

/** HMAC-SHA-256(key, stored password hash): ties an entry to the hash it was verified against. */
export function storedHashFingerprint(key: Buffer, stored: string): Buffer {
  return createHmac('sha256', key).update(`stored\0${stored}`).digest();
}

export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
    throw new Error(`maxEntries must be a whole number >= 1, got ${options.maxEntries}`);
  }
  if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) throw new Error(`ttlMs must be >= 0 (0 disables the cache), got ${options.ttlMs}`);
  const key = options.key ?? randomBytes(DEFAULT_KEY_BYTES);
  // Map order is insertion order: re-inserting on a hit makes the first key the least recently used.
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Pending>();
  // Bumped by every eviction: a verification that started before one must not bring the entry back.
  let evictions = 0;

  const credentialsMac = (username: string, password: string) => credentialsFingerprint(key, username, password);
  const storedMac = (stored: string) => storedHashFingerprint(key, stored);

  const remember = (username: string, entry: Entry): void => {
    entries.delete(username);
    entries.set(username, entry);
    while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
  };

  const verifyAndRemember = async (username: string, password: string, stored: string, verifyPassword: VerifyPassword): Promise<boolean> => {
    const credentials = credentialsMac(username, password);
    const storedFingerprint = storedMac(stored);
    const entry = entries.get(username);
    if (entry !== undefined) {
      // Both comparisons always run: the answer's timing depends on the outcome, not on which part differed.
      const sameStored = timingSafeEqual(entry.stored, storedFingerprint);
      const sameCredentials = timingSafeEqual(entry.credentials, credentials);
      if (entry.expiresAt <= options.clock.now().getTime() || !sameStored) {
        entries.delete(username);
      } else if (sameCredentials) {
        remember(username, entry);
        return true;
      }
      // Another password: verified in full below. The entry stays, so wrong guesses cannot push
      // the real user back onto scrypt.
    }

    const inFlight = pending.get(username);
    if (inFlight !== undefined) {
      const same = timingSafeEqual(inFlight.credentials, credentials) && timingSafeEqual(inFlight.stored, storedFingerprint);
      // Only a success is shared; a failure (or an error) sends each waiter to its own verification.
      if (same && (await inFlight.outcome.catch(() => false))) return true;
      return verifyFully(username, credentials, storedFingerprint, password, stored, verifyPassword);
    }
    const outcome = verifyFully(username, credentials, storedFingerprint, password, stored, verifyPassword);
    pending.set(username, { credentials, stored: storedFingerprint, outcome });
    try {
      return await outcome;
    } finally {
      if (pending.get(username)?.outcome === outcome) pending.delete(username);
    }
  };

  const verifyFully = async (
    username: string,
    credentials: Buffer,
    storedFingerprint: Buffer,
    password: string,
    stored: string,
    verifyPassword: VerifyPassword,
  ): Promise<boolean> => {
    const verifiedAt = options.clock.now().getTime();
    const evictionsBefore = evictions;
    const valid = await verifyPassword(password, stored);
    if (valid && evictions === evictionsBefore) remember(username, { credentials, stored: storedFingerprint, expiresAt: verifiedAt + options.ttlMs });
    return valid;
  };

  return {
    verify(username, password, stored, verifyPassword) {
      if (options.ttlMs === 0) return verifyPassword(password, stored);
      return verifyAndRemember(username, password, stored, verifyPassword);
    },
    evict(username) {
      evictions += 1;
      entries.delete(username);
      pending.delete(username);
    },
    get size() {
      return entries.size;
    },
  };
}

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { batched } from '../db/batch.js';
import { deleteToken, findTokens, insertTokens, type StoredToken } from '../db/store.js';

/** What a new token carries: whose it is, until when, and its attributes (path/perms or scope). */
export interface NewToken {
  readonly user: string;
  readonly expiry: Date;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Database-backed tokens protected by an HMAC. The id is 160 random bits; only SHA-256(id) is
 * stored, so a database leak yields no usable token; the handed-out string is `id.HMAC(key, id)`,
 * so forged or truncated strings are rejected before touching the database.
 */
export interface TokenService {
  create(db: Queryable, token: NewToken): Promise<string>;
  createMany(db: Queryable, tokens: readonly NewToken[]): Promise<string[]>;
  /** The stored token for a well-formed, correctly MACed string; expiry is the caller's check. */
  read(db: Queryable, presented: string): Promise<StoredToken | undefined>;
  /**
   * What the database stores for a well-formed, correctly MACed string (SHA-256 of its id), for a
   * lookup made elsewhere (one statement per request); undefined for a forged one, which is never
   * looked up.
   */
  storedHash(presented: string): string | undefined;
  revoke(db: Queryable, presented: string): Promise<void>;
}

const ID_BYTES = 20;
const ID_LENGTH = 27; // base64url of 20 bytes, no padding
const MAC_LENGTH = 43; // base64url of 32 bytes, no padding
/** A token (session or capability) anywhere in text: what the logger censors wherever it turns up. */
export const TOKEN_IN_TEXT = new RegExp(`[A-Za-z0-9_-]{${ID_LENGTH}}\\.[A-Za-z0-9_-]{${MAC_LENGTH}}`, 'g');

export function createTokenService(hmacKey: Buffer): TokenService {
  const mac = (id: string): Buffer => createHmac('sha256', hmacKey).update(id).digest();
  const hashOf = (id: string): string => createHash('sha256').update(id).digest('base64url');
  // Concurrent lookups against one database share one query (see batched()).
  const lookups = new WeakMap<Queryable, (hash: string) => Promise<StoredToken | undefined>>();
  const lookup = (db: Queryable, hash: string): Promise<StoredToken | undefined> => {
    let find = lookups.get(db);
    if (find === undefined) {
      find = batched((hashes: readonly string[]) => findTokens(db, hashes));
      lookups.set(db, find);
    }
    return find(hash);
  };

  /** The token id when the MAC checks, else undefined. */
  const verified = (presented: string): string | undefined => {
    const dot = presented.indexOf('.');
    if (dot !== ID_LENGTH || presented.length !== ID_LENGTH + 1 + MAC_LENGTH) return undefined;
    const id = presented.slice(0, dot);
    const tag = presented.slice(dot + 1);
    const given = Buffer.from(tag, 'base64url');
    // Re-encoding rejects non-canonical spellings of the same bytes, and any character outside
    // base64url (which decoding would skip). The id needs no check of its own: only the ids we
    // issued carry a MAC that checks.
    if (given.toString('base64url') !== tag) return undefined;
    return timingSafeEqual(given, mac(id)) ? id : undefined;
  };

  const createMany = async (db: Queryable, tokens: readonly NewToken[]): Promise<string[]> => {
    const ids = tokens.map(() => randomBytes(ID_BYTES).toString('base64url'));
    await insertTokens(
      db,
      tokens.map((token, index) => ({ ...token, hash: hashOf(ids[index]!) })),
    );
    return ids.map((id) => `${id}.${mac(id).toString('base64url')}`);
  };

  return {
    createMany,
    async create(db, token) {
      const [presented] = await createMany(db, [token]);
      return presented!;
    },
    async read(db, presented) {
      const id = verified(presented);
      return id === undefined ? undefined : lookup(db, hashOf(id));
    },
    storedHash(presented) {
      const id = verified(presented);
      return id === undefined ? undefined : hashOf(id);
    },
    async revoke(db, presented) {
      const id = verified(presented);
      if (id !== undefined) await deleteToken(db, hashOf(id));
    },
  };
}

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
   * {@link read} for several strings in one database lookup (a request's session and capability
   * tokens), answers in input order. Each string's MAC is checked on its own: a forged one is
   * undefined and never reaches the database.
   */
  readMany(db: Queryable, presented: readonly string[]): Promise<(StoredToken | undefined)[]>;
  revoke(db: Queryable, presented: string): Promise<void>;
}

const ID_BYTES = 20;
const ID_LENGTH = 27; // base64url of 20 bytes, no padding
const MAC_LENGTH = 43; // base64url of 32 bytes, no padding
/** A token (session or capability) anywhere in text: what the logger censors wherever it turns up. */
export const TOKEN_IN_TEXT = /[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}/g;

export function createTokenService(hmacKey: Buffer): TokenService {
  const mac = (id: string): Buffer => createHmac('sha256', hmacKey).update(id).digest();
  const hashOf = (id: string): string => createHash('sha256').update(id).digest('base64url');
  // Concurrent lookups against one database share one query (see batched()); one caller's hashes
  // always travel in the same batch.
  const lookups = new WeakMap<Queryable, (hashes: readonly string[]) => Promise<(StoredToken | undefined)[]>>();
  const lookup = (db: Queryable, hashes: readonly string[]): Promise<(StoredToken | undefined)[]> => {
    if (hashes.length === 0) return Promise.resolve([]);
    let find = lookups.get(db);
    if (find === undefined) {
      find = batched(async (groups: readonly (readonly string[])[]) => {
        const found = await findTokens(db, groups.flat());
        let offset = 0;
        return groups.map((group) => found.slice(offset, (offset += group.length)));
      });
      lookups.set(db, find);
    }
    return find(hashes);
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
      return id === undefined ? undefined : (await lookup(db, [hashOf(id)]))[0];
    },
    async readMany(db, presented) {
      const ids = presented.map(verified);
      const genuine = ids.filter((id): id is string => id !== undefined);
      const found = await lookup(db, genuine.map(hashOf));
      let next = 0;
      return ids.map((id) => (id === undefined ? undefined : found[next++]));
    },
    async revoke(db, presented) {
      const id = verified(presented);
      if (id !== undefined) await deleteToken(db, hashOf(id));
    },
  };
}

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { createHashingGate, DEFAULT_HASHING_GATE_LIMITS, type HashingGateLimits } from './hashing-gate.js';

/** Hashes and checks passwords. Injected so tests can lower the cost; production uses the contract's. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  /** Constant-time check against a stored hash; false for a malformed hash. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Burns the same time as a real check, so unknown users cannot be told apart by timing. */
  verifyNothing(password: string): Promise<void>;
}

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The contract's cost: N = 32768, r = 8, p = 1 (32 MiB and roughly 100 ms per hash). */
export const PRODUCTION_SCRYPT_COST: ScryptCost = { N: 32768, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Stored hashes are read back from the database: refuse parameters that would exhaust memory.
const MAX_STORED_N = 1 << 20;
const MAX_STORED_R = 32;
const MAX_STORED_P = 16;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly 128·N·r for the contract's cost and is rejected: allow twice that.
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r * cost.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function parse(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const match = FORMAT.exec(stored);
  if (match === null) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_STORED_N || r < 1 || r > MAX_STORED_R || p < 1 || p > MAX_STORED_P) return undefined;
  return { cost: { N, r, p }, salt: Buffer.from(match[4]!, 'base64url'), key: Buffer.from(match[5]!, 'base64url') };
}

/** scrypt via node:crypto (asynchronous, on the libuv pool), hashes stored as `$scrypt$N=…,r=…,p=…$salt$key`. */
export function scryptPasswordHashing(
  cost: ScryptCost = PRODUCTION_SCRYPT_COST,
  limits: HashingGateLimits = DEFAULT_HASHING_GATE_LIMITS,
): PasswordHashing {
  const throughGate = createHashingGate(limits);
  const gatedDerive = (password: string, salt: Buffer, derivationCost: ScryptCost) =>
    throughGate(() => derive(password, salt, derivationCost));
  const encode = (salt: Buffer, key: Buffer): string =>
    `$scrypt$N=${cost.N},r=${cost.r},p=${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  let dummy: Promise<string> | undefined;
  const verify = async (password: string, stored: string): Promise<boolean> => {
    const parsed = parse(stored);
    if (parsed === undefined || parsed.key.length !== KEY_BYTES) return false;
    const key = await gatedDerive(password, parsed.salt, parsed.cost);
    return timingSafeEqual(key, parsed.key);
  };
  const hash = async (password: string): Promise<string> => {
    const salt = randomBytes(SALT_BYTES);
    return encode(salt, await gatedDerive(password, salt, cost));
  };
  return {
    hash,
    verify,
    async verifyNothing(password) {
      dummy ??= hash('natter dummy password');
      await verify(password, await dummy);
    },
  };
}

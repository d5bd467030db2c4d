import { createHash, randomInt, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import type Bcrypt from 'bcryptjs';

/**
 * crypt(3) password hashes as ansible-core 2.14's `password_hash` filter makes them (through
 * Python's `crypt.crypt`, or passlib where installed): SHA-512 (`$6$`) and SHA-256 (`$5$`) crypt as
 * specified by Ulrich Drepper ("Unix crypt using SHA-256 and SHA-512", akkadia.org), MD5 crypt
 * (`$1$`, Poul-Henning Kamp's algorithm as in FreeBSD's and glibc's crypt) and bcrypt (`$2b$`, by
 * the bcryptjs library, as passlib writes it: glibc's crypt cannot make one without a cost).
 * Source: ansible-core 2.14 `utils/encrypt.py` (`CryptHash`), `plugins/filter/core.py`.
 */

const CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += CRYPT64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/** One round of MD5-crypt's and SHA-crypt's stretching loop (the same in both): the previous digest, password and salt mixed by the round's number. */
function mixRound(h: Hash, i: number, previous: Buffer, password: Buffer, salt: Buffer): Buffer {
  h.update(i & 1 ? password : previous);
  if (i % 3) h.update(salt);
  if (i % 7) h.update(password);
  h.update(i & 1 ? previous : password);
  return h.digest();
}

/** SHA-crypt (`$5$`/`$6$`): the digest after `rounds` rounds, in crypt's base-64 order. */
function shaCrypt(algorithm: 'sha256' | 'sha512', password: Buffer, salt: Buffer, rounds: number): string {
  const size = algorithm === 'sha256' ? 32 : 64;
  const h = () => createHash(algorithm);
  const b = h().update(password).update(salt).update(password).digest();
  const a = h().update(password).update(salt);
  let n = password.length;
  for (; n > size; n -= size) a.update(b);
  a.update(b.subarray(0, n));
  for (let len = password.length; len > 0; len >>= 1) a.update(len & 1 ? b : password);
  let c: Buffer = a.digest();
  const dp = h();
  for (let i = 0; i < password.length; i++) dp.update(password);
  const p = repeatTo(dp.digest(), password.length);
  const ds = h();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);
  for (let i = 0; i < rounds; i++) c = mixRound(h(), i, c, p, s);
  let out = '';
  if (size === 32) {
    for (let i = 0; i < 10; i++) out += b64From24(c[(i * 21) % 30]!, c[(i * 21 + 10) % 30]!, c[(i * 21 + 20) % 30]!, 4);
    return out + b64From24(0, c[31]!, c[30]!, 3);
  }
  for (let i = 0; i < 21; i++) out += b64From24(c[(i * 22) % 63]!, c[(i * 22 + 21) % 63]!, c[(i * 22 + 42) % 63]!, 4);
  return out + b64From24(0, 0, c[63]!, 2);
}

/** MD5-crypt (`$1$`). */
function md5Crypt(password: Buffer, salt: Buffer): string {
  const magic = Buffer.from('$1$');
  const h = () => createHash('md5');
  const alt = h().update(password).update(salt).update(password).digest();
  const ctx = h().update(password).update(magic).update(salt);
  for (let len = password.length; len > 0; len -= 16) ctx.update(alt.subarray(0, Math.min(len, 16)));
  for (let i = password.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : password.subarray(0, 1));
  let f: Buffer = ctx.digest();
  for (let i = 0; i < 1000; i++) f = mixRound(h(), i, f, password, salt);
  return (
    b64From24(f[0]!, f[6]!, f[12]!, 4) + b64From24(f[1]!, f[7]!, f[13]!, 4) + b64From24(f[2]!, f[8]!, f[14]!, 4) +
    b64From24(f[3]!, f[9]!, f[15]!, 4) + b64From24(f[4]!, f[10]!, f[5]!, 4) + b64From24(0, 0, f[11]!, 2)
  );
}

interface Algorithm {
  id: string;
  saltSize: number;
  /** Ansible's "implicit rounds": given explicitly, they are left out of the hash (Ansible 2.14 `CryptHash._rounds`). */
  implicitRounds: number;
  saltExact: boolean;
}

const ALGORITHMS: Record<string, Algorithm> = {
  md5_crypt: { id: '1', saltSize: 8, implicitRounds: 0, saltExact: false },
  bcrypt: { id: '2b', saltSize: 22, implicitRounds: 12, saltExact: true },
  sha256_crypt: { id: '5', saltSize: 16, implicitRounds: 535000, saltExact: false },
  sha512_crypt: { id: '6', saltSize: 16, implicitRounds: 656000, saltExact: false },
};

const NAMES: Record<string, string> = { md5: 'md5_crypt', blowfish: 'bcrypt', sha256: 'sha256_crypt', sha512: 'sha512_crypt' };

/** Options of {@link passwordHash}, as the filter's keyword arguments. */
export interface PasswordHashOptions {
  salt?: string | null;
  saltSize?: number | null;
  rounds?: number | null;
  ident?: string | null;
}

/**
 * `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None, ident=None)`: the
 * crypt(3) hash of `password` (UTF-8). Without a salt a random one of the algorithm's size.
 *
 * @throws Error with Ansible's message for an unknown hash type (`crypt.crypt does not support 'x' algorithm`),
 *   a salt with characters outside `./0-9A-Za-z` (`invalid characters in salt`) or of the wrong size (`invalid salt size`).
 */
export function passwordHash(password: string, hashtype: string, options: PasswordHashOptions = {}): string {
  const name = NAMES[hashtype] ?? hashtype;
  const algo = ALGORITHMS[name];
  if (!algo) throw new Error(`crypt.crypt does not support '${name}' algorithm`);
  const size = options.saltSize || algo.saltSize;
  const salt = options.salt || Array.from({ length: size }, () => CRYPT64[randomInt(CRYPT64.length)]).join('');
  if (/[^./0-9A-Za-z]/.test(salt)) throw new Error('invalid characters in salt');
  if ((algo.saltExact && salt.length !== algo.saltSize) || (!algo.saltExact && salt.length > algo.saltSize)) throw new Error('invalid salt size');
  const rounds = options.rounds === algo.implicitRounds ? null : options.rounds ?? null;
  const pw = Buffer.from(password, 'utf8');
  if (name === 'bcrypt') {
    const ident = options.ident || algo.id;
    const cost = String(rounds ?? algo.implicitRounds).padStart(2, '0');
    const hash = bcryptjs().hashSync(password, `$2b$${cost}$${salt}`);
    return `$${ident}${hash.slice(3)}`;
  }
  const prefix = `$${algo.id}$${rounds === null ? '' : `rounds=${rounds}$`}`;
  if (name === 'md5_crypt') return `${prefix}${salt}$${md5Crypt(pw, Buffer.from(salt))}`;
  const effective = rounds === null ? 5000 : Math.min(Math.max(rounds, 1000), 999_999_999);
  return `${prefix}${salt}$${shaCrypt(name === 'sha256_crypt' ? 'sha256' : 'sha512', pw, Buffer.from(salt), effective)}`;
}

let bcryptLib: typeof Bcrypt | undefined;
/** bcryptjs, loaded on the first bcrypt hash (most runs render none). */
function bcryptjs(): typeof Bcrypt {
  bcryptLib ??= createRequire(import.meta.url)('bcryptjs') as typeof Bcrypt;
  return bcryptLib;
}

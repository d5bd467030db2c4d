import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

/** Authentication plugins `mariadb.user` manages on MariaDB 10.11. */
export type AuthPlugin = 'mysql_native_password' | 'ed25519' | 'unix_socket';

/** One way an account can authenticate: the plugin and its stored data (hash, public key; empty for unix_socket). */
export interface AuthMethod {
  plugin: string;
  authenticationString: string;
}

/**
 * The authentication string `mysql_native_password` stores for a password: `*` and the upper-case
 * hex of SHA1(SHA1(password)), what `PASSWORD('...')` returns (MariaDB docs, "PASSWORD" and
 * "Authentication Plugin - mysql_native_password").
 */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

/**
 * The authentication string the `ed25519` plugin stores for a password: the Ed25519 public key
 * whose secret scalar is the clamped SHA-512 of the whole password, base64 without padding (MariaDB
 * `plugin/auth_ed25519/ref10/keypair.c`, `crypto_sign_keypair`; "Authentication Plugin - ed25519").
 * Recorded on 10.11.19: `secret-ed` -> `ZgBTiND4B1aUa8JKhBuyS36pgmtIfavAGRrQBmAOUww`.
 */
export function ed25519PasswordHash(password: string): string {
  const az = createHash('sha512').update(password, 'utf8').digest();
  const s = Buffer.from(az.subarray(0, 32));
  s[0] = (s[0] as number) & 248;
  s[31] = ((s[31] as number) & 63) | 64;
  let scalar = 0n;
  for (let i = 31; i >= 0; i--) scalar = (scalar << 8n) | BigInt(s[i] as number);
  const order = ed25519.Point.CURVE().n;
  const key = ed25519.Point.BASE.multiply(scalar % order).toBytes();
  return Buffer.from(key).toString('base64').replace(/=+$/, '');
}

/** The authentication string a plugin stores for a password (`''` for unix_socket, which has none). */
export function authenticationString(plugin: AuthPlugin, password: string | undefined): string {
  if (plugin === 'unix_socket' || password === undefined) return '';
  return plugin === 'ed25519' ? ed25519PasswordHash(password) : nativePasswordHash(password);
}

/**
 * The authentication methods of an account from its `mysql.global_priv.Priv` JSON (MariaDB 10.4+):
 * the main `plugin`/`authentication_string` and the alternatives of `auth_or` (`IDENTIFIED VIA a
 * OR b`), where an empty object stands for the main method.
 */
export function authMethods(priv: Record<string, unknown>): AuthMethod[] {
  const main: AuthMethod = { plugin: String(priv.plugin ?? 'mysql_native_password'), authenticationString: String(priv.authentication_string ?? '') };
  const alternatives = Array.isArray(priv.auth_or) ? (priv.auth_or as Record<string, unknown>[]) : undefined;
  if (!alternatives) return [main];
  return alternatives.map((a) => (a.plugin === undefined ? main : { plugin: String(a.plugin), authenticationString: String(a.authentication_string ?? '') }));
}

import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConvergeError } from '@converge/core';
import { isSecret, type Secret } from '@converge/core';

/** The first bytes of every ansible-vault file and `!vault` value. */
export const VAULT_HEADER = '$ANSIBLE_VAULT';

/** The label Ansible gives a password that was given without one (`--vault-password-file f`). */
export const DEFAULT_VAULT_ID = 'default';

/**
 * A vault password with its vault id label, as Ansible's `--vault-id label@source` gives it.
 * The password is a {@link Secret} so that it is masked wherever it could surface.
 */
export interface VaultSecret {
  /** The vault id label; {@link DEFAULT_VAULT_ID} when none was given. */
  label: string;
  password: Secret | string;
}

/** The parsed envelope of a vault file: its header fields and the hex payload. */
export interface VaultEnvelope {
  /** `1.1` (no vault id) or `1.2` (with a vault id). */
  version: '1.1' | '1.2';
  cipher: 'AES256';
  /** The vault id label of a 1.2 file; undefined for 1.1. */
  vaultId?: string;
  /** The hexlified payload, whitespace removed. */
  payload: string;
}

/** Options of {@link encryptVault}. */
export interface EncryptOptions {
  /** Salt for the key derivation (32 random bytes by default). Fixed only in tests. */
  salt?: Buffer;
}

const ITERATIONS = 10_000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const SALT_LENGTH = 32;
const LINE = 80;

function vaultError(message: string, hint?: string, cause?: unknown): ConvergeError {
  return new ConvergeError('CONVERGE_VARS', message, { ...(hint ? { hint } : {}), ...(cause === undefined ? {} : { cause }) });
}

/** True when `text` is vault-encrypted (starts with `$ANSIBLE_VAULT;`, leading whitespace allowed). */
export function isVaultEncrypted(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.subarray(0, 64).toString('latin1');
  return s.trimStart().startsWith(`${VAULT_HEADER};`);
}

/**
 * Splits vault text into header fields and payload, as Ansible's `parse_vaulttext_envelope`
 * (lib/ansible/parsing/vault/__init__.py): `$ANSIBLE_VAULT;1.1;AES256` or
 * `$ANSIBLE_VAULT;1.2;AES256;LABEL`, then hex lines.
 *
 * @throws ConvergeError `CONVERGE_VARS` for a header that is not a vault header, an unknown version
 *   or cipher, or a payload that is not hex.
 */
export function parseVaultEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = (lines[0] ?? '').trim().split(';');
  if (header[0] !== VAULT_HEADER) throw vaultError('not an ansible-vault file: it must start with $ANSIBLE_VAULT;');
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw vaultError(`unsupported ansible-vault format version ${JSON.stringify(version)}`, 'converge reads format 1.1 and 1.2');
  if (header[2] !== 'AES256') throw vaultError(`unsupported vault cipher ${JSON.stringify(header[2])}`, 'only AES256 is supported (as in Ansible)');
  const payload = lines.slice(1).join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(payload)) throw vaultError('the vault payload is not hexadecimal; the file is damaged');
  const env: VaultEnvelope = { version, cipher: 'AES256', payload };
  if (version === '1.2' && header[3]) env.vaultId = header[3].trim();
  return env;
}

function deriveKeys(password: string, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  return { key: derived.subarray(0, KEY_LENGTH), hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH), iv: derived.subarray(2 * KEY_LENGTH) };
}

const passwordText = (p: Secret | string): string => (isSecret(p) ? p.reveal() : p);

/**
 * Encrypts `plaintext` as ansible-vault does (`VaultAES256.encrypt`): PBKDF2-HMAC-SHA256 with a
 * random 32-byte salt and 10000 iterations gives an AES-256 key, an HMAC key and a CTR IV; the
 * PKCS#7-padded text is encrypted with AES-256-CTR and authenticated with HMAC-SHA256; salt, HMAC
 * and ciphertext are hexlified, joined by newlines, hexlified again and cut into 80-column lines
 * under the header. The label decides the version: `default` gives 1.1, any other gives 1.2.
 *
 * @returns The vault text, ending with a newline.
 * @example encryptVault('db_password: s3cret\n', { label: 'prod', password: secret('pw') })
 */
export function encryptVault(plaintext: string | Buffer, secret: VaultSecret, options: EncryptOptions = {}): string {
  const salt = options.salt ?? randomBytes(SALT_LENGTH);
  const { key, hmacKey, iv } = deriveKeys(passwordText(secret.password), salt);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const pad = 16 - (data.length % 16);
  const padded = Buffer.concat([data, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(padded), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest('hex');
  const inner = `${salt.toString('hex')}\n${hmac}\n${ciphertext.toString('hex')}`;
  const outer = Buffer.from(inner, 'latin1').toString('hex');
  const header = secret.label && secret.label !== DEFAULT_VAULT_ID ? `${VAULT_HEADER};1.2;AES256;${secret.label}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < outer.length; i += LINE) lines.push(outer.slice(i, i + LINE));
  return `${lines.join('\n')}\n`;
}

/** The result of {@link decryptVault}: the clear bytes and the secret that opened them. */
export interface DecryptedVault {
  plaintext: Buffer;
  /** The label of the secret that decrypted the text. */
  label: string;
  envelope: VaultEnvelope;
}

function tryDecrypt(env: VaultEnvelope, password: string): Buffer | undefined {
  const inner = Buffer.from(env.payload, 'hex').toString('latin1').split('\n');
  if (inner.length !== 3 || inner.some((p) => !/^(?:[0-9a-fA-F]{2})+$/.test(p))) {
    throw vaultError('the vault payload is damaged (it must hold salt, HMAC and ciphertext)');
  }
  const [saltHex, hmacHex, cipherHex] = inner as [string, string, string];
  const { key, hmacKey, iv } = deriveKeys(password, Buffer.from(saltHex, 'hex'));
  const ciphertext = Buffer.from(cipherHex, 'hex');
  const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const given = Buffer.from(hmacHex, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', key, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length) throw vaultError('the decrypted vault text has invalid padding; the file is damaged');
  return padded.subarray(0, padded.length - pad);
}

/**
 * Decrypts vault text with the first secret that opens it, as Ansible's `VaultLib.decrypt`:
 * secrets whose label matches the vault id of a 1.2 header are tried first, then the others.
 * A secret opens the text only when the HMAC-SHA256 of the ciphertext matches (so a wrong password
 * and a tampered file are both refused; the HMAC is compared in constant time).
 *
 * @param source Names the file or variable in error messages.
 * @throws ConvergeError `CONVERGE_VARS` when no secret was given, none opens the text, or the
 *   text is not valid vault text.
 */
export function decryptVault(text: string, secrets: readonly VaultSecret[], source = 'vault text'): DecryptedVault {
  let env: VaultEnvelope;
  try {
    env = parseVaultEnvelope(text);
  } catch (e) {
    throw vaultError(`${source}: ${(e as Error).message}`, (e as ConvergeError).hint, e);
  }
  if (secrets.length === 0) {
    throw vaultError(`${source} is vault-encrypted and no vault password was given`, 'give one with --vault-password-file FILE, --vault-id LABEL@SOURCE or --ask-vault-pass');
  }
  const ordered = env.vaultId ? [...secrets.filter((s) => s.label === env.vaultId), ...secrets.filter((s) => s.label !== env.vaultId)] : [...secrets];
  for (const s of ordered) {
    let plaintext: Buffer | undefined;
    try {
      plaintext = tryDecrypt(env, passwordText(s.password));
    } catch (e) {
      throw vaultError(`${source}: ${(e as Error).message}`, (e as ConvergeError).hint, e);
    }
    if (plaintext) return { plaintext, label: s.label, envelope: env };
  }
  const ids = [...new Set(secrets.map((s) => s.label))].join(', ');
  throw vaultError(
    `cannot decrypt ${source}: no vault password matches (tried vault ids: ${ids})`,
    env.vaultId ? `it was encrypted with vault id "${env.vaultId}"; check that password, or whether the file was altered` : 'check the vault password, or whether the file was altered',
  );
}

import { registerSecretValue, secret, type Secret } from '@converge/core';
import { decryptVault, encryptVault, type VaultSecret } from '@converge/ansible-formats';

/**
 * A YAML scalar tagged `!vault`, not yet decrypted: what the YAML reader yields for
 * `password: !vault | $ANSIBLE_VAULT;1.1;AES256 ...`. Serialises as `ansible-inventory` prints
 * such a value: `{ "__ansible_vault": "<vault text>" }`.
 */
export class VaultTaggedText {
  readonly vaultText: string;
  constructor(vaultText: string) {
    this.vaultText = vaultText;
  }
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.vaultText };
  }
}

/** True for a {@link VaultTaggedText}. */
export function isVaultTaggedText(v: unknown): v is VaultTaggedText {
  return v instanceof VaultTaggedText;
}

/**
 * Replaces every `!vault` value in a vars tree with a {@link Secret} of its clear text.
 *
 * @param source Names the file in error messages (`FILE: variable db.password`).
 * @throws ConvergeError `CONVERGE_VARS` when a value cannot be decrypted.
 */
export function decryptTaggedValues(value: unknown, secrets: readonly VaultSecret[], source: string, path = ''): unknown {
  if (isVaultTaggedText(value)) {
    return secret(decryptVault(value.vaultText, secrets, `${source}: variable ${path || '(root)'}`).plaintext.toString('utf8'));
  }
  if (Array.isArray(value)) return value.map((v, i) => decryptTaggedValues(v, secrets, source, `${path}[${i}]`));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decryptTaggedValues(v, secrets, source, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** True when a vars tree holds a `!vault` value anywhere. */
export function hasTaggedValues(value: unknown): boolean {
  if (isVaultTaggedText(value)) return true;
  if (Array.isArray(value)) return value.some(hasTaggedValues);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value).some(hasTaggedValues);
  return false;
}

/**
 * Turns the string leaves of the vars of a whole vault-encrypted file into {@link Secret}s; other
 * scalars stay as they are, but their text (4 characters or more) is masked by value too.
 */
export function secretLeaves(value: unknown): unknown {
  if (typeof value === 'string') return secret(value);
  if (typeof value === 'number' || typeof value === 'bigint') registerSecretValue(String(value));
  if (Array.isArray(value)) return value.map(secretLeaves);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = secretLeaves(v);
    return out;
  }
  return value;
}

/**
 * Encrypts one string as a `!vault` YAML value, as `ansible-vault encrypt_string` prints it:
 * `!vault |` then the vault text indented by 10 spaces; with `name`, prefixed by `name: `.
 */
export function encryptString(plaintext: string | Secret, vaultSecret: VaultSecret, name?: string): string {
  const text = typeof plaintext === 'string' ? plaintext : plaintext.reveal();
  const body = encryptVault(text, vaultSecret)
    .trimEnd()
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n');
  return `${name === undefined ? '' : `${name}: `}!vault |\n${body}\n`;
}

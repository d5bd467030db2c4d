import { decryptVault, encryptVault, isVaultEncrypted } from '@converge/ansible-formats';
import { isSecret, registerSecretValue } from '@converge/core';
import { isSafeString } from '../nunjucks-internals.js';
import { pyTypeName } from '../python-ops.js';
import { pyStr } from '../python-repr.js';
import { filterArgs, type Filter } from './filter-args.js';

/**
 * ansible-core 2.14's `vault` and `unvault` filters: ansible-vault AES256 text of a string, and
 * the clear text of vault text with a password. The clear text of `unvault` is registered as a
 * secret value, so it is masked wherever converge shows output. Source: ansible-core 2.14
 * `plugins/filter/encryption.py`.
 */

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isSafeString(v)) return v.toString();
  if (isSecret(v)) return v.reveal();
  return undefined;
}

/** `vault(secret, salt=None, vaultid='filter_default', wrap_object=False)`: the vault text (1.2 with the vault id label; a given salt makes it reproducible). */
export const vault: Filter = (data, ...args) => {
  const a = filterArgs(args);
  const secret = text(a.get(0, 'secret', undefined));
  if (secret === undefined) throw new TypeError(`Secret passed is required to be a string, instead we got: <class '${pyTypeName(a.get(0, 'secret', null))}'>`);
  const plain = text(data);
  if (plain === undefined) throw new TypeError(`Can only vault strings, instead we got: <class '${pyTypeName(data)}'>`);
  const salt = a.get(1, 'salt', null);
  const label = pyStr(a.get(2, 'vaultid', 'filter_default'));
  if (a.get(3, 'wrap_object', false) === true) throw new Error("vault: wrap_object=True is not supported by converge (a template's output is text)");
  return encryptVault(plain, { label, password: secret }, salt === null ? {} : { salt: Buffer.from(pyStr(salt), 'utf8') });
};

/** `unvault(secret, vaultid='filter_default')`: the clear text of vault text; text that is not vault-encrypted is returned as it is. */
export const unvault: Filter = (data, ...args) => {
  const a = filterArgs(args);
  const secret = text(a.get(0, 'secret', undefined));
  if (secret === undefined) throw new TypeError(`Secret passed is required to be as string, instead we got: <class '${pyTypeName(a.get(0, 'secret', null))}'>`);
  const vaultText = text(data);
  if (vaultText === undefined) throw new TypeError(`Vault should be in the form of a string, instead we got: <class '${pyTypeName(data)}'>`);
  if (!isVaultEncrypted(vaultText)) return vaultText;
  let clear: string;
  try {
    clear = decryptVault(vaultText, [{ label: pyStr(a.get(1, 'vaultid', 'filter_default')), password: secret }], 'the unvault filter').plaintext.toString('utf8');
  } catch (e) {
    throw new Error('Unable to decrypt: Decryption failed (no vault secrets were found that could decrypt)', { cause: e });
  }
  registerSecretValue(clear);
  return clear;
};

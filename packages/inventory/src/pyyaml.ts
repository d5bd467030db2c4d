import { parseData as parsePyYaml, toPlain as toPlainData, type ParsedData } from '@converge/ansible-formats';
import type { ScalarTag } from 'yaml';
import { inventoryError } from './inventory-error.js';
import { VaultTaggedText } from './ansible-vault/vault-value.js';

/** `!vault |` scalars (Ansible's `AnsibleVaultEncryptedUnicode`): kept encrypted until vars files are decrypted. */
const VAULT: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof VaultTaggedText,
  resolve: (s) => new VaultTaggedText(s) as never,
};

export type { ParsedData };

/**
 * Parses an inventory, vars or extra-vars file as Ansible's `DataLoader` does (JSON first, then
 * PyYAML's YAML 1.1), with `!vault` values kept as {@link VaultTaggedText}.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` with the location of the first YAML error.
 */
export function parseData(text: string, file: string): ParsedData {
  return parsePyYaml(text, file, { tags: [VAULT], error: (message, location, cause) => inventoryError(message, location, { cause }) });
}

/** Parsed data as plain JSON-like values ({@link toPlainData}); `!vault` values stay tagged. */
export const toPlain = toPlainData;

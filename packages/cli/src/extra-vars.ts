import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConvergeError, isConvergeError, isYamlAliasBomb, YAML_ALIAS_BOMB_MESSAGE, YAML_MAX_ALIAS_COUNT } from '@converge/core/lean';
import { isVaultEncrypted, parseVarsText, type VaultSecret } from '@converge/inventory';

/** A `!vault` tag in YAML text (an encrypted value, ansible-vault encrypt_string). */
const VAULT_TAG = /!vault\b/;

/**
 * Parses the values of `-e`/`--extra-vars` as ansible-playbook does: `key=value` pairs
 * separated by spaces (values are strings), a JSON or YAML mapping, or `@file` (YAML or JSON).
 * Later values win. A `@file` that ansible-vault encrypted, or that holds `!vault` values, is
 * decrypted with `vaultSecrets` as ansible-playbook does; its values become `Secret`s.
 *
 * @throws ConvergeError CONVERGE_VARS with the file or the offending text, or when no vault
 *   secret opens an encrypted file.
 */
export function parseExtraVars(values: readonly string[], vaultSecrets: readonly VaultSecret[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    if (v.startsWith('@')) {
      const file = v.slice(1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new ConvergeError('CONVERGE_VARS', `cannot read extra vars file ${file}: ${(e as Error).message}`, { cause: e });
      }
      Object.assign(out, isVaultEncrypted(text) || VAULT_TAG.test(text) ? vaultMapping(text, file, vaultSecrets) : mapping(text, file));
    } else if (/^\s*[{[]/.test(v)) {
      Object.assign(out, mapping(v, '-e'));
    } else {
      for (const pair of splitPairs(v)) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new ConvergeError('CONVERGE_VARS', `-e ${JSON.stringify(v)}: expected key=value, a JSON/YAML mapping, or @file`);
        out[pair.slice(0, i)] = pair.slice(i + 1);
      }
    }
  }
  return out;
}

/** A vars file with vault content, read as the inventory reads vars files; its errors are about extra vars. */
function vaultMapping(text: string, file: string, vaultSecrets: readonly VaultSecret[]): Record<string, unknown> {
  try {
    return parseVarsText(text, file, vaultSecrets);
  } catch (e) {
    if (!isConvergeError(e) || e.code === 'CONVERGE_VARS') throw e;
    throw new ConvergeError('CONVERGE_VARS', `extra vars ${e.message}`, { cause: e, ...(e.location ? { location: e.location } : { location: { file } }) });
  }
}

function mapping(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { version: '1.1', maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (e) {
    if (isYamlAliasBomb(e)) throw new ConvergeError('CONVERGE_VARS', `${file}: ${YAML_ALIAS_BOMB_MESSAGE}`, { cause: e, location: { file } });
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new ConvergeError('CONVERGE_VARS', `${file}: invalid YAML: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
      location: { file, ...(pos ? { line: pos.line, column: pos.col } : {}) },
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConvergeError('CONVERGE_VARS', `${file}: extra vars must be a mapping`, { location: { file } });
  return doc as Record<string, unknown>;
}

function splitPairs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | undefined;
  for (const ch of s) {
    if (q) {
      if (ch === q) q = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") q = ch;
    else if (/\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

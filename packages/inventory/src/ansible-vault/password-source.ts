import { execFile } from 'node:child_process';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConvergeError } from '@converge/core';
import { secret } from '@converge/core';
import { DEFAULT_VAULT_ID, type VaultSecret } from '@converge/ansible-formats';

const run = promisify(execFile);

/** A parsed `--vault-id`: a label and where the password comes from (`prompt` or a file path). */
export interface VaultIdSpec {
  label: string;
  /** `prompt`, or the path of a password file or executable. */
  source: string;
}

/**
 * Parses a `--vault-id` value as Ansible does: `label@source`, or just `source` (label
 * `default`). The source is `prompt` or a path.
 *
 * @example parseVaultId('prod@~/.vault-prod') // { label: 'prod', source: '~/.vault-prod' }
 */
export function parseVaultId(spec: string): VaultIdSpec {
  const at = spec.indexOf('@');
  if (at < 0) return { label: DEFAULT_VAULT_ID, source: spec };
  return { label: spec.slice(0, at) || DEFAULT_VAULT_ID, source: spec.slice(at + 1) };
}

/** Options of {@link loadVaultSecret}. */
export interface LoadVaultSecretOptions {
  /** Asks for a password on the terminal; needed for the `prompt` source. */
  prompt?: (question: string) => Promise<string>;
}

/**
 * Reads the password of one vault id, as Ansible's `get_file_vault_secret` / `PromptVaultSecret`:
 * `prompt` asks on the terminal; an executable file is run and its stdout is the password (a
 * script whose name ends in `-client` gets `--vault-id LABEL`, as Ansible's client scripts); any
 * other file is read. Surrounding whitespace is stripped in both cases.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for a missing file, a failing script, an empty password,
 *   or `prompt` without a terminal prompt.
 */
export async function loadVaultSecret(spec: VaultIdSpec, options: LoadVaultSecretOptions = {}): Promise<VaultSecret> {
  let text: string;
  if (spec.source === 'prompt') {
    if (!options.prompt) throw new ConvergeError('CONVERGE_OPTIONS', `vault id "${spec.label}" asks for a password but no terminal prompt is available`);
    text = await options.prompt(spec.label === DEFAULT_VAULT_ID ? 'Vault password: ' : `Vault password (${spec.label}): `);
  } else {
    const file = resolve(spec.source.replace(/^~(?=\/|$)/, process.env['HOME'] ?? '~'));
    const st = await stat(file).catch((e: unknown) => {
      throw new ConvergeError('CONVERGE_OPTIONS', `vault password file ${file} does not exist`, { cause: e, hint: 'check the path given with --vault-password-file or --vault-id' });
    });
    if (!st.isFile()) throw new ConvergeError('CONVERGE_OPTIONS', `vault password file ${file} is not a file`);
    const executable = await access(file, constants.X_OK).then(() => true, () => false);
    if (executable) {
      const isClient = basename(file, extname(file)).endsWith('-client');
      try {
        const { stdout } = await run(file, isClient ? ['--vault-id', spec.label] : [], { encoding: 'utf8' });
        text = stdout;
      } catch (e) {
        const err = e as { code?: unknown; stderr?: string };
        throw new ConvergeError('CONVERGE_OPTIONS', `vault password script ${file} failed (exit ${String(err.code)})`, { cause: e, ...(err.stderr ? { detail: err.stderr } : {}) });
      }
    } else {
      text = await readFile(file, 'utf8');
    }
  }
  const password = text.trim();
  if (password === '') throw new ConvergeError('CONVERGE_OPTIONS', `the vault password of vault id "${spec.label}" is empty`, { hint: 'an empty vault password is not allowed (as in Ansible)' });
  return { label: spec.label, password: secret(password) };
}

/** The vault options of a command line: `--vault-id` (repeatable), `--vault-password-file` (repeatable), `--ask-vault-pass`. */
export interface VaultCliOptions {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

/**
 * Loads every vault secret a command line names, in Ansible's order: `--ask-vault-pass` (label
 * `default`), then `--vault-id`s, then `--vault-password-file`s (label `default`).
 */
export async function loadVaultSecrets(opts: VaultCliOptions, options: LoadVaultSecretOptions = {}): Promise<VaultSecret[]> {
  const specs: VaultIdSpec[] = [];
  if (opts.askVaultPass) specs.push({ label: DEFAULT_VAULT_ID, source: 'prompt' });
  for (const v of opts.vaultId ?? []) specs.push(parseVaultId(v));
  for (const f of opts.vaultPasswordFile ?? []) specs.push({ label: DEFAULT_VAULT_ID, source: f });
  const out: VaultSecret[] = [];
  for (const s of specs) out.push(await loadVaultSecret(s, options));
  return out;
}

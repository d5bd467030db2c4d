import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { VaultCliOptions, VaultSecret } from '@converge/inventory';
import { ConvergeError } from '@converge/core/lean';

/** Where a subcommand writes: the streams of {@link main}. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * Adds Ansible's vault password options to a command: `--vault-id LABEL@SOURCE` and
 * `--vault-password-file FILE` (both repeatable) and `--ask-vault-pass`.
 */
export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option('--vault-id <label@source>', 'vault password: LABEL@FILE, LABEL@SCRIPT or LABEL@prompt; repeatable', collect)
    .option('--vault-password-file <file>', 'vault password file, or an executable that prints it; repeatable', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password');
}

/** Reads a password from the terminal without echoing it. */
export async function promptPassword(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  let muted = false;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (!muted) process.stderr.write(s);
  };
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/** Loads the vault secrets named by {@link addVaultOptions}'s flags (prompting when asked). */
export async function vaultSecretsFrom(flags: VaultCliOptions): Promise<VaultSecret[]> {
  const { loadVaultSecrets } = await import('@converge/inventory');
  return loadVaultSecrets(flags, { prompt: promptPassword });
}

interface VaultFlags extends VaultCliOptions {
  encryptVaultId?: string;
  output?: string;
}

/** Chooses the secret to encrypt with, as `ansible-vault`: `--encrypt-vault-id`, or the only one given. */
async function encryptSecret(flags: VaultFlags): Promise<VaultSecret> {
  const { loadVaultSecrets } = await import('@converge/inventory');
  const prompt = async (q: string) => {
    const a = await promptPassword(q.replace('Vault password', 'New Vault password'));
    const b = await promptPassword(`Confirm ${q.replace('Vault password', 'New Vault password')}`);
    if (a !== b) throw new ConvergeError('CONVERGE_OPTIONS', 'the passwords do not match');
    return a;
  };
  const secrets = await loadVaultSecrets(flags, { prompt });
  if (secrets.length === 0) throw new ConvergeError('CONVERGE_OPTIONS', 'no vault password given', { hint: 'give one with --vault-password-file FILE, --vault-id LABEL@SOURCE or --ask-vault-pass' });
  if (flags.encryptVaultId) {
    const s = secrets.find((x) => x.label === flags.encryptVaultId);
    if (!s) throw new ConvergeError('CONVERGE_OPTIONS', `--encrypt-vault-id ${flags.encryptVaultId} names no vault id given with --vault-id`);
    return s;
  }
  if (secrets.length > 1) {
    throw new ConvergeError('CONVERGE_OPTIONS', `several vault ids were given (${secrets.map((s) => s.label).join(', ')})`, { hint: 'choose the one to encrypt with: --encrypt-vault-id LABEL' });
  }
  return secrets[0] as VaultSecret;
}

async function decryptSecrets(flags: VaultFlags): Promise<VaultSecret[]> {
  const secrets = await vaultSecretsFrom(flags);
  if (secrets.length === 0) throw new ConvergeError('CONVERGE_OPTIONS', 'no vault password given', { hint: 'give one with --vault-password-file FILE, --vault-id LABEL@SOURCE or --ask-vault-pass' });
  return secrets;
}

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (e) {
    throw new ConvergeError('CONVERGE_OPTIONS', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Replaces a file atomically (temp file in the same directory, then rename), keeping its mode. */
async function writeAtomic(file: string, data: string | Buffer, mode?: number): Promise<void> {
  const m = mode ?? (await stat(file).then((s) => s.mode & 0o7777, () => 0o600));
  const tmp = join(dirname(file), `.${basename(file)}.converge-${process.pid}-${Date.now()}`);
  try {
    await writeFile(tmp, data, { mode: m, flag: 'wx' });
    await chmod(tmp, m);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ConvergeError('CONVERGE_OPTIONS', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

async function writeOutput(io: CommandIo, file: string, output: string | undefined, data: string | Buffer): Promise<void> {
  if (output === '-') io.stdout.write(data);
  else await writeAtomic(output ?? file, data);
}

function ensureEncrypted(file: string, text: string, isEncrypted: (t: string) => boolean): void {
  if (!isEncrypted(text)) throw new ConvergeError('CONVERGE_OPTIONS', `${file} is not vault-encrypted`);
}

/** Runs `$EDITOR` (or `$VISUAL`, else `vi`) on a file and waits for it. */
async function runEditor(file: string): Promise<void> {
  const editor = process.env['EDITOR'] || process.env['VISUAL'] || 'vi';
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new ConvergeError('CONVERGE_OPTIONS', `the editor (${editor}) exited with code ${String(code)}; the file was not changed`))));
  });
}

/**
 * Registers `converge vault encrypt|decrypt|view|edit|rekey|encrypt_string`, the ansible-vault
 * commands, reading and writing the same files (format 1.1, and 1.2 with a vault id).
 */
export function registerVault(program: Command, io: CommandIo): void {
  const vault = program.command('vault').description('encrypt and decrypt ansible-vault files (format 1.1 and 1.2, AES256)');

  addVaultOptions(vault.command('encrypt').description('encrypt files in place (or to --output)'))
    .argument('<files...>', 'files to encrypt; - reads stdin')
    .option('--encrypt-vault-id <label>', 'the vault id to encrypt with, when several are given')
    .option('--output <file>', 'write here instead of in place; - is stdout')
    .action(async (files: string[], flags: VaultFlags) => {
      const { encryptVault, isVaultEncrypted } = await import('@converge/inventory');
      const s = await encryptSecret(flags);
      for (const f of files) {
        const data = await readInput(f);
        if (isVaultEncrypted(data)) throw new ConvergeError('CONVERGE_OPTIONS', `${f} is already vault-encrypted`);
        await writeOutput(io, f, f === '-' ? (flags.output ?? '-') : flags.output, encryptVault(data, s));
      }
      io.stderr.write('Encryption successful\n');
    });

  addVaultOptions(vault.command('decrypt').description('decrypt files in place (or to --output)'))
    .argument('<files...>', 'files to decrypt; - reads stdin')
    .option('--output <file>', 'write here instead of in place; - is stdout')
    .action(async (files: string[], flags: VaultFlags) => {
      const { decryptVault, isVaultEncrypted } = await import('@converge/inventory');
      const secrets = await decryptSecrets(flags);
      for (const f of files) {
        const text = (await readInput(f)).toString('utf8');
        ensureEncrypted(f, text, isVaultEncrypted);
        const { plaintext } = decryptVault(text, secrets, f);
        await writeOutput(io, f, f === '-' ? (flags.output ?? '-') : flags.output, plaintext);
      }
      io.stderr.write('Decryption successful\n');
    });

  addVaultOptions(vault.command('view').description('print the clear text of vault files'))
    .argument('<files...>', 'files to view')
    .action(async (files: string[], flags: VaultFlags) => {
      const { decryptVault, isVaultEncrypted } = await import('@converge/inventory');
      const secrets = await decryptSecrets(flags);
      for (const f of files) {
        const text = (await readInput(f)).toString('utf8');
        ensureEncrypted(f, text, isVaultEncrypted);
        io.stdout.write(decryptVault(text, secrets, f).plaintext);
      }
    });

  addVaultOptions(vault.command('edit').description('edit a vault file with $EDITOR, then re-encrypt it'))
    .argument('<file>', 'file to edit')
    .action(async (file: string, flags: VaultFlags) => {
      const { decryptVault, encryptVault, isVaultEncrypted } = await import('@converge/inventory');
      const secrets = await decryptSecrets(flags);
      const text = (await readInput(file)).toString('utf8');
      ensureEncrypted(file, text, isVaultEncrypted);
      const { plaintext, label } = decryptVault(text, secrets, file);
      const dir = await mkdtemp(join(tmpdir(), 'converge-vault-'));
      const tmp = join(dir, basename(file));
      try {
        await writeFile(tmp, plaintext, { mode: 0o600 });
        await runEditor(tmp);
        const edited = await readFile(tmp);
        if (edited.equals(plaintext)) return;
        const s = secrets.find((x) => x.label === label) as VaultSecret;
        await writeAtomic(file, encryptVault(edited, s));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  addVaultOptions(vault.command('rekey').description('re-encrypt vault files with a new password'))
    .argument('<files...>', 'files to rekey')
    .option('--new-vault-id <label@source>', 'the new vault id and password source')
    .option('--new-vault-password-file <file>', 'the new vault password file')
    .action(async (files: string[], flags: VaultFlags & { newVaultId?: string; newVaultPasswordFile?: string }) => {
      const { decryptVault, encryptVault, isVaultEncrypted } = await import('@converge/inventory');
      const secrets = await decryptSecrets(flags);
      const newFlags: VaultFlags = flags.newVaultId ? { vaultId: [flags.newVaultId] } : flags.newVaultPasswordFile ? { vaultPasswordFile: [flags.newVaultPasswordFile] } : { askVaultPass: true };
      const next = await encryptSecret(newFlags);
      for (const f of files) {
        const text = (await readInput(f)).toString('utf8');
        ensureEncrypted(f, text, isVaultEncrypted);
        const { plaintext } = decryptVault(text, secrets, f);
        await writeAtomic(f, encryptVault(plaintext, next));
      }
      io.stderr.write('Rekey successful\n');
    });

  addVaultOptions(vault.command('encrypt_string').alias('encrypt-string').description('encrypt strings as !vault YAML values'))
    .argument('[strings...]', 'strings to encrypt; none reads stdin')
    .option('-n, --name <name>', 'variable name of each string, in order (repeatable)', collect)
    .option('--stdin-name <name>', 'variable name of the string read from stdin')
    .option('--encrypt-vault-id <label>', 'the vault id to encrypt with, when several are given')
    .action(async (strings: string[], flags: VaultFlags & { name?: string[]; stdinName?: string }) => {
      const { encryptString } = await import('@converge/inventory');
      const s = await encryptSecret(flags);
      const out: string[] = [];
      if (strings.length === 0) {
        out.push(encryptString((await readInput('-')).toString('utf8'), s, flags.stdinName));
      } else {
        strings.forEach((str, i) => out.push(encryptString(str, s, flags.name?.[i])));
      }
      io.stdout.write(out.join('\n'));
      io.stderr.write('Encryption successful\n');
    });
}

import { createRequire } from 'node:module';
import type { ParsedKey } from 'ssh2';
import { sha256Hex } from '@converge/core';
import type { Secret } from '@converge/core';

// ssh2 is loaded on first use, as in the transport.
let ssh2Module: typeof import('ssh2') | undefined;
const ssh2 = (): typeof import('ssh2') => (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));

/** Options of {@link KeyPassphrases}. */
export interface KeyPassphrasesOptions {
  /** A passphrase tried on every encrypted key before asking (e.g. from `--private-key-passphrase-file`). */
  passphrase?: Secret;
  /**
   * Asks on the controller's terminal and resolves with the answer; absent when there is no
   * terminal. Never called twice at once.
   */
  ask?(prompt: string): Promise<string>;
}

/** A key file as read: the decrypted key, or why it cannot be used. */
export type UnlockedKey = { key: ParsedKey } | { skipped: string; encrypted: boolean };

/** How one key may be unlocked for one connection. */
export interface UnlockOptions {
  /** The host's own passphrase (`converge_ssh_private_key_passphrase`), tried first. */
  passphrase?: Secret;
  /** Whether to ask on the terminal (not with `BatchMode yes`). */
  mayAsk: boolean;
  /** Questions at most (`NumberOfPasswordPrompts`, default 3). */
  tries: number;
}

function parse(data: Buffer, passphrase?: string): ParsedKey | Error {
  const k = ssh2().utils.parseKey(data, passphrase);
  return Array.isArray(k) ? (k[0] as ParsedKey) : k;
}

/** True when ssh2 refused a key because it is encrypted and no (or a wrong) passphrase was given. */
function isEncryptedKeyError(e: Error): boolean {
  return /passphrase|encrypted|decrypt|bad decrypt|integrity check/i.test(e.message);
}

/**
 * The passphrases of encrypted private keys for one run, shared by its transports: a key is
 * decrypted with the host's passphrase, else the run's, else by asking on the terminal, at most
 * once per key file per run (a second host with the same key waits for the first answer;
 * questions are asked one at a time). A key that cannot be unlocked is skipped with a reason,
 * as ssh(1) does. Passphrases never come from a command line.
 *
 * @example
 * const passphrases = new KeyPassphrases({ ask: (prompt) => askOnTerminal(prompt) });
 * new SshTransport(spec, { passphrases });
 */
export class KeyPassphrases {
  readonly #options: KeyPassphrasesOptions;
  readonly #unlocked = new Map<string, Promise<UnlockedKey>>();
  #asking: Promise<unknown> = Promise.resolve();
  /** How many times the terminal was asked, for tests and messages. */
  asked = 0;

  constructor(options: KeyPassphrasesOptions = {}) {
    this.#options = options;
  }

  /**
   * Decrypts the private key `data` read from `file` (unencrypted keys are returned as they are).
   * Never rejects: a key that cannot be used resolves to `{ skipped }` with the reason.
   */
  unlock(file: string, data: Buffer, options: UnlockOptions): Promise<UnlockedKey> {
    const plain = parse(data);
    if (!(plain instanceof Error)) return Promise.resolve({ key: plain });
    if (!isEncryptedKeyError(plain)) return Promise.resolve({ skipped: plain.message, encrypted: false });
    const own = options.passphrase;
    // The cache key covers the content and the host's passphrase: a rotated key file is asked for anew.
    const id = `${file}\u0000${sha256Hex(data)}\u0000${own ? sha256Hex(own.reveal()) : ''}`;
    let p = this.#unlocked.get(id);
    if (!p) {
      p = this.#unlock(file, data, options);
      this.#unlocked.set(id, p);
    }
    return p;
  }

  async #unlock(file: string, data: Buffer, options: UnlockOptions): Promise<UnlockedKey> {
    for (const given of [options.passphrase, this.#options.passphrase]) {
      if (!given) continue;
      const k = parse(data, given.reveal());
      if (!(k instanceof Error)) return { key: k };
    }
    const tried = options.passphrase || this.#options.passphrase ? 'the passphrase given does not decrypt it; ' : '';
    const ask = this.#options.ask;
    if (!ask || !options.mayAsk || options.tries < 1) {
      const why = !ask ? 'no terminal to ask on' : 'BatchMode yes';
      return {
        skipped: `encrypted: ${tried}${why}; give its passphrase with --private-key-passphrase-file or converge_ssh_private_key_passphrase (a vault value), or load it into ssh-agent`,
        encrypted: true,
      };
    }
    const asking = this.#asking.then(async () => {
      for (let i = 0; i < options.tries; i++) {
        this.asked += 1;
        const answer = await ask(`Enter passphrase for key '${file}': `);
        if (answer === '') break;
        const k = parse(data, answer);
        if (!(k instanceof Error)) return { key: k };
      }
      return { skipped: `encrypted: ${tried}no passphrase given on the terminal decrypts it`, encrypted: true };
    });
    this.#asking = asking.catch(() => undefined);
    return asking.catch((e: Error) => ({ skipped: `encrypted: cannot ask for its passphrase: ${e.message}`, encrypted: true }));
  }
}

/**
 * The host keys seen during one run, by known_hosts name (`host` or `[host]:port`): the first
 * verified key of a host is pinned, and any later connection to that host in the same run
 * (a reconnect after a lost connection, another target through the same jump host) must present
 * exactly that key, even when known_hosts would also accept another one.
 *
 * Share one instance between the transports of a run (`SshOptions.hostKeyPins`); each
 * transport has its own otherwise.
 *
 * @example
 * const pins = new HostKeyPins();
 * const a = new SshTransport(specA, { hostKeyPins: pins });
 * const b = new SshTransport(specB, { hostKeyPins: pins });
 */
export class HostKeyPins {
  readonly #keys = new Map<string, Buffer>();

  /** The pinned key blob (RFC 4253 section 6.6 encoding) of `name`, if any. */
  get(name: string): Buffer | undefined {
    return this.#keys.get(name);
  }

  /** Pins `key` for `name` unless a key is already pinned. */
  set(name: string, key: Buffer): void {
    if (!this.#keys.has(name)) this.#keys.set(name, Buffer.from(key));
  }

  /** Number of pinned hosts. */
  get size(): number {
    return this.#keys.size;
  }
}

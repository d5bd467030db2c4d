import type { HostKeyPins } from './host-key-pins.js';
import type { KeyPassphrases } from './key-passphrases.js';

/** Options of `SshTransport`: where trust and configuration come from on the controller. */
export interface SshOptions {
  /** known_hosts file to verify and record host keys; default `UserKnownHostsFile` from the ssh config, else `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** Record host keys not yet in known_hosts (ssh's `StrictHostKeyChecking accept-new`); a changed key is still refused. Default false. */
  acceptNewHostKeys?: boolean;
  /** OpenSSH client config; default `~/.ssh/config`. A missing file is fine. */
  sshConfigFile?: string;
  /** ssh-agent socket path; default `process.env.SSH_AUTH_SOCK`; `''` disables the agent. */
  agent?: string;
  /** SSH-level keepalive interval in milliseconds; default the host's `converge_ssh_server_alive_interval`, else `ServerAliveInterval` from the ssh config, else 15000; 0 disables. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives after which the connection counts as lost; default the host's `converge_ssh_server_alive_count_max`, else `ServerAliveCountMax`, else 3. */
  keepaliveCountMax?: number;
  /** Milliseconds from TCP connect to authenticated; default `spec.connectTimeoutMs` (`ansible_timeout`), else `ConnectTimeout`, else 20000. */
  readyTimeoutMs?: number;
  /** Default time limit of every command in milliseconds (`ExecOptions.timeoutMs` wins); default the host's `converge_ssh_command_timeout`, else none. */
  commandTimeoutMs?: number;
  /** Host keys pinned during the run; share one between the transports of a run. Default: one per transport. */
  hostKeyPins?: HostKeyPins;
  /** Called after an unknown host key was recorded (only with `acceptNewHostKeys`), with the known_hosts name and SHA256 fingerprint. */
  onHostKeyAccepted?(host: string, fingerprint: string): void;
  /** Passphrases of encrypted key files, shared by the transports of a run (asked once per key). Default: none, no terminal. */
  passphrases?: KeyPassphrases;
  /**
   * The run's host key checking when it was turned off outside the inventory (Ansible's
   * `ANSIBLE_HOST_KEY_CHECKING=False` or `host_key_checking = False` in ansible.cfg), with where
   * it was said: the same as `ansible_host_key_checking: false` for every host that does not set
   * that var.
   */
  hostKeyChecking?: { enabled: boolean; source: string };
  /**
   * Called once per transport when host key checking of the target is off (StrictHostKeyChecking
   * no, host_key_checking false), with where that was said. converge then records unknown host
   * keys as with `acceptNewHostKeys`; a changed key is still refused.
   */
  onHostKeyCheckingRelaxed?(host: string, where: string): void;
}

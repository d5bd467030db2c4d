import type { BecomeMethod, ConnectionSpec, DataEndpoint, Playbook, Secret, Transport } from '@converge/core';
import type { Inventory } from '@converge/inventory';
import type { RunEvent } from '../report/report.js';
import type { Shard, shardHosts } from './shard.js';

/**
 * Default of {@link RunOptions.connectConcurrency}: enough handshakes in flight to hide network
 * latency to remote hosts, few enough that a burst does not starve the controller's CPU.
 */
export const DEFAULT_CONNECT_CONCURRENCY = 20;

/** Options of {@link runPlaybook}. */
export interface RunOptions {
  playbook: Playbook;
  /** Path of the playbook file: its directory is where relative `src` paths resolve; also the key of remembered handlers. */
  playbookPath: string;
  inventory: Inventory;
  /** Makes the transport of a host (the CLI gives SSH for `ssh` hosts and LocalTransport for `local`). */
  transport: (spec: ConnectionSpec) => Transport;
  check?: boolean;
  diff?: boolean;
  /** Host pattern that narrows every play's hosts (`--limit`). */
  limit?: string;
  /**
   * Runs one part of the hosts (`--shard I/N`): the hosts of the inventory (after `limit`) are
   * split into `count` parts by {@link shardHosts}, and every play runs on its hosts of part `index`.
   */
  shard?: Shard;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  /** Hosts worked on at once; default 5 as Ansible. */
  forks?: number;
  /**
   * Connections being set up at once (TCP connect, key exchange, authentication), at most
   * `forks`; default {@link DEFAULT_CONNECT_CONCURRENCY}. Handshakes cost CPU on both ends: a
   * burst of hundreds would make each take long enough to hit its connect timeout, and would
   * exceed sshd's `MaxStartups` (default 10:30:100) on a shared server or bastion.
   */
  connectConcurrency?: number;
  forceHandlers?: boolean;
  /** How many `-v` the command line gave (default 0): modules see it as `HostInfo.verbosity` (`debug`'s `verbosity`). */
  verbosity?: number;
  /** Become password for every host (`--ask-become-pass`); host vars win. */
  becomePassword?: Secret;
  /**
   * Become settings of the command line (`-b`, `--become-method`, `--become-user`): what a task
   * uses when neither it, its block, its play nor the host's vars (`ansible_become`,
   * `ansible_become_method`, `ansible_become_user`) say, as ansible-playbook's options.
   */
  becomeDefaults?: { become?: boolean; method?: BecomeMethod; user?: string };
  /**
   * Connection vars of the command line (`-u` as `ansible_user`, `--private-key`, `-c`, `-T`,
   * `--ssh-common-args`, `-k`'s password, ...): used to connect when the host's own vars (and
   * extra vars) do not set them; not visible to tasks or templates.
   */
  connectionVars?: Record<string, unknown>;
  /**
   * Checks a host's connection settings before any host is contacted (the CLI reads the ssh
   * options and config here); a throw is a problem found before contacting any host.
   */
  checkConnection?: (spec: ConnectionSpec) => void;
  /** Skip the tasks before the first task with this name (or glob), as `--start-at-task`. */
  startAtTask?: string;
  /** Where run state lives (pending handlers); default `<playbook dir>/.converge`. */
  stateDir?: string;
  onEvent?: (event: RunEvent) => void;
  /**
   * Called once every task of every host is prepared and before any host is contacted, with what
   * each host of each play will do (see {@link PreparedHostPlay}); a policy (the data-residency
   * guard) throws a `ConvergeError` to stop the run there.
   */
  beforeConnect?: (targets: PreparedHostPlay[]) => void | Promise<void>;
}

/**
 * One host of one play as prepared before any connection: the host's vars for the play
 * (inventory vars with `group_vars`/`host_vars`, play vars, extra vars) and its tasks whose
 * modules declare the endpoints they send data to, with those endpoints (`undefined` when the
 * params are known only after connecting: they read facts or registered results).
 */
export interface PreparedHostPlay {
  play: string;
  host: string;
  vars: Record<string, unknown>;
  tasks: { name: string; module: string; endpoints: DataEndpoint[] | undefined }[];
}

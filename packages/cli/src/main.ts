import { readFileSync } from 'node:fs';
import { dirname, join as joinPath, resolve as resolvePath } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { ConnectionSpec, Secret, Transport } from '@converge/core';
import { ConvergeError, formatLocation, isConvergeError, maskText, secret } from '@converge/core/lean';
import { registerAudit } from './commands/audit.js';
import { ExitCode } from './exit-codes.js';
import { registerVault, vaultSecretsFrom } from './commands/vault.js';
import { registerExplain } from './commands/explain.js';
import { registerRender } from './commands/render.js';
import { controlPersistMs, registerControl } from './commands/control.js';
import { registerReport } from './commands/report.js';
import { registerValidate } from './commands/validate.js';
import { registerInit } from './commands/init.js';
import { loadCliInventory } from './inventory-sources.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface RunFlags {
  inventory?: string[];
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: string[];
  forks: string;
  output: 'pretty' | 'json' | 'junit';
  forceHandlers?: boolean;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
  failOnChange?: boolean;
  /** How many times -v was given (-vvv counts three). */
  verbose?: number;
  stateDir?: string;
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
  log?: string;
  auditLog?: string;
  auditSyslog?: string[];
  auditSyslogFacility?: string;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  startAtTask?: string;
  refreshInventory?: boolean;
  dataResidency?: string;
  become?: boolean;
  becomeMethod?: string;
  becomeUser?: string;
  user?: string;
  privateKey?: string;
  privateKeyPassphraseFile?: string;
  askPass?: boolean;
  connectionPasswordFile?: string;
  connection?: string;
  timeout?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  controlPersist?: string;
  shard?: string;
  reportFile?: string;
  flushCache?: boolean;
  step?: boolean;
  syntaxCheck?: boolean;
  modulePath?: string;
  scpExtraArgs?: string;
  sftpExtraArgs?: string;
  typeCheck?: boolean;
}

/**
 * ansible-playbook's other names for its options (Ansible 2.14 `ansible-playbook --help`),
 * rewritten to converge's before parsing.
 */
const FLAG_ALIASES: Readonly<Record<string, string>> = {
  '--inventory-file': '--inventory',
  '--key-file': '--private-key',
  '--vault-pass-file': '--vault-password-file',
  '--ask-vault-password': '--ask-vault-pass',
  '--become-pass-file': '--become-password-file',
  '--conn-pass-file': '--connection-password-file',
};

/** ansible-playbook options converge has no form for, with why: refused with that message (never ignored). */
const UNSUPPORTED_FLAGS: Readonly<Record<string, { flag: string; why: string }>> = {
  flushCache: { flag: '--flush-cache', why: 'converge keeps no fact cache between runs: facts are probed on every run' },
  step: { flag: '--step', why: 'converge has no interactive step mode; use --check --diff to see each change first' },
  syntaxCheck: { flag: '--syntax-check', why: 'use converge validate -i INVENTORY PLAYBOOK.ts, which type-checks the playbook and checks every host\'s vars and every task\'s params without contacting a host' },
  modulePath: { flag: '--module-path', why: 'converge modules are TypeScript imports in the playbook, not files on a search path' },
  scpExtraArgs: { flag: '--scp-extra-args', why: 'converge copies files over its own SSH connection (no scp program); put ssh options in --ssh-common-args' },
  sftpExtraArgs: { flag: '--sftp-extra-args', why: 'converge copies files over its own SSH connection (no sftp program); put ssh options in --ssh-common-args' },
};

/** Connection types of `-c`/`ansible_connection` converge has (paramiko and smart are SSH). */
const CONNECTIONS = ['ssh', 'local', 'smart', 'paramiko', 'ansible.builtin.ssh', 'ansible.builtin.local', 'ansible.builtin.paramiko_ssh'];

/** Rewrites ansible-playbook's option aliases (`--key-file`, `--vault-pass-file=F`, ...) to converge's names, up to `--`. */
function normaliseAliases(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => {
    if (end >= 0 && i >= end) return a;
    const [name, ...rest] = a.split('=');
    const canonical = FLAG_ALIASES[name as string];
    return canonical === undefined ? a : [canonical, ...rest].join('=');
  });
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
// The names of SYSLOG_FACILITIES (@converge/core), listed here to keep the full core out of startup.
const SYSLOG_FACILITY_NAMES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
const collectList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
/** `-v` counts: `-vvv` (or `-v -v -v`) is 3, as ansible-playbook's verbosity. */
const countVerbosity = (_v: string, prev: number) => prev + 1;

/**
 * Runs the `converge` command line and resolves with its exit code (see {@link ExitCode}).
 * Never throws: errors are printed to stderr (secrets masked) and mapped to exit codes.
 */
export async function main(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let code: number = ExitCode.ok;
  const program = new Command('converge')
    .description('Agentless configuration: converge hosts over SSH to the state a TypeScript playbook declares.')
    .version(VERSION, '--version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError();

  program
    .command('run', { isDefault: true })
    .description('run a playbook (default command): converge -i INVENTORY PLAYBOOK.ts')
    .argument('<playbook>', 'TypeScript or JavaScript playbook that default-exports definePlaybook([...])')
    .option('-i, --inventory <path>', 'inventory file or directory (INI, YAML, .ts); repeatable', collect)
    .option('-C, --check', 'check mode: change nothing, report what would change')
    .option('-D, --diff', 'show diffs of files and before/after of attributes')
    .option('-l, --limit <pattern>', 'further limit the hosts (Ansible pattern)')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated, repeatable)', collectList)
    .option('--skip-tags <tags>', 'skip tasks with these tags', collectList)
    .option('-e, --extra-vars <vars>', 'key=value, a JSON/YAML mapping, or @file; repeatable', collect)
    .option('-f, --forks <n>', 'hosts worked on at once', '5')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['pretty', 'json', 'junit']).default('pretty'))
    .option('--force-handlers', 'run notified handlers even when a task fails')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts (a changed key is always refused)')
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option('-K, --ask-become-pass', 'ask for the become (sudo/su) password')
    .option('--become-password-file <file>', 'read the become password from FILE (its first line), keeping it out of the process list')
    .option('--fail-on-change', `with --check: exit ${ExitCode.changesPending} when changes are pending`)
    .option('-v, --verbose', 'also show why unchanged tasks are ok, and command output; repeat (-vv) for debug tasks with a verbosity', countVerbosity, 0)
    .option('--state-dir <dir>', 'where converge keeps run state (default <playbook dir>/.converge)')
    .option('--log <file>', 'append every run event to FILE as JSON lines (secrets masked)')
    .option('--audit-log <file>', 'audit log to append to (default <state dir>/audit.jsonl)')
    .addOption(
      new Option('--audit-syslog <destination>', 'also send each audit record to syslog: local (/dev/log, read by journald), unix:SOCKET, udp://HOST[:PORT] or tcp://HOST[:PORT] (RFC 5424); repeatable, comma-separated')
        .argParser(collectList)
        .env('CONVERGE_AUDIT_SYSLOG'),
    )
    .addOption(new Option('--audit-syslog-facility <facility>', 'syslog facility of audit records').choices(SYSLOG_FACILITY_NAMES).default('authpriv').env('CONVERGE_AUDIT_SYSLOG_FACILITY'))
    .option('--vault-id <label@source>', 'vault password: LABEL@FILE, LABEL@SCRIPT or LABEL@prompt; repeatable', collect)
    .option('--vault-password-file <file>', 'vault password file, or an executable that prints it; repeatable', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password')
    .option('--list-hosts', 'list the hosts of each play (after --limit) and stop; no host is contacted')
    .option('--list-tasks', 'list the tasks of each play (after --tags/--skip-tags) and stop; no host is contacted')
    .option('--list-tags', 'list the tags of each play and its tasks and stop; no host is contacted')
    .option('--start-at-task <name>', 'start at the first task with this name (a glob may be used); earlier tasks do not run')
    .option('--type-check', 'type-check the playbook with the TypeScript compiler before anything else, as converge validate does (about 2 s)')
    .option('--refresh-inventory', 'read cloud inventory sources again even when their cache is fresh')
    .addOption(new Option('--data-residency <policy>', 'check before connecting that every host and every endpoint tasks send data to is in the EU (the var dataResidency)').choices(['eu']))
    .option('-b, --become', 'run tasks with become (sudo unless --become-method); a play, task or ansible_become says otherwise')
    .option('--become-method <method>', 'how to become another user: sudo (default) or su; plays, tasks and ansible_become_method win')
    .option('--become-user <user>', 'the user to become (default root); plays, tasks and ansible_become_user win')
    .option('-u, --user <user>', 'connect as this user when the inventory sets no ansible_user')
    .option('--private-key <file>', 'private key file when the inventory sets no ansible_ssh_private_key_file (also --key-file)')
    .option('--private-key-passphrase-file <file>', 'read the passphrase of encrypted private keys from FILE (its first line); otherwise it is asked on the terminal, once per key')
    .option('-k, --ask-pass', 'ask for the connection (SSH) password')
    .option('--connection-password-file <file>', 'read the connection (SSH) password from FILE (its first line) (also --conn-pass-file)')
    .option('-c, --connection <type>', 'connection type when the inventory sets no ansible_connection: ssh (smart, paramiko) or local')
    .option('-T, --timeout <seconds>', 'connect timeout in seconds when the inventory sets no ansible_timeout (default 10)')
    .option('--ssh-common-args <args>', 'ssh options (-o Key=Value, -J, -F, ...) when the inventory sets no ansible_ssh_common_args')
    .option('--ssh-extra-args <args>', 'more ssh options when the inventory sets no ansible_ssh_extra_args')
    .addOption(
      new Option('--control-persist <seconds>', "keep each host's SSH connection and login shell open this long after the run, for the next run to reuse (a control process private to you; see converge control)").env(
        'CONVERGE_CONTROL_PERSIST',
      ),
    )
    .option('--shard <I/N>', 'run part I of N of the hosts (split by the sha256 of their names): one controller per part; each keeps its own state dir, audit log and report (see converge report merge)')
    .option('--report-file <file>', 'also write the JSON report (as --output json) to FILE, atomically, whatever --output says')
    .addOption(new Option('--flush-cache').hideHelp())
    .addOption(new Option('--step').hideHelp())
    .addOption(new Option('--syntax-check').hideHelp())
    .addOption(new Option('-M, --module-path <path>').hideHelp())
    .addOption(new Option('--scp-extra-args <args>').hideHelp())
    .addOption(new Option('--sftp-extra-args <args>').hideHelp())
    .action(async (playbookPath: string, flags: RunFlags) => {
      code = await runCommand(playbookPath, flags, stdout, stderr);
    });

  registerAudit(program, stdout);

  program
    .command('inventory')
    .description('print an inventory as ansible-inventory does')
    .requiredOption('-i, --inventory <path>', 'inventory file or directory; repeatable', collect)
    .option('--list', 'print every group and host var as JSON (default)')
    .option('--host <host>', 'print the vars of one host as JSON')
    .option('--graph [group]', 'print the groups and hosts as a tree, from all or from GROUP')
    .option('--refresh-inventory', 'read cloud inventory sources again even when their cache is fresh')
    .option('--vault-id <label@source>', 'vault password: LABEL@FILE, LABEL@SCRIPT or LABEL@prompt; repeatable', collect)
    .option('--vault-password-file <file>', 'vault password file, or an executable that prints it; repeatable', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password')
    .action(async (flags: { inventory: string[]; host?: string; graph?: string | boolean; refreshInventory?: boolean; vaultId?: string[]; vaultPasswordFile?: string[]; askVaultPass?: boolean }) => {
      const [{ hostVars, toAnsibleList, toAnsibleGraph }, { maskValue }] = await Promise.all([import('@converge/inventory'), import('@converge/core')]);
      const inv = await loadCliInventory(flags.inventory, { vaultSecrets: await vaultSecretsFrom(flags), refresh: flags.refreshInventory === true, stderr });
      if (flags.host) {
        if (!inv.hosts.has(flags.host)) throw new ConvergeError('CONVERGE_OPTIONS', `host ${flags.host} is not in the inventory`);
        stdout.write(`${JSON.stringify(maskValue(hostVars(inv, flags.host)), null, 4)}\n`);
      } else if (flags.graph !== undefined) {
        const group = typeof flags.graph === 'string' ? flags.graph : 'all';
        if (!inv.groups.has(group)) throw new ConvergeError('CONVERGE_OPTIONS', `group ${group} is not in the inventory`);
        stdout.write(`${maskText(toAnsibleGraph(inv, group))}\n`);
      } else stdout.write(`${JSON.stringify(maskValue(toAnsibleList(inv)), null, 4)}\n`);
    });

  program
    .command('facts')
    .description('print the facts of hosts as JSON')
    .requiredOption('-i, --inventory <path>', 'inventory file or directory; repeatable', collect)
    .argument('<pattern>', 'host or pattern')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts')
    .option('--known-hosts <file>', 'known_hosts file')
    .option('--refresh-inventory', 'read cloud inventory sources again even when their cache is fresh')
    .action(async (pattern: string, flags: { inventory: string[]; acceptNewHostKeys?: boolean; knownHosts?: string; refreshInventory?: boolean }) => {
      const [{ connectionSpec, probe }, { hostFacts }, { hostVars, selectHosts }] = await Promise.all([import('@converge/engine'), import('@converge/core'), import('@converge/inventory')]);
      const inv = await loadCliInventory(flags.inventory, { refresh: flags.refreshInventory === true, stderr });
      const hosts = selectHosts(inv, pattern);
      if (hosts.length === 0) throw new ConvergeError('CONVERGE_OPTIONS', `no host matches ${JSON.stringify(pattern)}`);
      const { make } = await transportFactory(flags);
      const out: Record<string, unknown> = {};
      for (const host of hosts) {
        const t = make(connectionSpec(host, hostVars(inv, host)));
        try {
          await t.connect();
          const res = await probe(t, [hostFacts({})]);
          const r = [...res.values()][0];
          out[host] = r?.ok ? r.value : { error: r?.error.message };
        } catch (e) {
          out[host] = { unreachable: maskText((e as Error).message) };
          code = ExitCode.unreachable;
        } finally {
          await t.close();
        }
      }
      stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });

  registerVault(program, { stdout, stderr });
  registerExplain(program, { stdout, stderr });
  registerRender(program, { stdout, stderr });
  registerControl(program, { stdout });
  registerReport(program, { stdout, setCode: (c) => (code = c) });
  registerValidate(program, { stdout, stderr, setExitCode: (c) => (code = c) });
  registerInit(program, { stdout, stderr, version: VERSION });

  try {
    await program.parseAsync(normaliseAliases(argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.version' || e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return ExitCode.ok;
      return ExitCode.badOptions;
    }
    return reportError(e, stderr);
  }
  return code;
}

/**
 * Writes `<state dir>/<playbook>.retry` when hosts failed, were unreachable or were stopped, and
 * says how to use it, as ansible-playbook's retry files. A file that cannot be written is a
 * warning, not a failed run.
 */
async function writeRetry(
  report: import('@converge/engine').RunReport,
  playbookPath: string,
  flags: RunFlags,
  out: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<void> {
  const { writeRetryFile } = await import('@converge/engine');
  const stateDir = flags.stateDir ? resolvePath(flags.stateDir) : joinPath(dirname(resolvePath(playbookPath)), '.converge');
  try {
    const file = await writeRetryFile(stateDir, playbookPath, report);
    if (file) out.write(`to retry, use: --limit @${file}\n`);
  } catch (e) {
    stderr.write(`converge: warning: could not write the retry file: ${maskText((e as Error).message)}\n`);
  }
}

function reportError(e: unknown, stderr: NodeJS.WritableStream): number {
  if (isConvergeError(e)) {
    // The message, detail and hint may hold data (a value, a host's stderr): masked; the frame
    // and the location (a path the user gave) are converge's and the user's own words.
    let text = `converge: error [${e.code}] ${maskText(e.message)}`;
    if (e.location) text += `\n  at ${formatLocation(e.location)}`;
    if (e.detail) text += `\n  ${maskText(e.detail).split('\n').join('\n  ')}`;
    if (e.hint) text += `\n  hint: ${maskText(e.hint)}`;
    stderr.write(`${text}\n`);
    if (['CONVERGE_PARAMS', 'CONVERGE_TEMPLATE', 'CONVERGE_PLAYBOOK', 'CONVERGE_INVENTORY', 'CONVERGE_VARS', 'CONVERGE_RESIDENCY', 'CONVERGE_VAULT'].includes(e.code)) return ExitCode.parseError;
    if (e.code === 'CONVERGE_UNAVAILABLE') return ExitCode.serviceUnavailable;
    if (e.code === 'CONVERGE_OPTIONS') return ExitCode.badOptions;
    return ExitCode.error;
  }
  const err = e as Error;
  stderr.write(`converge: internal error: ${maskText(err?.stack ?? String(e))}\n`);
  return ExitCode.error;
}

/** What the command line says about reaching hosts over SSH. */
interface ReachOptions {
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  /** Ansible's host_key_checking from the environment or ansible.cfg, when it is off. */
  hostKeyChecking?: { enabled: boolean; source: string };
  passphrases?: import('@converge/ssh').KeyPassphrases;
  /** `--private-key-passphrase-file`, for the control process (which cannot ask on a terminal). */
  passphrase?: Secret;
  onHostKeyCheckingRelaxed?: (host: string, where: string) => void;
  /** `--control-persist` in ms: SSH connections are kept by the control process between runs. */
  controlPersistMs?: number;
}

/** The transports of a run (SSH, or local for `ansible_connection=local`), and the check of a host's SSH settings before any host is contacted. */
async function transportFactory(flags: ReachOptions): Promise<{ make: (spec: ConnectionSpec) => Transport; check: (spec: ConnectionSpec) => void }> {
  const { LocalTransport } = await import('@converge/core');
  const { HostKeyPins, SshTransport, checkSshConnection } = await import('@converge/ssh');
  // One pin set per run: a host (or jump host) must show the same key on every connection.
  const hostKeyPins = new HostKeyPins();
  const options: import('@converge/ssh').SshOptions = {
    hostKeyPins,
    ...(flags.knownHosts ? { knownHostsFile: flags.knownHosts } : {}),
    ...(flags.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
    ...(flags.hostKeyChecking ? { hostKeyChecking: flags.hostKeyChecking } : {}),
    ...(flags.passphrases ? { passphrases: flags.passphrases } : {}),
    ...(flags.onHostKeyCheckingRelaxed ? { onHostKeyCheckingRelaxed: flags.onHostKeyCheckingRelaxed } : {}),
  };
  if (flags.controlPersistMs !== undefined) {
    // Connections kept between runs by the control process; what makes them travels with each attach.
    const [{ ControlledTransport, defaultControlDir }, { startControlProcess }] = await Promise.all([import('@converge/ssh'), import('./commands/control.js')]);
    const dir = defaultControlDir();
    const persistMs = flags.controlPersistMs;
    const control = {
      ...(flags.knownHosts ? { knownHostsFile: flags.knownHosts } : {}),
      ...(flags.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
      ...(flags.hostKeyChecking ? { hostKeyChecking: flags.hostKeyChecking } : {}),
      ...(process.env['SSH_AUTH_SOCK'] ? { agent: process.env['SSH_AUTH_SOCK'] } : {}),
      ...(flags.passphrase ? { passphrase: flags.passphrase } : {}),
    };
    return {
      make: (spec) => (spec.connection === 'local' ? new LocalTransport(spec.host) : new ControlledTransport(spec, control, persistMs, { dir, start: () => startControlProcess(dir) })),
      check: (spec) => {
        if (spec.connection === 'ssh') checkSshConnection(spec, options);
      },
    };
  }
  return {
    make: (spec) => (spec.connection === 'local' ? new LocalTransport(spec.host) : new SshTransport(spec, options)),
    check: (spec) => {
      if (spec.connection === 'ssh') checkSshConnection(spec, options);
    },
  };
}

async function askPassword(prompt: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const rlAny = rl as unknown as { _writeToOutput: (s: string) => void };
  let muted = false;
  rlAny._writeToOutput = (s: string) => {
    if (!muted) process.stderr.write(s);
  };
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

async function runCommand(playbookArg: string, flags: RunFlags, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  const forks = Number(flags.forks);
  if (!Number.isInteger(forks) || forks < 1) {
    stderr.write(`converge: --forks must be a whole number >= 1 (got ${JSON.stringify(flags.forks)})\n`);
    return ExitCode.badOptions;
  }
  if (flags.failOnChange && !flags.check) {
    stderr.write('converge: --fail-on-change goes with --check\n');
    return ExitCode.badOptions;
  }
  if (!flags.inventory || flags.inventory.length === 0) {
    stderr.write('converge: give an inventory with -i INVENTORY\n');
    return ExitCode.badOptions;
  }
  for (const [key, { flag, why }] of Object.entries(UNSUPPORTED_FLAGS)) {
    if (flags[key as keyof RunFlags] !== undefined) {
      stderr.write(`converge: ${flag} is not supported: ${why}\n`);
      return ExitCode.badOptions;
    }
  }
  const optionError = checkReachFlags(flags);
  if (optionError) {
    stderr.write(`converge: ${optionError}\n`);
    return ExitCode.badOptions;
  }
  if (flags.listHosts || flags.listTasks || flags.listTags) {
    try {
      const { listPlaybook } = await import('@converge/engine');
      const { loadPlaybook } = await import('./load-playbook.js');
      const inventory = await loadCliInventory(flags.inventory, { vaultSecrets: await vaultSecretsFrom(flags), refresh: flags.refreshInventory === true, stderr });
      const { playbook } = await loadPlaybook(playbookArg);
      stdout.write(
        listPlaybook(playbook, playbookArg, inventory, {
          hosts: flags.listHosts === true,
          tasks: flags.listTasks === true,
          tags: flags.listTags === true,
          ...(flags.limit ? { limit: flags.limit } : {}),
          ...(flags.tags ? { selectTags: flags.tags } : {}),
          ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
        }),
      );
      return ExitCode.ok;
    } catch (e) {
      return reportError(e, stderr);
    }
  }
  let shard: import('@converge/engine').Shard | undefined;
  if (flags.shard !== undefined) {
    try {
      shard = (await import('@converge/engine/connection')).parseShard(flags.shard);
    } catch (e) {
      return reportError(e, stderr);
    }
    // Each part keeps its own state (pending handlers, retry file) and audit log: parts run at once.
    flags.stateDir ??= joinPath(dirname(resolvePath(playbookArg)), '.converge', `shard-${shard.index}-of-${shard.count}`);
  }
  let audit: import('./audit/audit-log.js').AuditLog | undefined;
  let early: import('./preconnect.js').EarlyConnections | undefined;
  let eventLog: import('./audit/event-log.js').EventLog | undefined;
  let syslogSinks: import('./audit/syslog-sink.js').SyslogSink[] = [];
  // A signal stops the run at once, as ansible-playbook does, but first records it: the audit log
  // gets a run-end `interrupted` with the tasks still running, both logs are flushed to disk.
  const onSignal = (signal: NodeJS.Signals): void => {
    try {
      audit?.interrupted(signal);
      eventLog?.close();
    } finally {
      stderr.write(`converge: interrupted by ${signal}; tasks still running on hosts were not waited for${audit ? ` (recorded in ${audit.path})` : ''}\n`);
      process.exit(ExitCode.interrupted);
    }
  };
  if (flags.typeCheck) {
    const typeCode = await typeCheckFirst(playbookArg, stderr);
    if (typeCode !== ExitCode.ok) return typeCode;
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    // The engine (and the template engine it brings) loads after the early connections have started.
    const [{ AuditLog }, { SyslogSink, parseSyslogDestination }, { openEventLog }, { resolveVaultLookups }, { defaultAuditLogPath }] = await Promise.all([
      import('./audit/audit-log.js'),
      import('./audit/syslog-sink.js'),
      import('./audit/event-log.js'),
      import('./vault/resolve.js'),
      import('./commands/audit.js'),
    ]);
    const auditPath = flags.auditLog ?? defaultAuditLogPath(playbookArg, flags.stateDir);
    const destinations = (flags.auditSyslog ?? []).map(parseSyslogDestination);
    syslogSinks = destinations.map((d) =>
      SyslogSink.start(d, {
        facility: (flags.auditSyslogFacility ?? 'authpriv') as import('./audit/syslog-sink.js').SyslogFacility,
        onError: (message) => {
          stderr.write(`converge: warning: ${maskText(message)}; the audit log ${auditPath} keeps every record\n`);
          audit?.sinkFailed(message);
        },
      }),
    );
    audit = AuditLog.open(
      auditPath,
      {
        playbookPath: resolvePath(playbookArg),
        inventoryPaths: flags.inventory,
        check: flags.check === true,
        diff: flags.diff === true,
        ...(flags.limit ? { limit: flags.limit } : {}),
        ...(flags.tags ? { tags: flags.tags } : {}),
        ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
        ...(shard ? { shard } : {}),
      },
      syslogSinks,
    );
    if (flags.log) eventLog = openEventLog(flags.log);
    const { loadPlaybook } = await import('./load-playbook.js');
    const vaultSecrets = await vaultSecretsFrom(flags);
    const inventory = await loadCliInventory(flags.inventory, { vaultSecrets, refresh: flags.refreshInventory === true, stderr });
    // the parser (and the YAML library it brings) is loaded only when there are extra vars
    const extraVars: Record<string, unknown> = flags.extraVars?.length ? (await import('./extra-vars.js')).parseExtraVars(flags.extraVars, vaultSecrets) : {};
    if (flags.dataResidency) extraVars['dataResidency'] = flags.dataResidency;
    audit.setExtraVarNames(Object.keys(extraVars));
    const reach = await reachSettings(flags, stderr, (host, source) => audit?.hostKeyCheckingOff(host, source));
    let becomePassword: Secret | undefined;
    if (flags.askBecomePass) becomePassword = secret(await askPassword('BECOME password: '));
    else if (flags.becomePasswordFile !== undefined) becomePassword = secret(readPasswordFile(flags.becomePasswordFile, '--become-password-file'));
    if (flags.askPass) reach.connectionVars.ansible_password = secret(await askPassword('SSH password: '));
    else if (flags.connectionPasswordFile !== undefined) reach.connectionVars.ansible_password = secret(readPasswordFile(flags.connectionPasswordFile, '--connection-password-file'));
    const transports = await transportFactory(reach.options);
    // The hosts the last run of this same playbook reached are connected while it loads.
    const stateDir = flags.stateDir ? resolvePath(flags.stateDir) : joinPath(dirname(resolvePath(playbookArg)), '.converge');
    const { EarlyConnections, fileSha256, recordWarmHosts, warmHosts } = await import('./preconnect.js');
    let playbookSha256: string | undefined;
    try {
      playbookSha256 = fileSha256(resolvePath(playbookArg));
    } catch {
      /* loadPlaybook says why */
    }
    early = new EarlyConnections();
    if (playbookSha256) {
      const [{ connectionSpec, shardHosts, DEFAULT_CONNECT_CONCURRENCY }, { hostVars, selectHosts }] = await Promise.all([import('@converge/engine/connection'), import('@converge/inventory')]);
      let hosts = warmHosts(stateDir, playbookSha256).filter((h) => inventory.hosts.has(h));
      if (hosts.length > 0 && flags.limit) {
        const limited = new Set(selectHosts(inventory, flags.limit));
        hosts = hosts.filter((h) => limited.has(h));
      }
      if (hosts.length > 0 && shard) {
        const part = shardHosts(flags.limit ? selectHosts(inventory, flags.limit) : inventory.hosts.keys(), shard);
        hosts = hosts.filter((h) => part.has(h));
      }
      const specs = hosts.slice(0, Math.min(forks, DEFAULT_CONNECT_CONCURRENCY)).flatMap((h) => {
        try {
          return [connectionSpec(h, { ...reach.connectionVars, ...hostVars(inventory, h), ...extraVars })];
        } catch {
          return [];
        }
      });
      early.start(specs, transports.make, transports.check);
    }
    const { playbook, path } = await loadPlaybook(playbookArg);
    await resolveVaultLookups([playbook, inventory, extraVars]);
    const cache = (await import('./cache-dir.js')).convergeCacheDir();
    (await import('@converge/core')).enableValidatorCache(cache === undefined ? undefined : joinPath(cache, 'validators'));
    const pretty = flags.output === 'pretty' ? new (await import('./output/pretty.js')).PrettyReporter(stdout as NodeJS.WritableStream & { isTTY?: boolean }, { verbose: (flags.verbose ?? 0) > 0 }) : undefined;
    const { runPlaybook } = await import('@converge/engine');
    const report = await runPlaybook({
      playbook,
      playbookPath: path,
      inventory,
      transport: (spec) => early?.take(spec) ?? transports.make(spec),
      checkConnection: transports.check,
      connectionVars: reach.connectionVars,
      ...(reach.becomeDefaults ? { becomeDefaults: reach.becomeDefaults } : {}),
      check: flags.check === true,
      diff: flags.diff === true,
      ...(flags.limit ? { limit: flags.limit } : {}),
      ...(flags.tags ? { tags: flags.tags } : {}),
      ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
      extraVars,
      forks,
      forceHandlers: flags.forceHandlers === true,
      verbosity: flags.verbose ?? 0,
      ...(becomePassword ? { becomePassword } : {}),
      ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
      ...(flags.startAtTask !== undefined ? { startAtTask: flags.startAtTask } : {}),
      ...(shard ? { shard } : {}),
      beforeConnect: async (targets) => {
        // The guard only reads targets with a dataResidency var (checkResidency): without one, its package is not loaded.
        if (!targets.some((t) => ![undefined, null, false, ''].includes(t.vars['dataResidency'] as never))) return;
        const { assertResidency } = await import('@converge/cloud-inventory');
        const { hostVars } = await import('@converge/inventory');
        assertResidency(targets, { hosts: new Map([...inventory.hosts.keys()].map((h) => [h, hostVars(inventory, h)])) });
      },
      onEvent: (e) => {
        eventLog?.onEvent(e);
        audit?.onEvent(e);
        pretty?.onEvent(e);
        if (!pretty && e.type === 'warning') stderr.write(`converge: warning: ${maskText(e.message)}\n`);
      },
    });
    if (flags.output === 'json' || flags.reportFile !== undefined) {
      const json = (await import('./output/json.js')).renderJson(report, audit.facts());
      if (flags.output === 'json') stdout.write(json);
      if (flags.reportFile !== undefined) await (await import('@converge/core')).atomicWrite(resolvePath(flags.reportFile), json);
    }
    if (flags.output === 'junit') stdout.write((await import('./output/junit.js')).renderJunit(report));
    const rows = Object.values(report.summary);
    await writeRetry(report, path, flags, flags.output === 'pretty' ? stdout : stderr, stderr);
    // ansible-playbook: unreachable hosts (4) before failed ones (2), as its strategy's run() returns.
    const [exit, result] = rows.some((s) => s.unreachable > 0)
      ? [ExitCode.unreachable, 'unreachable' as const]
      : rows.some((s) => s.failed > 0) || (report.stopped?.length ?? 0) > 0
        ? [ExitCode.hostFailed, 'failed' as const]
        : flags.failOnChange && rows.some((s) => s.changed > 0 || s.unknown > 0)
          ? [ExitCode.changesPending, 'changes-pending' as const]
          : [ExitCode.ok, 'ok' as const];
    audit.end({ report, result });
    const reached = Object.entries(report.summary).filter(([, s]) => s.unreachable === 0).map(([h]) => h);
    if (playbookSha256 && reached.length > 0) await recordWarmHosts(stateDir, playbookSha256, reached);
    return exit;
  } catch (e) {
    audit?.end({ error: e });
    return reportError(e, stderr);
  } finally {
    await early?.close();
    for (const s of signals) process.off(s, onSignal);
    eventLog?.close();
    // every record has been handed to logger; wait until it has sent them
    await Promise.all(syslogSinks.map((sink) => sink.close()));
  }
}

/**
 * `--type-check`: the playbook's TypeScript errors (file:line:column), before the inventory is read
 * or any host contacted; exit code 4 (a parse error) when there are any.
 */
async function typeCheckFirst(playbookArg: string, stderr: NodeJS.WritableStream): Promise<number> {
  try {
    const { typeCheckPlaybook, formatTypeProblem } = await import('./type-check.js');
    const { problems } = typeCheckPlaybook(playbookArg);
    for (const p of problems) stderr.write(`${maskText(formatTypeProblem(p))}\n`);
    if (problems.length === 0) return ExitCode.ok;
    stderr.write(`converge: ${problems.length} type error${problems.length === 1 ? '' : 's'} in ${playbookArg}; no host was contacted\n`);
    return ExitCode.parseError;
  } catch (e) {
    return reportError(e, stderr);
  }
}

/** The first line of a password file (a trailing newline is not part of the password). */
function readPasswordFile(file: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConvergeError('CONVERGE_OPTIONS', `${option}: cannot read ${file}: ${(e as Error).message}`, { location: { file } });
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '') throw new ConvergeError('CONVERGE_OPTIONS', `${option}: ${file} is empty`, { location: { file } });
  return first;
}

/** Checks the values of the connection and become flags; the message of the first problem, else undefined. */
function checkReachFlags(flags: RunFlags): string | undefined {
  if (flags.timeout !== undefined && !(Number(flags.timeout) > 0)) return `--timeout must be a number of seconds > 0 (got ${JSON.stringify(flags.timeout)})`;
  if (flags.connection !== undefined && !CONNECTIONS.includes(flags.connection)) {
    return `--connection ${flags.connection} is not supported: converge connects with ssh (also for smart and paramiko) or local`;
  }
  if (flags.becomeMethod !== undefined && flags.becomeMethod !== 'sudo' && flags.becomeMethod !== 'su') {
    return `--become-method ${flags.becomeMethod} is not supported: converge becomes another user with sudo or su`;
  }
  if (flags.askPass && flags.connectionPasswordFile !== undefined) return '--ask-pass and --connection-password-file exclude each other';
  if (flags.askBecomePass && flags.becomePasswordFile !== undefined) return '--ask-become-pass and --become-password-file exclude each other';
  return undefined;
}

/**
 * What the command line, the environment and ansible.cfg say about reaching hosts: the
 * connection vars under the inventory's (`-u`, `--private-key`, `-c`, `-T`, ssh arguments),
 * become defaults, and the SSH transport's options. ssh arguments from the command line, the
 * environment or ansible.cfg are checked here, naming where they were written. Prints the
 * configuration's warnings; `onRelaxed` records each host connected with host key checking off.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for an ssh option converge does not support, an
 * unreadable passphrase file or ansible.cfg.
 */
async function reachSettings(
  flags: RunFlags,
  stderr: NodeJS.WritableStream,
  onRelaxed: (host: string, source: string) => void,
): Promise<{ connectionVars: Record<string, unknown>; becomeDefaults?: import('@converge/engine').RunOptions['becomeDefaults']; options: ReachOptions }> {
  const { KeyPassphrases, parseSshArgs } = await import('@converge/ssh');
  const { READ_ENV, readAnsibleSshSettings } = await import('./ansible-config.js');
  const ansible = readAnsibleSshSettings();
  for (const w of ansible.warnings) stderr.write(`converge: warning: ${w}\n`);
  if (ansible.unreadEnv.length > 0) {
    stderr.write(
      `converge: warning: converge reads only ${READ_ENV.join(', ')} from the environment; not read: ${ansible.unreadEnv.join(', ')} (give converge's flag or inventory var instead: docs/coming-from-ansible.md)\n`,
    );
  }
  if (ansible.configFile && ansible.configFile.unread.length > 0) {
    stderr.write(
      `converge: warning: ${ansible.configFile.path}: converge reads only host_key_checking, ssh_args, ssh_common_args and ssh_extra_args from ansible.cfg; not read: ${ansible.configFile.unread.join(', ')}\n`,
    );
  }
  const vars: Record<string, unknown> = {};
  const args = (name: string, value: string | undefined, source: string) => {
    if (value === undefined) return;
    parseSshArgs(value, { where: source, code: 'CONVERGE_OPTIONS' });
    vars[name] = value;
  };
  if (ansible.sshArgs) args('ansible_ssh_args', ansible.sshArgs.value, ansible.sshArgs.source);
  const common = flags.sshCommonArgs !== undefined ? { value: flags.sshCommonArgs, source: '--ssh-common-args' } : ansible.sshCommonArgs;
  if (common) args('ansible_ssh_common_args', common.value, common.source);
  const extra = flags.sshExtraArgs !== undefined ? { value: flags.sshExtraArgs, source: '--ssh-extra-args' } : ansible.sshExtraArgs;
  if (extra) args('ansible_ssh_extra_args', extra.value, extra.source);
  if (flags.user !== undefined) vars.ansible_user = flags.user;
  if (flags.privateKey !== undefined) vars.ansible_ssh_private_key_file = flags.privateKey;
  if (flags.connection !== undefined) vars.ansible_connection = flags.connection;
  if (flags.timeout !== undefined) vars.ansible_timeout = Number(flags.timeout);
  const becomeDefaults = {
    ...(flags.become ? { become: true } : {}),
    ...(flags.becomeMethod !== undefined ? { method: flags.becomeMethod as import('@converge/core').BecomeMethod } : {}),
    ...(flags.becomeUser !== undefined ? { user: flags.becomeUser } : {}),
  };
  const passphrase = flags.privateKeyPassphraseFile !== undefined ? secret(readPasswordFile(flags.privateKeyPassphraseFile, '--private-key-passphrase-file')) : undefined;
  const warned = new Set<string>();
  const options: ReachOptions = {
    ...(flags.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
    ...(flags.knownHosts ? { knownHosts: flags.knownHosts } : {}),
    ...(ansible.hostKeyChecking && !ansible.hostKeyChecking.value ? { hostKeyChecking: { enabled: false, source: ansible.hostKeyChecking.source } } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(flags.controlPersist !== undefined ? { controlPersistMs: controlPersistMs(flags.controlPersist) } : {}),
    passphrases: new KeyPassphrases({
      ...(passphrase ? { passphrase } : {}),
      ...(process.stdin.isTTY ? { ask: (prompt: string) => askPassword(prompt) } : {}),
    }),
    onHostKeyCheckingRelaxed: (host, source) => {
      onRelaxed(host, source);
      const kind = source.replace(/ of host \S+$/, '');
      if (warned.has(kind)) return;
      warned.add(kind);
      stderr.write(
        `converge: warning: host key checking is off (${kind}): unknown host keys are recorded without being checked, as with --accept-new-host-keys; a changed host key is still refused (recorded in the audit log)\n`,
      );
    },
  };
  return { connectionVars: vars, ...(Object.keys(becomeDefaults).length > 0 ? { becomeDefaults } : {}), options };
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConvergeError } from '@converge/core/lean';

/** One setting with where it was read, for messages. */
export interface SettingFrom<T> {
  value: T;
  /** e.g. `ANSIBLE_HOST_KEY_CHECKING=False` or `/etc/ansible/ansible.cfg [defaults] host_key_checking`. */
  source: string;
}

/** The SSH settings of Ansible's configuration that converge honours. */
export interface AnsibleSshSettings {
  /** `host_key_checking` (default true). */
  hostKeyChecking?: SettingFrom<boolean>;
  /** `ssh_args`: ssh arguments placed first on ssh's command line. */
  sshArgs?: SettingFrom<string>;
  /** `ssh_common_args` (below `--ssh-common-args` and `ansible_ssh_common_args`). */
  sshCommonArgs?: SettingFrom<string>;
  /** `ssh_extra_args` (below `--ssh-extra-args` and `ansible_ssh_extra_args`). */
  sshExtraArgs?: SettingFrom<string>;
  /** The ansible.cfg that was read, and the settings in it that converge does not read. */
  configFile?: { path: string; unread: string[] };
  /** Messages about the configuration (a world-writable directory's ansible.cfg left out). */
  warnings: string[];
  /** The `ANSIBLE_*` environment variables set that converge does not read (`ANSIBLE_REMOTE_USER`, ...), sorted, for the CLI to say so. */
  unreadEnv: string[];
}

/**
 * Each setting converge reads: its environment variables and its ansible.cfg keys, first wins.
 * Source: ansible-core 2.14 `plugins/connection/ssh.py` DOCUMENTATION (env, ini).
 */
const SETTINGS = {
  hostKeyChecking: { env: ['ANSIBLE_HOST_KEY_CHECKING', 'ANSIBLE_SSH_HOST_KEY_CHECKING'], ini: [['defaults', 'host_key_checking'], ['ssh_connection', 'host_key_checking']] },
  sshArgs: { env: ['ANSIBLE_SSH_ARGS'], ini: [['ssh_connection', 'ssh_args']] },
  sshCommonArgs: { env: ['ANSIBLE_SSH_COMMON_ARGS'], ini: [['ssh_connection', 'ssh_common_args']] },
  sshExtraArgs: { env: ['ANSIBLE_SSH_EXTRA_ARGS'], ini: [['ssh_connection', 'ssh_extra_args']] },
} as const;

/** The environment variables converge reads: each setting's, and `ANSIBLE_CONFIG`. */
export const READ_ENV: readonly string[] = ['ANSIBLE_CONFIG', ...Object.values(SETTINGS).flatMap((s) => s.env)];

/**
 * Reads an ansible.cfg as Python's configparser does with Ansible's settings: `[section]`
 * headers, `key = value` or `key: value`, whole-line comments starting with `#` or `;`, inline
 * comments after ` ;`, indented lines continuing the value; keys are case-insensitive.
 * Source: Python docs, configparser "Supported INI File Structure"; ansible-core 2.14
 * `config/manager.py` (`inline_comment_prefixes=(';',)`).
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` naming the file and line of a line that is neither.
 */
export function parseAnsibleCfg(text: string, path: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let last: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && section && last !== undefined) {
      section.set(last, `${section.get(last) ?? ''}\n${raw.trim()}`.trim());
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      const name = header[1] as string;
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv || !section) throw new ConvergeError('CONVERGE_OPTIONS', `${path} line ${i + 1}: not a [section] or key = value line`);
    last = (kv[1] as string).trim().toLowerCase();
    section.set(last, (kv[2] as string).replace(/\s;.*$/, '').trim());
  });
  return sections;
}

/**
 * Ansible's boolean(): y, yes, on, 1, true, t and their negatives, any case.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` naming the setting for anything else.
 */
function ansibleBool(value: string, source: string): boolean {
  const v = value.trim().toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't', '1.0'].includes(v)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f', '0.0', ''].includes(v)) return false;
  throw new ConvergeError('CONVERGE_OPTIONS', `${source}: ${JSON.stringify(value)} is not a boolean`, { hint: 'write True or False' });
}

/** The ansible.cfg Ansible reads: ANSIBLE_CONFIG, else ./ansible.cfg (not in a world-writable directory), else ~/.ansible.cfg, else /etc/ansible/ansible.cfg. Source: Ansible docs, "Configuring Ansible". */
function findAnsibleCfg(env: NodeJS.ProcessEnv, cwd: string, warnings: string[]): string | undefined {
  const fromEnv = env['ANSIBLE_CONFIG'];
  if (fromEnv) {
    const p = resolve(cwd, fromEnv.replace(/^~(?=\/|$)/, homedir()));
    const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p;
    if (existsSync(file)) return file;
  }
  const local = join(cwd, 'ansible.cfg');
  if (existsSync(local)) {
    if ((statSync(cwd).mode & 0o002) !== 0) warnings.push(`${local} is not read: the directory ${cwd} is world writable (as ansible-playbook)`);
    else return local;
  }
  return [join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg'].find((f) => existsSync(f));
}

/**
 * Ansible's SSH settings from the environment and ansible.cfg (the environment wins), as
 * ansible-playbook would use them: host key checking, `ssh_args`, `ssh_common_args`,
 * `ssh_extra_args`. Every other setting of the ansible.cfg read is listed in
 * `configFile.unread`, and every other `ANSIBLE_*` environment variable in `unreadEnv`, for the
 * CLI to say so.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for an unreadable ansible.cfg or a value that is not a boolean.
 */
export function readAnsibleSshSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AnsibleSshSettings {
  const warnings: string[] = [];
  const unreadEnv = Object.keys(env).filter((k) => k.startsWith('ANSIBLE_') && !READ_ENV.includes(k)).sort();
  const out: AnsibleSshSettings = { warnings, unreadEnv };
  const cfgPath = findAnsibleCfg(env, cwd, warnings);
  let cfg = new Map<string, Map<string, string>>();
  if (cfgPath) {
    try {
      cfg = parseAnsibleCfg(readFileSync(cfgPath, 'utf8'), cfgPath);
    } catch (e) {
      if (e instanceof ConvergeError) throw e;
      throw new ConvergeError('CONVERGE_OPTIONS', `cannot read ${cfgPath}: ${(e as Error).message}`, { cause: e });
    }
  }
  const read = new Set(Object.values(SETTINGS).flatMap((s) => s.ini.map(([section, key]) => `[${section}] ${key}`)));
  const lookup = (name: keyof typeof SETTINGS): SettingFrom<string> | undefined => {
    const s = SETTINGS[name];
    for (const v of s.env) if (env[v] !== undefined) return { value: env[v] as string, source: `${v}=${env[v]}` };
    for (const [section, key] of s.ini) {
      const value = cfg.get(section)?.get(key);
      if (value !== undefined) return { value, source: `${cfgPath} [${section}] ${key}` };
    }
    return undefined;
  };
  const hkc = lookup('hostKeyChecking');
  if (hkc) out.hostKeyChecking = { value: ansibleBool(hkc.value, hkc.source), source: hkc.source };
  for (const name of ['sshArgs', 'sshCommonArgs', 'sshExtraArgs'] as const) {
    const v = lookup(name);
    if (v) out[name] = v;
  }
  if (cfgPath) {
    const unread = [...cfg].flatMap(([section, keys]) => [...keys.keys()].map((k) => `[${section}] ${k}`)).filter((k) => !read.has(k));
    out.configFile = { path: cfgPath, unread };
  }
  return out;
}

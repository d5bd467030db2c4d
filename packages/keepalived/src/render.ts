import { isIP } from 'node:net';
import { ConvergeError, isSecret, reveal, SECRET_MASK } from '@converge/core';
import type { Secret } from '@converge/core';
import { AUTH_PASS_PATTERN, KEEPALIVED_DEFAULTS } from './model.js';
import type { KeepalivedConfig, KeepalivedInstance, KeepalivedScript } from './model.js';

/** A rendered keepalived.conf. */
export interface RenderedKeepalivedConfig {
  /** The file's text, secrets revealed (what goes to the host). */
  text: string;
  /** True when the text holds a Secret (an `auth_pass`): the file is then written and diffed as a secret. */
  secret: boolean;
}

/**
 * Renders the model to the text of keepalived.conf, deterministically: `global_defs`, then the
 * `vrrp_script` blocks, then the `vrrp_instance` blocks, lists in the order given, 4-space
 * indented, ending with a newline. `global_defs` always holds `script_user root` and
 * `enable_script_security`. Commands are written as one double-quoted string whose words
 * keepalived splits on spaces (keepalived.conf(5) "Quoted strings").
 *
 * Syntax: keepalived.conf(5) of keepalived 2.2.7.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` with the field's path for what {@link checkKeepalivedModel} refuses.
 */
export function renderKeepalivedConfig(config: KeepalivedConfig): RenderedKeepalivedConfig {
  const problem = checkKeepalivedModel(config);
  if (problem) throw new ConvergeError('CONVERGE_PARAMS', `keepalived config: ${problem}`);
  let secret = false;
  const out: string[] = ['# Written by converge (@converge/keepalived). Local changes are overwritten.', ''];
  const block = (header: string, lines: string[]) => out.push(`${header} {`, ...lines.map((l) => `    ${l}`), '}', '');
  const nested = (header: string, lines: string[]) => [`${header} {`, ...lines.map((l) => `    ${l}`), '}'];

  const g = config.global_defs ?? {};
  block('global_defs', [...(g.router_id ? [`router_id ${g.router_id}`] : []), 'script_user root', 'enable_script_security', ...(g.extra ?? [])]);

  for (const s of config.scripts ?? []) block(`vrrp_script ${s.name}`, scriptLines(s));

  for (const i of config.instances) {
    const lines = [`state ${i.state}`, `interface ${i.interface}`, `virtual_router_id ${i.virtual_router_id}`, `priority ${i.priority}`];
    lines.push(`advert_int ${i.advert_int ?? KEEPALIVED_DEFAULTS.advertInt}`);
    if (i.nopreempt) lines.push('nopreempt');
    if (i.preempt_delay !== undefined) lines.push(`preempt_delay ${i.preempt_delay}`);
    if (i.unicast_src_ip) lines.push(`unicast_src_ip ${i.unicast_src_ip}`);
    if (i.unicast_peers?.length) lines.push(...nested('unicast_peer', i.unicast_peers));
    if (i.authentication !== undefined) {
      if (isSecret(i.authentication)) secret = true;
      lines.push(...nested('authentication', ['auth_type PASS', `auth_pass ${reveal(i.authentication as string | Secret)}`]));
    }
    lines.push(...nested('virtual_ipaddress', i.virtual_ipaddresses.map((v) => [v.address, `dev ${v.dev ?? i.interface}`, ...(v.label ? [`label ${v.label}`] : [])].join(' '))));
    if (i.track_interfaces?.length) lines.push(...nested('track_interface', i.track_interfaces));
    if (i.track_scripts?.length) lines.push(...nested('track_script', i.track_scripts.map((t) => (t.weight !== undefined ? `${t.name} weight ${t.weight}` : t.name))));
    if (i.garp_master_delay !== undefined) lines.push(`garp_master_delay ${i.garp_master_delay}`);
    for (const key of NOTIFY) {
      const cmd = i[key];
      if (cmd) lines.push(`${key} ${quoteCommand(cmd)}`);
    }
    lines.push(...(i.extra ?? []));
    block(`vrrp_instance ${i.name}`, lines);
  }
  return { text: `${out.join('\n').replace(/\n+$/, '')}\n`, secret };
}

const NOTIFY = ['notify_master', 'notify_backup', 'notify_fault', 'notify_stop'] as const;

/** A command as one keepalived quoted string; its words hold no space or quote (the schema's pattern). */
export function quoteCommand(argv: string[]): string {
  return `"${argv.join(' ')}"`;
}

function scriptLines(s: KeepalivedScript): string[] {
  const lines = [`script ${quoteCommand(s.script)}`, `interval ${s.interval ?? KEEPALIVED_DEFAULTS.scriptInterval}`];
  if (s.timeout !== undefined) lines.push(`timeout ${s.timeout}`);
  if (s.fall !== undefined) lines.push(`fall ${s.fall}`);
  if (s.rise !== undefined) lines.push(`rise ${s.rise}`);
  if (s.weight !== undefined) lines.push(`weight ${s.weight}`);
  return lines;
}

/** `ADDRESS/PREFIX` → its family (4 or 6), or 0 when it is not one. */
function addressFamily(cidr: string): number {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return 0;
  const family = isIP(m[1] as string);
  const prefix = Number(m[2]);
  return family !== 0 && prefix <= (family === 4 ? 32 : 128) ? family : 0;
}

/**
 * Cross-field checks the schema cannot express: unique script and instance names, tracked
 * scripts that exist, commands given by absolute path, addresses that parse, one address family
 * per instance, unicast settings that make sense, `nopreempt`/`preempt_delay` only with state
 * BACKUP (keepalived.conf(5): "the initial state must not be MASTER"), and a Secret password
 * of the form `auth_pass` takes.
 *
 * @returns a message naming the offending field, or undefined.
 */
export function checkKeepalivedModel(config: KeepalivedConfig): string | undefined {
  const scripts = new Set<string>();
  for (const [i, s] of (config.scripts ?? []).entries()) {
    if (scripts.has(s.name)) return `scripts[${i}]: a second script named "${s.name}"`;
    scripts.add(s.name);
    if (!(s.script[0] as string).startsWith('/')) return `scripts[${i}].script: "${s.script[0]}" is not an absolute path (keepalived's script security needs one)`;
  }
  const instances = new Set<string>();
  const routers = new Map<string, string>();
  for (const [n, inst] of config.instances.entries()) {
    const at = `instances[${n}]`;
    if (instances.has(inst.name)) return `${at}: a second instance named "${inst.name}"`;
    instances.add(inst.name);
    const vrid = `${inst.interface}/${inst.virtual_router_id}`;
    if (routers.has(vrid)) return `${at}.virtual_router_id: ${inst.virtual_router_id} is also used by instance "${routers.get(vrid)}" on ${inst.interface}`;
    routers.set(vrid, inst.name);
    const problem = checkInstance(inst, scripts);
    if (problem) return `${at}.${problem}`;
  }
  return undefined;
}

function checkInstance(inst: KeepalivedInstance, scripts: Set<string>): string | undefined {
  if (inst.state === 'MASTER' && inst.nopreempt) return 'nopreempt: needs state BACKUP (a MASTER at start always takes over)';
  if (inst.state === 'MASTER' && inst.preempt_delay !== undefined) return 'preempt_delay: needs state BACKUP';
  if (inst.nopreempt && inst.preempt_delay !== undefined) return 'preempt_delay: cannot go with nopreempt';
  if (inst.track_interfaces?.includes(inst.interface)) return `track_interfaces: ${inst.interface} is the instance's own interface, always tracked`;
  const families = new Set<number>();
  for (const [j, v] of inst.virtual_ipaddresses.entries()) {
    const family = addressFamily(v.address);
    if (family === 0) return `virtual_ipaddresses[${j}].address: "${v.address}" is not ADDRESS/PREFIX (e.g. 10.0.0.100/24)`;
    families.add(family);
  }
  if (families.size > 1) return 'virtual_ipaddresses: IPv4 and IPv6 addresses in one instance (keepalived needs one family per instance)';
  const family = [...families][0];
  if (inst.unicast_src_ip !== undefined) {
    if (isIP(inst.unicast_src_ip) === 0) return `unicast_src_ip: "${inst.unicast_src_ip}" is not an IP address`;
    if (isIP(inst.unicast_src_ip) !== family) return `unicast_src_ip: ${inst.unicast_src_ip} is not in the family of the virtual addresses (keepalived ignores such addresses)`;
  }
  for (const [j, p] of (inst.unicast_peers ?? []).entries()) {
    if (isIP(p) === 0) return `unicast_peers[${j}]: "${p}" is not an IP address`;
    if (isIP(p) !== family) return `unicast_peers[${j}]: ${p} is not in the family of the virtual addresses`;
    if (p === inst.unicast_src_ip) return `unicast_peers[${j}]: ${p} is this host's own unicast_src_ip`;
  }
  if (inst.unicast_src_ip !== undefined && !inst.unicast_peers?.length) return 'unicast_src_ip: given without unicast_peers (keepalived would fall back to multicast)';
  for (const [j, t] of (inst.track_scripts ?? []).entries()) {
    if (!scripts.has(t.name)) return `track_scripts[${j}]: no script named "${t.name}" in scripts`;
  }
  for (const key of NOTIFY) {
    const cmd = inst[key];
    if (cmd && !(cmd[0] as string).startsWith('/')) return `${key}: "${cmd[0]}" is not an absolute path`;
  }
  if (inst.authentication !== undefined && isSecret(inst.authentication) && !new RegExp(AUTH_PASS_PATTERN).test(inst.authentication.reveal())) {
    return 'authentication: the Secret is not 1 to 8 of A-Za-z0-9_.,:+=@%- (what auth_pass takes)';
  }
  return undefined;
}

/**
 * The setting of keepalived.conf that holds a password, for diffs: `auth_pass` (keepalived.conf(5),
 * `authentication` block). Its value is masked on both sides of a diff whether or not the model
 * holds a Secret, so a password the new configuration removes or replaces is not shown either.
 */
export function maskKeepalivedSecrets(text: string): string {
  return text.replace(/^(\s*auth_pass\s+)\S[^\n]*$/gm, `$1${SECRET_MASK}`);
}

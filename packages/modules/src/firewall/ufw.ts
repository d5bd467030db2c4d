import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { sshSession } from './ssh-session.js';
import { ufwState } from './ufw-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const Port = Type.String({ pattern: '^[0-9]{1,5}(:[0-9]{1,5})?$', description: 'A port or a range `low:high`.' });
const Address = (description: string) => Type.String({ pattern: '^(any|[0-9A-Fa-f:.]+(/[0-9]{1,3})?)$', description });

/** JSON Schema of the `ufw` params (Ansible's `community.general.ufw`). */
export const UfwParams = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled'), Type.Literal('reloaded')], { description: '`enabled`/`disabled`: ufw active (and at boot) or not; `reloaded`: `ufw reload` now (always changes: use it in a handler).' })),
    default: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('reject')], { description: 'Default policy for `direction` (incoming by default).' })),
    logging: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('full')], { description: 'Log level (`on` is `low`).' })),
    rule: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('limit'), Type.Literal('reject')], { description: 'A rule with this action: present (appended when missing), or removed with `delete`.' })),
    direction: Type.Optional(
      Type.Union([Type.Literal('in'), Type.Literal('out'), Type.Literal('incoming'), Type.Literal('outgoing'), Type.Literal('routed')], {
        description: 'For a rule: `in` (default) or `out`; for `default`: `incoming` (default), `outgoing` or `routed`.',
      }),
    ),
    interface: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,15}$', description: 'The rule applies on this interface only (`in on eth0`).' })),
    from_ip: Type.Optional(Address('Source address or prefix, or `any` (default).')),
    from_port: Type.Optional(Port),
    to_ip: Type.Optional(Address('Destination address or prefix, or `any` (default).')),
    to_port: Type.Optional(Port),
    port: Type.Optional(Port),
    proto: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('ah'), Type.Literal('esp'), Type.Literal('gre'), Type.Literal('ipv6'), Type.Literal('igmp')], { default: 'any', description: 'Protocol.' })),
    comment: Type.Optional(Type.String({ maxLength: 200, pattern: '^[^\\n\']*$', description: 'A comment stored with the rule.' })),
    route: Type.Optional(Type.Boolean({ default: false, description: 'A routed (forward) rule: `ufw route …`.' })),
    log: Type.Optional(Type.Boolean({ default: false, description: 'Log packets that match the rule.' })),
    delete: Type.Optional(Type.Boolean({ default: false, description: 'Remove the rule instead of adding it.' })),
    keep_ssh: Type.Optional(
      Type.Boolean({ default: true, description: 'Refuse to leave ufw enabled with a deny or reject incoming policy and no rule that allows the SSH port this run is connected to.' }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `ufw`. */
export type UfwParams = Static<typeof UfwParams>;

function normalizeAddress(a: string | undefined, family: 4 | 6): string {
  if (a === undefined || a === 'any') return family === 4 ? '0.0.0.0/0' : '::/0';
  if (family === 6) return a.toLowerCase().replace(/\/128$/, '');
  const [addr, len] = a.split('/') as [string, string | undefined];
  if (len === undefined || len === '32') return addr;
  const bits = Number(len);
  const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const net = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${bits}`;
}

function familiesOf(p: UfwParams): (4 | 6)[] {
  const given = [p.from_ip, p.to_ip].filter((a): a is string => a !== undefined && a !== 'any');
  if (given.length === 0) return [4, 6];
  return given.some((a) => a.includes(':')) ? [6] : [4];
}

/**
 * The `### tuple ###` text ufw 0.36 writes for a rule in user.rules (family 4) or user6.rules (6):
 * `ACTION PROTO DPORT DST SPORT SRC DIRECTION[_IFACE][ comment=HEX]` (ufw `backend_iptables.py`).
 */
export function ufwTuple(p: UfwParams, family: 4 | 6): string {
  let action = `${p.route ? 'route:' : ''}${p.rule}`;
  if (p.log) action += '_log';
  const dir = p.direction === 'out' || p.direction === 'outgoing' ? 'out' : 'in';
  const iface = p.interface ? `${dir}_${p.interface}` : dir;
  const fields = [action, p.proto ?? 'any', p.to_port ?? p.port ?? 'any', normalizeAddress(p.to_ip, family), p.from_port ?? 'any', normalizeAddress(p.from_ip, family), iface];
  const comment = p.comment ? ` comment=${Buffer.from(p.comment, 'utf8').toString('hex')}` : '';
  return `${fields.join(' ')}${comment}`;
}

/** The ufw command line of the rule (full syntax, ufw(8)). */
export function ufwRuleArgs(p: UfwParams): string[] {
  const args: string[] = [];
  if (p.route) args.push('route');
  if (p.delete) args.push('delete');
  args.push(p.rule as string);
  const dir = p.direction === 'out' || p.direction === 'outgoing' ? 'out' : 'in';
  args.push(dir);
  if (p.interface) args.push('on', p.interface);
  if (p.log) args.push('log');
  if ((p.proto ?? 'any') !== 'any') args.push('proto', p.proto as string);
  args.push('from', p.from_ip ?? 'any');
  if (p.from_port) args.push('port', p.from_port);
  args.push('to', p.to_ip ?? 'any');
  const to = p.to_port ?? p.port;
  if (to) args.push('port', to);
  if (p.comment) args.push('comment', p.comment);
  return args;
}

/** True when a rule tuple lets new connections reach `port` over TCP from `client`. */
export function tupleAllowsSsh(tuple: string, port: number, client: string | undefined): boolean {
  const [action, proto, dport, dst, , src, iface] = tuple.split(' ');
  if (!action || !/^(allow|limit)(_log|_log-all)?$/.test(action)) return false;
  if (proto !== 'tcp' && proto !== 'any') return false;
  if (iface !== 'in' || (dst !== '0.0.0.0/0' && dst !== '::/0')) return false;
  const ports = (dport ?? '').split(',');
  const covers = dport === 'any' || ports.some((r) => {
    const [lo, hi] = r.split(':').map(Number);
    return hi === undefined ? lo === port : (lo as number) <= port && port <= hi;
  });
  if (!covers) return false;
  if (src === '0.0.0.0/0' || src === '::/0') return true;
  if (client === undefined || src === undefined) return false;
  const list = new BlockList();
  const [addr, len] = src.split('/') as [string, string | undefined];
  const type = isIPv4(addr) ? 'ipv4' : 'ipv6';
  if (len === undefined) list.addAddress(addr, type);
  else list.addSubnet(addr, Number(len), type);
  return list.check(client, isIPv4(client) ? 'ipv4' : 'ipv6');
}

/** Private plan data for apply. */
export interface UfwPlan {
  logging?: string;
  default?: boolean;
  rule?: boolean;
  state?: 'enable' | 'disable' | 'reload';
}

/**
 * Module `ufw`: ufw (Uncomplicated Firewall) enabled or disabled, default policies, logging and
 * one rule per task, as Ansible's `community.general.ufw` (same parameter names: `rule`,
 * `from_ip`, `to_port`, `port`, `proto`, `direction`, `interface`, `route`, `log`, `comment`,
 * `delete`, `default`, `logging`, `state`). A task may combine them; they apply in the order
 * logging, default, rule, state, so a rule exists before ufw is enabled.
 *
 * Idempotent from ufw's own files, without running ufw (a Python program) in the probe: a rule
 * is present when its `### tuple ###` line (ufw's normalised form, rebuilt here) is in
 * user.rules / user6.rules; a rule with no address goes in both when IPV6=yes.
 *
 * Never shutting out converge: when the task leaves ufw enabled with a `deny`/`reject` incoming
 * policy, the resulting rules must allow new TCP connections to the SSH port this run is
 * connected to (from anywhere, or from a prefix holding the controller's address); otherwise the
 * task is refused before anything changes (`keep_ssh: false` to skip). The running session
 * survives either way: ufw's before.rules accept established connections.
 *
 * Differences from Ansible: `insert`, `insert_relative_to`, application profiles (`name`),
 * `state: reset`, `interface_in`/`interface_out` and the aliases `src`, `dest`, `if` are not
 * offered; port lists are written as several tasks; IPv6 addresses are compared as written.
 *
 * @example
 * ufw({ rule: 'allow', port: '22', proto: 'tcp' }),
 * ufw({ state: 'enabled', default: 'deny' })
 */
export const ufw = defineModule({
  name: 'ufw',
  description: 'ufw enabled or disabled, default policies, logging and rules.',
  params: UfwParams,
  validate: (p) => {
    if (p.state === undefined && p.default === undefined && p.logging === undefined && p.rule === undefined) return 'give at least one of state, default, logging, rule';
    if (p.port !== undefined && p.to_port !== undefined) return 'give port or to_port, not both';
    const ruleOnly = (['from_ip', 'from_port', 'to_ip', 'to_port', 'port', 'interface', 'comment'] as const).filter((k) => p[k] !== undefined);
    if (p.rule === undefined && (ruleOnly.length > 0 || p.delete || p.route || p.log)) return `${ruleOnly[0] ?? 'delete, route and log'} need rule`;
    if (p.rule !== undefined && p.direction === 'routed') return 'a rule takes direction in or out (routed rules: route: true)';
    if (p.default !== undefined && (p.direction === 'in' || p.direction === 'out') && p.rule === undefined) return 'default takes direction incoming, outgoing or routed';
    for (const k of ['from_ip', 'to_ip'] as const) {
      const a = p[k];
      if (a === undefined || a === 'any') continue;
      const [addr, len] = a.split('/') as [string, string | undefined];
      if (!isIPv4(addr) && !isIPv6(addr)) return `${k}: ${a} is not an address or prefix`;
      if (len !== undefined && Number(len) > (isIPv4(addr) ? 32 : 128)) return `${k}: ${a} has a prefix length beyond its family`;
    }
    if ([p.from_ip, p.to_ip].some((a) => a?.includes(':')) && [p.from_ip, p.to_ip].some((a) => a !== undefined && a !== 'any' && !a.includes(':'))) return 'from_ip and to_ip mix IPv4 and IPv6';
    const ports = [p.from_port, p.to_port ?? p.port].filter((x) => x !== undefined);
    if (ports.length > 0 && !['any', 'tcp', 'udp'].includes(p.proto ?? 'any')) return `ports need proto tcp, udp or any, not ${p.proto}`;
    return undefined;
  },
  facts: () => ({ ufw: ufwState({}), session: sshSession({}) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const s = facts.ufw;
    const session = facts.session;
    if (!s.installed) {
      requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'ufw: ufw is not installed on this host', { hint: "install it first: apt({ name: 'ufw' })" }));
    }
    const changes: Change[] = [];
    const data: UfwPlan = {};
    if (p.logging !== undefined) {
      const want = p.logging === 'on' ? 'low' : p.logging;
      if (s.logging !== want) {
        data.logging = p.logging;
        changes.push({ path: 'logging', before: s.logging, after: want });
      }
    }
    const defaults = { ...s.defaults };
    if (p.default !== undefined) {
      const dir = p.direction === 'outgoing' || p.direction === 'routed' ? p.direction : 'incoming';
      if (defaults[dir] !== p.default) {
        data.default = true;
        changes.push({ path: `default.${dir}`, before: defaults[dir], after: p.default });
        defaults[dir] = p.default;
      }
    }
    const tuples4 = [...s.tuples4];
    const tuples6 = [...s.tuples6];
    if (p.rule !== undefined) {
      const fams = familiesOf(p).filter((f) => f === 4 || s.ipv6 || familiesOf(p).length === 1);
      const wanted = fams.map((f) => ({ f, t: ufwTuple(p, f) }));
      const has = (f: 4 | 6, t: string) => (f === 4 ? tuples4 : tuples6).includes(t);
      const missing = wanted.filter(({ f, t }) => has(f, t) !== !p.delete);
      if (missing.length > 0) {
        data.rule = true;
        changes.push({ path: 'rule', before: p.delete ? missing.map((m) => m.t).join(' | ') : null, after: p.delete ? null : missing.map((m) => m.t).join(' | ') });
        for (const { f, t } of missing) {
          const list = f === 4 ? tuples4 : tuples6;
          if (p.delete) list.splice(list.indexOf(t), 1);
          else list.push(t);
        }
      }
    }
    let enabled = s.enabled && s.running;
    if (p.state === 'enabled' && !enabled) {
      data.state = 'enable';
      changes.push({ path: 'state', before: s.enabled ? 'enabled, not running' : 'disabled', after: 'enabled' });
      enabled = true;
    } else if (p.state === 'disabled' && (s.enabled || s.running)) {
      data.state = 'disable';
      changes.push({ path: 'state', before: 'enabled', after: 'disabled' });
      enabled = false;
    } else if (p.state === 'reloaded') {
      data.state = 'reload';
      changes.push({ path: 'state', before: enabled ? 'enabled' : 'disabled', after: 'reloaded' });
    }
    if ((p.keep_ssh ?? true) && changes.length > 0 && enabled && defaults.incoming !== 'allow' && session && !upstreamChanged) {
      const client = session.clientAddress;
      const list = isIPv4(client) || client.startsWith('::ffff:') ? tuples4 : tuples6;
      if (!list.some((t) => tupleAllowsSsh(t, session.serverPort, client.replace(/^::ffff:/, '')))) {
        throw new ConvergeError('CONVERGE_PLAN', `ufw: after this task ufw would deny new connections to port ${session.serverPort}, the SSH port this run uses (${client} -> ${session.serverAddress}); converge would be shut out`, {
          hint: `allow it first: ufw({ rule: 'allow', port: '${session.serverPort}', proto: 'tcp' }), or give keep_ssh: false`,
        });
      }
    }
    if (changes.length === 0) return { changes, reason: `ufw is ${enabled ? 'enabled' : 'disabled'}${p.rule ? `, the rule is ${p.delete ? 'absent' : 'present'}` : ''}` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.logging) steps.push({ script: sh`ufw logging ${d.logging}`, description: `ufw logging ${d.logging}` });
    if (d.default) {
      const dir = p.direction === 'outgoing' || p.direction === 'routed' ? p.direction : 'incoming';
      steps.push({ script: sh`ufw default ${p.default as string} ${dir}`, description: `ufw default ${p.default} ${dir}` });
    }
    if (d.rule) steps.push({ script: sh`ufw ${ufwRuleArgs(p)}`, description: `ufw ${p.delete ? 'delete ' : ''}${p.rule}` });
    if (d.state === 'enable') steps.push({ script: sh`ufw --force enable`, description: 'ufw enable' });
    if (d.state === 'disable') steps.push({ script: sh`ufw disable`, description: 'ufw disable' });
    if (d.state === 'reload') steps.push({ script: sh`ufw reload`, description: 'ufw reload' });
    return steps;
  },
  resources: () => ['ufw', '/etc/ufw', '/etc/default/ufw'],
  verify: (p) => p.state !== 'reloaded',
});

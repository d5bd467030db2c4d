import { isIP } from 'node:net';
import { ConvergeError, SecretValue, Type, validateParams } from '@converge/core';
import type { Static, TaskContext } from '@converge/core';
import type { KeepalivedConfigParams } from './config.js';
import { failoverNotifyCommand } from './failover/failover.js';
import type { KeepalivedFailoverParams } from './failover/failover.js';
import { FailoverProvider } from './failover/provider-requests.js';
import { AUTH_PASS_PATTERN, Command, InterfaceName, Line, Name, VrrpScript } from './model.js';

/** Priority of the preferred master; the other peers get 100, 99, … in the order listed. */
export const MASTER_PRIORITY = 150;

/** JSON Schema of a shared address held by a group of peers (one VRRP instance). */
export const SharedAddress = Type.Object(
  {
    name: Name('VRRP instance name, e.g. `VI_LB`; also the failover hook\'s name.'),
    address: Line('The shared address, `ADDRESS/PREFIX` (e.g. `10.0.0.100/24`).'),
    interface: InterfaceName('Interface on the private network where the address lives and VRRP adverts go.'),
    virtual_router_id: Type.Integer({ minimum: 1, maximum: 255, description: 'VRRP router id, 1 to 255, unique per interface.' }),
    peers: Type.Array(Name('An inventory host name.'), {
      minItems: 2,
      description: 'The inventory hosts that share the address, preferred master first: it starts as MASTER with priority 150, the others as BACKUP with 100, 99, …',
    }),
    address_var: Type.Optional(
      Name('Host var holding each peer\'s own address on the private network (`unicast_src_ip`/`unicast_peer`). Default: `private_ip`, else `ansible_host`.'),
    ),
    authentication: Type.Optional(Type.Union([Type.String({ pattern: AUTH_PASS_PATTERN }), SecretValue()], { description: 'VRRP password (1 to 8 characters), usually a Secret.' })),
    advert_int: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 255, description: 'Seconds between VRRP adverts. Default 1.' })),
    preempt: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'true: the preferred master takes the address back when it recovers (a second short move). false: every peer starts BACKUP with `nopreempt`; the address stays where it is.',
      }),
    ),
    check: Type.Optional(VrrpScript),
    notify_master: Type.Optional(Command('Another command run on becoming master (only when no `failover` is given).')),
    failover: Type.Optional(
      Type.Object(
        {
          ...FailoverProvider,
          targets: Type.Record(Type.String(), Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:/@-]+$' }), {
            description:
              'Per peer (inventory host name): where the provider must route the address when that host is master: its service name (OVHcloud dedicated/VPS), instance id (OVHcloud Public Cloud) or server id (Scaleway).',
          }),
        },
        { additionalProperties: false, description: 'Move a cloud provider\'s address too (`keepalived.failover`), with the host\'s own target filled in.' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A shared address spec (see {@link SharedAddress}). */
export type SharedAddress = Static<typeof SharedAddress>;

function peerAddress(spec: SharedAddress, ctx: TaskContext, host: string, where: string): string {
  const hostvars = ctx.vars.hostvars as Record<string, Record<string, unknown> | undefined> | undefined;
  const vars = host === ctx.host ? ctx.vars : hostvars?.[host];
  if (!vars) throw new ConvergeError('CONVERGE_PARAMS', `${where}.peers: ${host} is not in the inventory`);
  const key = spec.address_var ?? 'private_ip';
  const value = spec.address_var ? vars[key] : (vars[key] ?? vars.ansible_host);
  if (typeof value !== 'string' || isIP(value) === 0) {
    throw new ConvergeError('CONVERGE_PARAMS', `${where}: host ${host} has no IP address in ${key}${spec.address_var ? '' : ' or ansible_host'} (got ${JSON.stringify(value)})`, {
      hint: `set ${key} to the host's address on the private network in the inventory`,
    });
  }
  return value;
}

/**
 * The `keepalived.config` params of one peer of a shared address: its state and priority by its
 * place in `peers`, its own private address as `unicast_src_ip` and the others' as
 * `unicast_peers` (from host vars), the health check, and the failover hook as `notify_master`
 * when the spec moves a cloud address.
 *
 * @param where - where the spec comes from, for errors (e.g. the var's name).
 * @throws ConvergeError `CONVERGE_PARAMS` when the spec is invalid, the host is not a peer, or a
 *   peer has no address.
 */
export function sharedAddressConfig(spec: SharedAddress, ctx: TaskContext, where = 'shared address'): KeepalivedConfigParams {
  const s = validateParams<SharedAddress>(SharedAddress, spec, where);
  const index = s.peers.indexOf(ctx.host);
  if (index < 0) throw new ConvergeError('CONVERGE_PARAMS', `${where}: ${ctx.host} is not one of the peers (${s.peers.join(', ')})`, { hint: 'run the play on the peers only, or list the host in peers' });
  if (new Set(s.peers).size !== s.peers.length) throw new ConvergeError('CONVERGE_PARAMS', `${where}.peers: a host is listed twice`);
  const own = peerAddress(s, ctx, ctx.host, where);
  const others = s.peers.filter((p) => p !== ctx.host).map((p) => peerAddress(s, ctx, p, where));
  const preempt = s.preempt ?? true;
  const notify = s.failover ? failoverNotifyCommand({ name: s.name }) : s.notify_master;
  return {
    ...(s.check ? { scripts: [s.check] } : {}),
    instances: [
      {
        name: s.name,
        state: preempt && index === 0 ? 'MASTER' : 'BACKUP',
        interface: s.interface,
        virtual_router_id: s.virtual_router_id,
        priority: index === 0 ? MASTER_PRIORITY : 101 - index,
        ...(s.advert_int !== undefined ? { advert_int: s.advert_int } : {}),
        ...(preempt ? {} : { nopreempt: true }),
        unicast_src_ip: own,
        unicast_peers: others,
        ...(s.authentication !== undefined ? { authentication: s.authentication } : {}),
        virtual_ipaddresses: [{ address: s.address }],
        ...(s.check ? { track_scripts: [{ name: s.check.name }] } : {}),
        ...(notify ? { notify_master: notify } : {}),
      },
    ],
  };
}

/**
 * The `keepalived.failover` params of one peer of a shared address whose spec has `failover`:
 * the provider settings with the host's own target (`targets[host]`) in the provider's field.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when the spec has no failover or no target for the host.
 */
export function sharedAddressFailover(spec: SharedAddress, ctx: TaskContext, where = 'shared address'): KeepalivedFailoverParams {
  const s = validateParams<SharedAddress>(SharedAddress, spec, where);
  const f = s.failover;
  if (!f) throw new ConvergeError('CONVERGE_PARAMS', `${where}: no failover given`);
  const target = f.targets[ctx.host];
  if (target === undefined) throw new ConvergeError('CONVERGE_PARAMS', `${where}.failover.targets: nothing for ${ctx.host}`, { hint: 'give every peer its service, instance or server id' });
  for (const host of Object.keys(f.targets)) {
    if (!s.peers.includes(host)) throw new ConvergeError('CONVERGE_PARAMS', `${where}.failover.targets: ${host} is not one of the peers`);
  }
  const { targets: _t, ovh, scaleway, ...rest } = f;
  return {
    name: s.name,
    ...rest,
    ...(ovh ? { ovh: ovh.project !== undefined || ovh.failover_ip_id !== undefined ? { ...ovh, instance_id: target } : { ...ovh, service: target } } : {}),
    ...(scaleway ? { scaleway: { ...scaleway, server_id: target } } : {}),
  };
}

import { SecretValue, Type } from '@converge/core';
import type { Static } from '@converge/core';

/*
 * The typed model of keepalived.conf, VRRP part. Every keyword is named as in keepalived.conf(5)
 * of keepalived 2.2.7 (Debian 12's package), sections "global_defs", "VRRP script(s)" and "VRRP
 * instance(s)"; https://keepalived.readthedocs.io/en/latest/configuration_synopsis.html.
 */

/** Values used when a field is absent. */
export const KEEPALIVED_DEFAULTS = {
  path: '/etc/keepalived/keepalived.conf',
  service: 'keepalived',
  advertInt: 1,
  scriptInterval: 1,
} as const;

/** A VRRP instance, vrrp_script or interface name: letters, digits, `_`, `-`, `.`. */
export const Name = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description });

/** One line of configuration text (no line break, so one value cannot add directives). */
export const Line = (description: string) => Type.String({ minLength: 1, pattern: '^[^\\r\\n]*$', description });

/** A network interface name (IFNAMSIZ: at most 15 bytes). */
export const InterfaceName = (description: string) => Type.String({ minLength: 1, maxLength: 15, pattern: '^[A-Za-z0-9_.:@-]+$', description });

/** An IPv4 or IPv6 address without prefix (checked with node's `net.isIP` by the module). */
export const IpAddress = (description: string) => Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$', description });

/**
 * A command as keepalived runs it: the program (an absolute path) and its arguments, each a word
 * without spaces or quotes (keepalived.conf(5) "Quoted strings": unquoted spaces separate
 * parameters; keepalived runs the program itself, without a shell).
 */
export const Command = (description: string) =>
  Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_./:=@%+,-]+$' }), {
    minItems: 1,
    description: `${description} The program (absolute path) and its arguments, each a word of letters, digits and \`_./:=@%+,-\`. keepalived runs the program at its resolved path (script security), so name the program itself, not a multi-call link such as \`/usr/bin/pidof\` (a link to killall5).`,
  });

/** The VRRPv2 simple password: keepalived uses at most 8 characters (keepalived.conf(5) `auth_pass`). */
export const AUTH_PASS_PATTERN = '^[A-Za-z0-9_.,:+=@%-]{1,8}$';

const extra = (section: string) =>
  Type.Optional(
    Type.Array(Line('A raw line.'), {
      description: `Raw lines appended at the end of the ${section}: the escape hatch for keywords the model lacks (checked by \`keepalived -t\` like the rest).`,
    }),
  );

/** `global_defs` (keepalived.conf(5) "Global definitions"). */
export const GlobalDefs = Type.Object(
  {
    router_id: Type.Optional(Name('`router_id`: how this machine names itself in notifications. Default: the host name.')),
    extra: extra('global_defs block'),
  },
  {
    additionalProperties: false,
    description:
      'Always rendered with `script_user root` and `enable_script_security`: track and notify scripts run as root, and keepalived refuses any whose path a non-root user could change.',
  },
);

/** A `vrrp_script`: a health check whose exit status moves the instances that track it. */
export const VrrpScript = Type.Object(
  {
    name: Name('Script name, what `track_scripts` refer to.'),
    script: Command('The check: exit status 0 is healthy.'),
    interval: Type.Optional(Type.Integer({ minimum: 1, description: '`interval`: seconds between runs. Default 1.' })),
    timeout: Type.Optional(Type.Integer({ minimum: 1, description: '`timeout`: seconds after which a run counts as failed.' })),
    fall: Type.Optional(Type.Integer({ minimum: 1, description: '`fall`: failed runs before the check is down.' })),
    rise: Type.Optional(Type.Integer({ minimum: 1, description: '`rise`: successful runs before the check is up again.' })),
    weight: Type.Optional(
      Type.Integer({
        minimum: -253,
        maximum: 253,
        description: '`weight`: 0 (keepalived\'s default) puts a tracking instance in FAULT when the check is down, so it gives up its addresses; otherwise the priority moves by this much.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** One `virtual_ipaddress` line. */
export const VirtualAddress = Type.Object(
  {
    address: Line('`ADDRESS/PREFIX`, e.g. `10.0.0.100/24` (IPv4 or IPv6; all of an instance\'s addresses in one family).'),
    dev: Type.Optional(InterfaceName('`dev`: the interface that gets the address. Default: the instance\'s interface.')),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 15, pattern: '^[A-Za-z0-9_.:-]+$', description: '`label`: an alias name such as `eth0:vip`.' })),
  },
  { additionalProperties: false },
);

/** A `vrrp_instance` (keepalived.conf(5) "VRRP instance(s)"; RFC 3768 VRRPv2). */
export const VrrpInstance = Type.Object(
  {
    name: Name('Instance name (`vrrp_instance NAME`); it cannot change on a reload.'),
    state: Type.Union([Type.Literal('MASTER'), Type.Literal('BACKUP')], { description: '`state`: the state at start; the election (priority) decides after that.' }),
    interface: InterfaceName('`interface`: where VRRP adverts go (the private network).'),
    virtual_router_id: Type.Integer({ minimum: 1, maximum: 255, description: '`virtual_router_id`: 1 to 255, the same on every peer of the instance.' }),
    priority: Type.Integer({ minimum: 1, maximum: 255, description: '`priority`: the highest wins the election; 255 means the address owner.' }),
    advert_int: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 255, description: '`advert_int`: whole seconds between adverts (VRRPv2). A backup takes over after 3 missed adverts plus a skew (RFC 3768 §6.1). Default 1.' }),
    ),
    nopreempt: Type.Optional(Type.Boolean({ description: '`nopreempt`: a recovered higher-priority peer does not take the addresses back (needs state BACKUP).' })),
    preempt_delay: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1000, description: '`preempt_delay`: seconds a recovered higher-priority peer waits before taking over (needs state BACKUP, not with `nopreempt`).' }),
    ),
    unicast_src_ip: Type.Optional(IpAddress('`unicast_src_ip`: this host\'s own address on the private network, the source of its adverts.')),
    unicast_peers: Type.Optional(
      Type.Array(IpAddress('A peer\'s address.'), {
        minItems: 1,
        description: '`unicast_peer`: the other peers\' addresses. Adverts go to them by unicast instead of multicast (cloud private networks carry no multicast).',
      }),
    ),
    authentication: Type.Optional(
      Type.Union([Type.String({ pattern: AUTH_PASS_PATTERN }), SecretValue()], {
        description:
          '`authentication { auth_type PASS; auth_pass … }`: the password every peer sends in its adverts, 1 to 8 of `A-Za-z0-9_.,:+=@%-` (keepalived uses 8 characters; RFC 2338 §5.3.6). Usually a Secret; the file is then written 0600, and diffs mask the value of `auth_pass` (also a former one). It keeps stray adverts out, it is not encryption.',
      }),
    ),
    virtual_ipaddresses: Type.Array(VirtualAddress, { minItems: 1, description: '`virtual_ipaddress`: the shared addresses the master holds.' }),
    track_scripts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Name('A `scripts` entry.'),
            weight: Type.Optional(Type.Integer({ minimum: -253, maximum: 253, description: 'Overrides the script\'s weight for this instance.' })),
          },
          { additionalProperties: false },
        ),
        { description: '`track_script`: health checks of this instance.' },
      ),
    ),
    track_interfaces: Type.Optional(
      Type.Array(InterfaceName('An interface.'), { description: '`track_interface`: other interfaces whose link going down puts the instance in FAULT (its own interface is always tracked).' }),
    ),
    garp_master_delay: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: '`garp_master_delay`: seconds after becoming master before the second round of gratuitous ARPs.' })),
    notify_master: Type.Optional(Command('`notify_master`: run when this host becomes master (e.g. `keepalived.failover`\'s hook).')),
    notify_backup: Type.Optional(Command('`notify_backup`: run when this host becomes backup.')),
    notify_fault: Type.Optional(Command('`notify_fault`: run when the instance enters FAULT.')),
    notify_stop: Type.Optional(Command('`notify_stop`: run when keepalived stops the instance.')),
    extra: extra('vrrp_instance block'),
  },
  { additionalProperties: false },
);

/** The configuration model: what keepalived.conf holds. */
export const KeepalivedConfigModel = {
  global_defs: Type.Optional(GlobalDefs),
  scripts: Type.Optional(Type.Array(VrrpScript, { description: '`vrrp_script` blocks: health checks, in order.' })),
  instances: Type.Array(VrrpInstance, { minItems: 1, description: '`vrrp_instance` blocks, in order.' }),
};

/** The configuration as the renderer takes it. */
export const KeepalivedConfig = Type.Object(KeepalivedConfigModel, { additionalProperties: false });

/** A keepalived configuration model value. */
export type KeepalivedConfig = Static<typeof KeepalivedConfig>;
export type KeepalivedInstance = Static<typeof VrrpInstance>;
export type KeepalivedScript = Static<typeof VrrpScript>;

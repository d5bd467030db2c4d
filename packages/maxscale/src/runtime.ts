import type { ConfigSection } from './render.js';

/** One `maxctrl` command: its arguments after `maxctrl` and the global options. */
export interface MaxctrlCommand {
  args: string[];
}

/**
 * How a changed configuration reaches a running MaxScale: `maxctrl` commands that make the
 * running objects equal to the new file, or a restart when some change cannot be made at
 * runtime (then `restart` holds one reason per such change, and `commands` is empty).
 */
export interface RuntimeChange {
  restart: string[];
  commands: MaxctrlCommand[];
}

/**
 * `[maxscale]` parameters that `maxctrl alter maxscale` changes at runtime (MaxScale 24.02
 * Configuration Guide: parameters marked "Dynamic: Yes"). Every other global change restarts.
 */
export const RUNTIME_GLOBALS: ReadonlySet<string> = new Set([
  'log_info',
  'log_notice',
  'log_warning',
  'log_debug',
  'log_throttling',
  'ms_timestamp',
  'query_retries',
  'query_retry_timeout',
  'auth_connect_timeout',
  'auth_read_timeout',
  'auth_write_timeout',
  'passive',
  'users_refresh_time',
  'users_refresh_interval',
]);

/** Parameters whose change always needs a restart, by object type: the module or router is fixed when an object is created. */
const FIXED: Record<string, ReadonlySet<string>> = {
  server: new Set(['type']),
  monitor: new Set(['type', 'module']),
  service: new Set(['type', 'router']),
};

/**
 * Parameters never sent on a `maxctrl` command line: a command line is visible in the process
 * list of the host (ps, /proc), so a changed password is applied by a restart instead.
 */
export const SECRET_PARAMS: ReadonlySet<string> = new Set(['password', 'replication_password']);

type Params = Map<string, string>;

function index(sections: ConfigSection[]): Map<string, Params> {
  return new Map(sections.map((s) => [s.name, new Map(s.params)]));
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * Decides how to bring a running MaxScale from the configuration in `before` to the one in
 * `after` (both as read from maxscale.cnf): a pure function of the two, so that check mode
 * predicts exactly what the run does.
 *
 * Made at runtime through `maxctrl` (MaxScale 24.02 MaxCtrl reference):
 * - a new server: `create server NAME ADDRESS PORT`, its other parameters with `alter server`;
 * - changed server parameters (address and port included): `alter server NAME KEY VALUE…`;
 * - servers added to or removed from a monitor's or service's `servers`: `link`/`unlink`;
 * - changed monitor and service parameters: `alter monitor|service NAME KEY VALUE…`
 *   (readwritesplit: "all router parameters can be configured at runtime");
 * - a removed server: unlinked (above), then `destroy server NAME`;
 * - the `[maxscale]` parameters of {@link RUNTIME_GLOBALS}: `alter maxscale KEY VALUE…`.
 *
 * A restart instead, for: any other `[maxscale]` parameter (the REST API address, threads, …);
 * a new, removed or changed monitor, service or listener object other than the above; a changed
 * monitor module or service router; a parameter that was removed (MaxScale cannot unset one at
 * runtime); any changed password ({@link SECRET_PARAMS}); an object whose type changed.
 */
export function planRuntimeChange(before: ConfigSection[], after: ConfigSection[]): RuntimeChange {
  const old = index(before);
  const neu = index(after);
  const restart: string[] = [];
  const create: MaxctrlCommand[] = [];
  const unlink: MaxctrlCommand[] = [];
  const link: MaxctrlCommand[] = [];
  const alter: MaxctrlCommand[] = [];
  const destroy: MaxctrlCommand[] = [];

  for (const [name, p] of neu) {
    const o = old.get(name);
    const type = name === 'maxscale' ? 'maxscale' : (p.get('type') ?? '');
    if (!o) {
      if (type === 'server') {
        const rest = [...p].filter(([k]) => !['type', 'address', 'port', 'socket'].includes(k));
        if (rest.some(([k]) => SECRET_PARAMS.has(k))) restart.push(`new server ${name} has a password parameter`);
        create.push({ args: ['create', 'server', name, p.get('address') ?? p.get('socket') ?? '', ...(p.has('port') ? [p.get('port') as string] : [])] });
        if (rest.length > 0) alter.push({ args: ['alter', 'server', name, ...rest.flat()] });
      } else restart.push(`new ${type || 'object'} ${name}`);
      continue;
    }
    const oldType = name === 'maxscale' ? 'maxscale' : (o.get('type') ?? '');
    if (oldType !== type) {
      restart.push(`${name} changed type from ${oldType} to ${type}`);
      continue;
    }
    const removed = [...o.keys()].filter((k) => !p.has(k));
    if (removed.length > 0) restart.push(`${name}: ${removed.join(', ')} removed (MaxScale cannot unset a parameter at runtime)`);
    const changed = [...p].filter(([k, v]) => o.get(k) !== v);
    if (changed.length === 0) continue;
    if (type === 'maxscale') {
      const fixed = changed.filter(([k]) => !RUNTIME_GLOBALS.has(k));
      if (fixed.length > 0) restart.push(`[maxscale] ${fixed.map(([k]) => k).join(', ')} changed (not changeable at runtime)`);
      else alter.push({ args: ['alter', 'maxscale', ...changed.flat()] });
      continue;
    }
    if (type === 'listener' || !(type in FIXED)) {
      restart.push(`${type || 'object'} ${name} changed`);
      continue;
    }
    const fixed = changed.filter(([k]) => FIXED[type]?.has(k));
    if (fixed.length > 0) {
      restart.push(`${type} ${name}: ${fixed.map(([k]) => k).join(', ')} changed`);
      continue;
    }
    const secrets = changed.filter(([k]) => SECRET_PARAMS.has(k));
    if (secrets.length > 0) restart.push(`${type} ${name}: ${secrets.map(([k]) => k).join(', ')} changed (kept off maxctrl's command line)`);
    let rest = changed;
    if (type === 'monitor' || type === 'service') {
      rest = changed.filter(([k]) => k !== 'servers');
      const was = list(o.get('servers'));
      const now = list(p.get('servers'));
      const gone = was.filter((x) => !now.includes(x));
      const added = now.filter((x) => !was.includes(x));
      if (gone.length > 0) unlink.push({ args: ['unlink', type, name, ...gone] });
      if (added.length > 0) link.push({ args: ['link', type, name, ...added] });
    }
    if (rest.length > 0) alter.push({ args: ['alter', type, name, ...rest.flat()] });
  }
  for (const [name, o] of old) {
    if (neu.has(name)) continue;
    const type = name === 'maxscale' ? 'maxscale' : (o.get('type') ?? '');
    if (type === 'server') destroy.push({ args: ['destroy', 'server', name] });
    else restart.push(`${type || 'object'} ${name} removed`);
  }
  if (restart.length > 0) return { restart, commands: [] };
  // Servers exist before they are linked; they are unlinked everywhere before they are destroyed.
  return { restart: [], commands: [...create, ...unlink, ...link, ...alter, ...destroy] };
}

/** A one-line description of a runtime change, for the change list and check mode. */
export function describeRuntimeChange(c: RuntimeChange): string {
  if (c.restart.length > 0) return `restart (${c.restart.join('; ')})`;
  return c.commands.map((x) => `maxctrl ${x.args.join(' ')}`).join('; ');
}

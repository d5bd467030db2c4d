import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FactRequest, Static } from '@converge/core';
import { systemdUnit, systemdUnitsNeedingReload, unitKeys, unitOnceLoaded, UNITS_CHANGED_EARLIER, type UnitStatus } from './unit-facts.js';

/** JSON Schema of the `systemd.service` module's params (Ansible's `ansible.builtin.systemd_service`). */
export const ServiceParams = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[^/\\s]+$', description: 'Unit name; without a suffix `.service` is meant (systemctl(1)).' }),
    state: Type.Optional(
      Type.Union([Type.Literal('started'), Type.Literal('stopped'), Type.Literal('restarted'), Type.Literal('reloaded')], {
        description: '`started`/`stopped` are idempotent; `restarted` and `reloaded` always act (and report changed). `reloaded` starts a unit that is not running.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'Whether the unit starts at boot (systemctl enable/disable). Static units count as both.' })),
    masked: Type.Optional(Type.Boolean({ description: 'Whether the unit is masked (linked to /dev/null: it cannot be started at all).' })),
    daemon_reload: Type.Optional(Type.Boolean({
      default: false,
      description: 'Also reload systemd when any other loaded unit\'s file changed on disk. This unit\'s own changed file, or a unit file written earlier in the run, always triggers the reload.',
    })),
  },
  { additionalProperties: false },
);

/** Params of `systemd.service`. */
export type ServiceParams = Static<typeof ServiceParams>;

type ServiceFacts = { unit: FactRequest<UnitStatus>; pending?: FactRequest<string[]> };

const RUNNING = new Set(['active', 'activating', 'reloading']);
const ENABLED = new Set(['enabled', 'enabled-runtime', 'alias']);
/** Unit file states that `systemctl enable/disable` cannot change: they count as whatever is asked. */
const FIXED = new Set(['static', 'transient']);

/** Whether a unit counts as enabled, or `'either'` for units without an [Install] section. */
export function enablement(u: UnitStatus): boolean | 'either' {
  if (FIXED.has(u.unitFileState)) return 'either';
  if (u.unitFileState === 'generated') return u.isEnabled === 'enabled';
  return ENABLED.has(u.unitFileState);
}

function isMasked(u: UnitStatus): boolean {
  return u.loadState === 'masked' || u.unitFileState === 'masked' || u.unitFileState === 'masked-runtime';
}

/** Private plan data for apply. */
export interface ServicePlan {
  reload: boolean;
  unmask: boolean;
  enable?: boolean;
  action?: 'start' | 'stop' | 'restart' | 'reload';
  mask: boolean;
}

/**
 * Module `systemd.service`: a unit is started or stopped, enabled or disabled, masked or not;
 * or it is restarted / reloaded now. Reads one `systemctl show` (fact `systemd.unit`); applies
 * with systemctl(1) in Ansible's order: daemon-reload, unmask, enable/disable, start/stop,
 * mask.
 *
 * Unit files written in the same run (C-20): when the unit's file changed on disk
 * (`NeedDaemonReload=yes`) or an earlier task of this run changed a unit file or a package,
 * `systemctl daemon-reload` runs first, so that start and enable see the new file. In check
 * mode a unit that an earlier task would create is predicted as inactive and disabled instead
 * of failing as "not found". A second run changes nothing.
 *
 * `restarted` and `reloaded` are actions: they always report changed and are not verified.
 *
 * @example systemdService({ name: 'nginx', state: 'started', enabled: true })
 */
export const systemdService = defineModule({
  name: 'systemd.service',
  description: 'Start, stop, restart, reload, enable, disable or mask a systemd unit.',
  params: ServiceParams,
  validate: (p) => {
    if (p.state === undefined && p.enabled === undefined && p.masked === undefined && !p.daemon_reload) {
      return 'give at least one of state, enabled, masked, daemon_reload';
    }
    if (p.masked === true && (p.enabled === true || (p.state !== undefined && p.state !== 'stopped'))) {
      return `a masked unit cannot be ${p.enabled === true ? 'enabled' : p.state}`;
    }
    return undefined;
  },
  facts: (p) => {
    const f: ServiceFacts = { unit: systemdUnit({ name: p.name }) };
    if (p.daemon_reload) f.pending = systemdUnitsNeedingReload({});
    return f;
  },
  plan: ({ params: p, facts: f, upstreamChanged, predicted }) => {
    // Check mode after an earlier change of units or packages: the unit as that change leaves it,
    // when the earlier task predicts it (apt: what the package's maintainer scripts do); else the
    // facts may not show it yet, and the plan is a guess, known after apply.
    const foreseen = (predicted?.[`unit:${p.name}`] ?? predicted?.[`unit:${p.name}.service`]) as UnitStatus | undefined;
    const guessing = upstreamChanged && foreseen === undefined;
    let u = foreseen ?? f.unit;
    const changes: Change[] = [];
    const data: ServicePlan = { reload: false, unmask: false, mask: false };

    if (u.needDaemonReload || guessing || (f.pending?.length ?? 0) > 0) {
      data.reload = true;
      const why = u.needDaemonReload ? `${u.id || p.name} changed on disk` : guessing ? UNITS_CHANGED_EARLIER : `changed on disk: ${f.pending?.join(', ')}`;
      changes.push({ path: 'daemon_reload', before: why, after: 'reloaded' });
      // A unit that is not loaded yet is expected to appear, inactive and disabled, once reloaded.
      if (u.loadState === 'not-found' && guessing) u = unitOnceLoaded(u);
    }

    const masked = isMasked(u);
    if (p.masked === false && masked) {
      data.unmask = true;
      changes.push({ path: 'masked', before: true, after: false });
    }
    const maskedAfter = p.masked ?? masked;
    const wantsUnit = p.state === 'started' || p.state === 'restarted' || p.state === 'reloaded' || p.enabled === true;
    if (maskedAfter && wantsUnit) {
      throw new ConvergeError('CONVERGE_PLAN', `unit ${p.name} is masked: it cannot be ${p.enabled === true ? 'enabled' : p.state}`, { hint: 'add masked: false to unmask it' });
    }
    if (u.loadState === 'not-found' && wantsUnit) {
      throw new ConvergeError('CONVERGE_PLAN', `unit ${p.name} not found`, {
        hint: 'check the name (systemctl list-unit-files), install its package or write its unit file in an earlier task',
      });
    }

    if (p.enabled !== undefined && u.loadState !== 'not-found' && !data.unmask && !maskedAfter) {
      const now = enablement(u);
      if (now !== 'either' && now !== p.enabled) {
        data.enable = p.enabled;
        changes.push({ path: 'enabled', before: now, after: p.enabled });
      }
    } else if (p.enabled !== undefined && data.unmask) {
      data.enable = p.enabled;
      changes.push({ path: 'enabled', before: false, after: p.enabled });
    }

    const running = RUNNING.has(u.activeState);
    if (p.state === 'started' && !running) {
      data.action = 'start';
      changes.push({ path: 'state', before: u.activeState, after: 'started' });
    } else if (p.state === 'stopped' && running) {
      data.action = 'stop';
      changes.push({ path: 'state', before: u.activeState, after: 'stopped' });
    } else if (p.state === 'restarted') {
      data.action = 'restart';
      changes.push({ path: 'state', before: u.activeState, after: 'restarted' });
    } else if (p.state === 'reloaded') {
      data.action = 'reload';
      changes.push({ path: 'state', before: u.activeState, after: running ? 'reloaded' : 'started' });
    }

    if (p.masked === true && !masked) {
      data.mask = true;
      changes.push({ path: 'masked', before: false, after: true });
    }

    if (changes.length === 0) return { changes, reason: describe(u, p) };
    return { changes, data, ...(guessing ? { unknown: `an earlier task changes units or packages, and what it makes of ${p.name} is known after it runs` } : {}) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const n = p.name;
    const steps: Command[] = [];
    if (d.reload) steps.push({ script: sh`systemctl daemon-reload`, description: 'systemctl daemon-reload' });
    if (d.unmask) steps.push({ script: sh`systemctl unmask -- ${n}`, description: `unmask ${n}` });
    if (d.enable !== undefined) steps.push({ script: d.enable ? sh`systemctl enable -- ${n}` : sh`systemctl disable -- ${n}`, description: `${d.enable ? 'enable' : 'disable'} ${n}` });
    if (d.action === 'reload') {
      steps.push({ script: sh`if systemctl is-active -q -- ${n}; then systemctl reload -- ${n}; else systemctl start -- ${n}; fi`, description: `reload ${n}` });
    } else if (d.action !== undefined) {
      steps.push({ script: sh`systemctl ${d.action} -- ${n}`, description: `${d.action} ${n}` });
    }
    if (d.mask) steps.push({ script: sh`systemctl mask -- ${n}`, description: `mask ${n}` });
    return steps;
  },
  resources: (p) => [...unitKeys(p.name), ...(p.masked !== undefined ? [`/etc/systemd/system/${p.name}`] : [])],
  verify: false,
});

function describe(u: UnitStatus, p: ServiceParams): string {
  const parts = [`${u.id || p.name} is ${u.loadState === 'not-found' ? 'not found' : u.activeState}`];
  if (u.unitFileState) parts.push(u.unitFileState);
  return parts.join(', ');
}

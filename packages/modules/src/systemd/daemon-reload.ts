import { Type, defineModule, sh } from '@converge/core';
import { systemdUnitsNeedingReload, UNITS_CHANGED_EARLIER } from './unit-facts.js';

/**
 * Module `systemd.daemon_reload`: makes systemd re-read its unit files (`systemctl
 * daemon-reload`, systemctl(1)) when a loaded unit's file or drop-in changed on disk, or when an
 * earlier task of this run changed unit files (so that check mode and the real run agree).
 * With nothing pending it reports no change, so a second run is quiet.
 *
 * @example systemdDaemonReload({})
 */
export const systemdDaemonReload = defineModule({
  name: 'systemd.daemon_reload',
  description: 'Reload systemd unit files when some changed on disk.',
  params: Type.Object({}, { additionalProperties: false }),
  facts: () => ({ pending: systemdUnitsNeedingReload({}) }),
  plan: ({ facts, upstreamChanged }) => {
    if (facts.pending.length > 0) return { changes: [{ path: 'daemon_reload', before: `changed on disk: ${facts.pending.join(', ')}`, after: 'reloaded' }] };
    if (upstreamChanged) return { changes: [{ path: 'daemon_reload', before: UNITS_CHANGED_EARLIER, after: 'reloaded' }] };
    return { changes: [], reason: 'no loaded unit changed on disk' };
  },
  apply: () => [{ script: sh`systemctl daemon-reload`, description: 'systemctl daemon-reload' }],
  resources: () => ['unit:*'],
});

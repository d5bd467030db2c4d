import { Type, defineModule } from '@converge/core';

/** Params of {@link pause} (Ansible's `ansible.builtin.pause`, without its prompt). */
export const PauseParams = Type.Object(
  {
    seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'How long to pause, in seconds.' })),
    minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'How long to pause, in minutes.' })),
  },
  { additionalProperties: false },
);

/**
 * Pauses the host's run on the controller for a set time (Ansible's `ansible.builtin.pause`
 * with `seconds` or `minutes`): no round trip, no remote process. Hosts run independently, so
 * each host pauses for itself (Ansible pauses once for the batch; the wall time is the same).
 * Check mode does not pause, and says so. Ansible's prompt (`prompt`, `echo`, a pause without a
 * time) is not offered: converge does not read the terminal while hosts run.
 *
 * @example pause({ seconds: 30 }, { name: 'let the load balancer notice' })
 */
export const pause = defineModule({
  name: 'pause',
  description: 'Pause the host\'s run for a set time.',
  params: PauseParams,
  validate: (p) => {
    if (p.seconds !== undefined && p.minutes !== undefined) return 'give seconds or minutes, not both';
    if (p.seconds === undefined && p.minutes === undefined) return 'give seconds or minutes: a pause that waits for a prompt is not offered (converge does not read the terminal while hosts run)';
    return undefined;
  },
  plan: ({ params: p, host }) => {
    const seconds = p.seconds ?? (p.minutes ?? 0) * 60;
    const shown = p.minutes !== undefined ? `${p.minutes} minute${p.minutes === 1 ? '' : 's'}` : `${seconds} second${seconds === 1 ? '' : 's'}`;
    if (host.check) return { changes: [], reason: `check mode: the run pauses ${shown} here`, result: { delta: 0 } };
    return { changes: [], reason: `paused ${shown}`, pauseSeconds: seconds, result: { delta: seconds, stdout: `Paused for ${shown}` } };
  },
  apply: () => [],
  resources: () => [],
});

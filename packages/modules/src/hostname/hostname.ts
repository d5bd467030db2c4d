import { defineFact, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { wholeFile } from '../copy/whole-file.js';
import type { ManagedFileWrite } from '../managed-file/managed-file.js';

/**
 * Fact `hostname.live`: the running kernel's host name (/proc/sys/kernel/hostname, proc(5)).
 */
export const liveHostname = defineFact<Record<string, never>, string>({
  name: 'hostname.live',
  description: "The kernel's host name.",
  command: () => 'cat /proc/sys/kernel/hostname',
  parse: (stdout) => stdout.trim(),
  resources: () => ['hostname'],
});

/** Params of {@link hostname}. */
export const HostnameParams = Type.Object(
  {
    name: Type.String({
      maxLength: 64,
      pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$',
      description: 'The host name (RFC 1123 labels, at most 64 characters: the kernel limit), written to /etc/hostname and set live.',
    }),
  },
  { additionalProperties: false },
);

type P = Static<typeof HostnameParams>;

const HOSTNAME_FILE = '/etc/hostname';
const file = (p: P) => ({ path: HOSTNAME_FILE, content: `${p.name}\n` });

interface HostnameData {
  file?: ManagedFileWrite;
  live?: boolean;
}

/**
 * Sets the host name in /etc/hostname (hostname(5), read at boot) and in the running kernel, as
 * `ansible.builtin.hostname` with the systemd or debian strategy. The live name is set with
 * hostname(1) when installed, else written to /proc/sys/kernel/hostname. /etc/hosts is not
 * touched (as Ansible).
 *
 * @example hostname({ name: 'web1.example.test' })
 */
export const hostname = defineModule({
  name: 'hostname',
  description: 'Set the host name, in /etc/hostname and live.',
  params: HostnameParams,
  facts: (p) => ({ file: wholeFile.fact(file(p)), live: liveHostname({}) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const f = wholeFile.plan(file(p), facts.file, { module: 'hostname', upstreamChanged, label: 'file' });
    const changes: Change[] = [...f.changes];
    const data: HostnameData = {};
    if (f.write) data.file = f.write;
    if (facts.live !== p.name) {
      changes.push({ path: 'live', before: facts.live, after: p.name });
      data.live = true;
    }
    if (changes.length === 0) return { changes, reason: `the host name is ${p.name}` };
    return { changes, diffs: f.diffs, data };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const steps: Command[] = d.file ? wholeFile.apply(file(p), d.file) : [];
    if (d.live) {
      steps.push({
        script: sh`n=${p.name}; if command -v hostname >/dev/null 2>&1; then hostname -- "$n"; else printf '%s' "$n" > /proc/sys/kernel/hostname; fi`,
        description: `set the host name ${p.name}`,
      });
    }
    return steps;
  },
  resources: () => [HOSTNAME_FILE, 'hostname'],
});

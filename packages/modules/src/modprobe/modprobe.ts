import { ConvergeError, defineFact, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { KERNEL_PARAMETERS } from '../sysctl/sysctl.js';
import { wholeFile } from '../copy/whole-file.js';
import type { WholeFile } from '../copy/whole-file.js';
import type { ManagedFileWrite } from '../managed-file/managed-file.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Whether a kernel module is loaded (or built in), and whether modprobe(8) is there to change it. */
export interface KernelModuleState {
  loaded: boolean;
  modprobe: boolean;
}

/** A module name as the kernel keeps it: `-` and `_` are the same (modprobe(8)). */
function kernelName(name: string): string {
  return name.replace(/-/g, '_');
}

/**
 * Fact `modprobe.module`: whether a kernel module is in the running kernel, from /sys/module
 * (sysfs: loaded modules and built-in ones with parameters) and /proc/modules, so it reads
 * the same inside a container, where modules cannot be loaded but the host's show.
 */
export const kernelModule = defineFact<{ name: string }, KernelModuleState>({
  name: 'modprobe.module',
  description: 'Whether a kernel module is loaded, and whether modprobe is installed.',
  command: ({ name }) =>
    sh`n=${kernelName(name)}; if [ -d "/sys/module/$n" ] || grep -q "^$n " /proc/modules 2>/dev/null || grep -q "/$n\\.ko" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo 'loaded yes'; else echo 'loaded no'; fi; if command -v modprobe >/dev/null 2>&1; then echo 'modprobe yes'; else echo 'modprobe no'; fi`,
  parse: (stdout) => ({ loaded: /^loaded yes$/m.test(stdout), modprobe: /^modprobe yes$/m.test(stdout) }),
  resources: ({ name }) => [`kmod:${kernelName(name)}`],
});

/** Params of {@link modprobe}. */
export const ModprobeParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'Kernel module name.' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: loaded (modprobe); absent: unloaded (modprobe -r).' })),
    params: Type.Optional(Type.String({ pattern: '^[^\\n]*$', default: '', description: 'Module parameters (`numdummies=2`), given to modprobe when it loads the module and written to /etc/modprobe.d with persistent present.' })),
    persistent: Type.Optional(
      Type.Union([Type.Literal('disabled'), Type.Literal('present'), Type.Literal('absent')], {
        default: 'disabled',
        description:
          'present: /etc/modules-load.d/NAME.conf loads the module at boot (and /etc/modprobe.d/NAME.conf holds `options NAME params` when params are given); absent: both files are removed; disabled: they are left alone.',
      }),
    ),
  },
  { additionalProperties: false },
);

type P = Static<typeof ModprobeParams>;

/** The boot-time files of a module for `persistent` (modules-load.d(5), modprobe.d(5)). */
export function modprobeFiles(p: P): { load: WholeFile; options: WholeFile } | undefined {
  const persistent = p.persistent ?? 'disabled';
  if (persistent === 'disabled') return undefined;
  const present = persistent === 'present';
  const params = (p.params ?? '').trim();
  return {
    load: { path: `/etc/modules-load.d/${p.name}.conf`, content: present ? `${p.name}\n` : null },
    options: { path: `/etc/modprobe.d/${p.name}.conf`, content: present && params !== '' ? `options ${p.name} ${params}\n` : null },
  };
}

interface ModprobeData {
  run?: 'load' | 'unload';
  load?: ManagedFileWrite;
  options?: ManagedFileWrite;
}

/**
 * Loads or unloads a kernel module, and optionally makes that last across reboots, as
 * `community.general.modprobe`. Loaded-ness comes from /sys/module and /proc/modules; params
 * are not compared with a loaded module's (as Ansible: change them with absent, then present).
 *
 * @example modprobe({ name: 'br_netfilter', persistent: 'present' })
 */
export const modprobe = defineModule({
  name: 'modprobe',
  description: 'Load or unload a kernel module, at once and at boot.',
  params: ModprobeParams,
  facts: (p) => {
    const files = modprobeFiles(p);
    return {
      module: kernelModule({ name: p.name }),
      load: files ? wholeFile.fact(files.load) : undefined,
      options: files ? wholeFile.fact(files.options) : undefined,
    };
  },
  plan: ({ params: p, facts, upstreamChanged }) => {
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: ModprobeData = {};
    const want = (p.state ?? 'present') === 'present';
    if (facts.module.loaded !== want) {
      requirePrerequisite(facts.module.modprobe, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `modprobe: ${p.name} is ${want ? 'not loaded' : 'loaded'} and the host has no modprobe`, { hint: 'install kmod first (apt: kmod)' }));
      changes.push({ path: 'loaded', before: facts.module.loaded, after: want });
      data.run = want ? 'load' : 'unload';
    }
    const files = modprobeFiles(p);
    if (files && facts.load && facts.options) {
      const states = { load: facts.load, options: facts.options };
      for (const key of ['load', 'options'] as const) {
        const f = wholeFile.plan(files[key], states[key], { module: 'modprobe', upstreamChanged, label: key === 'load' ? 'modules_load' : 'modprobe_options' });
        changes.push(...f.changes);
        diffs.push(...f.diffs);
        if (f.write) data[key] = f.write;
      }
    }
    if (changes.length === 0) return { changes, reason: `${p.name} is ${want ? 'loaded' : 'not loaded'}${files ? ' and its boot files are as wanted' : ''}` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const steps: Command[] = [];
    const files = modprobeFiles(p);
    if (files && d.options) steps.push(...wholeFile.apply(files.options, d.options));
    if (files && d.load) steps.push(...wholeFile.apply(files.load, d.load));
    const params = (p.params ?? '').trim();
    if (d.run === 'load') steps.push({ script: sh`modprobe -- ${p.name} ${params === '' ? [] : params.split(/\s+/)}`, description: `load ${p.name}` });
    if (d.run === 'unload') steps.push({ script: sh`modprobe -r -- ${p.name}`, description: `unload ${p.name}` });
    return steps;
  },
  resources: (p) => [`kmod:${kernelName(p.name)}`, `/etc/modules-load.d/${p.name}.conf`, `/etc/modprobe.d/${p.name}.conf`, KERNEL_PARAMETERS],
});

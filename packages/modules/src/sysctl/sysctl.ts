import { ConvergeError, defineFact, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { fileState } from '../file/file-state.js';
import { applyTextEdit, planTextEdit } from '../file/text-edit.js';
import type { EditResult, TextEditData } from '../file/text-edit.js';
import { joinLines, splitLines, toBinary } from '../file/text-lines.js';
import { changeNotKnownYet, requirePrerequisite } from '../check-mode/earlier-changes.js';

/** The live value of a kernel parameter: its text, or `null` when /proc/sys has no such entry. */
export interface SysctlValue {
  name: string;
  value: string | null;
}

/** The /proc/sys path of a kernel parameter: dots are separators unless the name holds a slash (sysctl.d(5)). */
export function procSysPath(name: string): string {
  return `/proc/sys/${name.includes('/') ? name : name.replace(/\./g, '/')}`;
}

/** A name as sysctl.d(5) compares it: slashes and dots are the same separator. */
function normalName(name: string): string {
  return name.includes('/') ? name.replace(/\//g, '.') : name;
}

/** A value as the kernel prints it: runs of whitespace are one space (`1024 65535`, tabs in /proc). */
export function normalValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/** Resource of the set of kernel parameters: loading a module (modprobe) adds some. */
export const KERNEL_PARAMETERS = 'sysctl:kernel-parameters';

/**
 * Fact `sysctl.value`: the live value of one kernel parameter, read from /proc/sys (proc(5)); no
 * sysctl(8) needed.
 */
export const sysctlValue = defineFact<{ name: string }, SysctlValue>({
  name: 'sysctl.value',
  description: 'The live value of a kernel parameter (/proc/sys).',
  command: ({ name }) => sh`p=${procSysPath(name)}; if [ -r "$p" ] && [ ! -d "$p" ]; then printf 'value '; tr '\\n' ' ' < "$p"; echo; else echo absent; fi`,
  parse: (stdout, { args }) => {
    const line = stdout.split('\n')[0] ?? '';
    if (line === 'absent') return { name: args.name, value: null };
    if (!line.startsWith('value ')) throw new ConvergeError('CONVERGE_FACT', `sysctl.value ${args.name}: unexpected output ${JSON.stringify(stdout)}`);
    return { name: args.name, value: normalValue(line.slice(6)) };
  },
  resources: ({ name }) => [`sysctl:${normalName(name)}`, KERNEL_PARAMETERS],
});

/** Params of {@link sysctl}. */
export const SysctlParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$', description: 'Kernel parameter, e.g. `net.ipv4.ip_forward` (a slash form `net/ipv4/conf/eth0.1/rp_filter` for names holding a dot).' }),
    value: Type.Optional(
      Type.Union([Type.String({ minLength: 1, pattern: '^[^\\n=#;]*$' }), Type.Integer(), Type.Boolean()], {
        description: 'The value; true/false are written 1/0. Compared with the live value with runs of whitespace as one space. Required with state present.',
      }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: the line `name=value` is in sysctl_file; absent: no line for name is (the live value is left as it is).' })),
    sysctl_file: Type.Optional(Type.String({ pattern: '^/', default: '/etc/sysctl.d/99-converge.conf', description: 'The file holding the setting (created when missing), read at boot by systemd-sysctl (sysctl.d(5)).' })),
    reload: Type.Optional(Type.Boolean({ default: true, description: 'Also set the live value (written to /proc/sys) when it differs from value.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof SysctlParams>;

function valueText(v: string | number | boolean): string {
  return typeof v === 'boolean' ? (v ? '1' : '0') : normalValue(String(v));
}

/**
 * The sysctl.d file edited the way Ansible's `ansible.posix.sysctl` edits it: the first line
 * whose key (before `=`, trimmed, `/` as `.`) is the name becomes `name=value` and later ones go;
 * no such line appends one; state absent removes them. Comments (`#`, `;`) and blank lines stay.
 */
export function editSysctlFile(before: string | null, name: string, value: string | undefined): EditResult {
  const lines = splitLines(before ?? '');
  const key = normalName(name);
  const out = [] as typeof lines;
  let found = false;
  let was: string | null = null;
  for (const l of lines) {
    const t = l.text.trim();
    const eq = t.indexOf('=');
    const isKey = t !== '' && !t.startsWith('#') && !t.startsWith(';') && eq > 0 && normalName(t.slice(0, eq).trim().replace(/^-/, '')) === key;
    if (!isKey) {
      out.push(l);
      continue;
    }
    if (value === undefined || found) {
      was ??= t;
      continue;
    }
    found = true;
    was = t;
    out.push(normalValue(t.slice(eq + 1)) === value ? l : { text: toBinary(`${name}=${value}`), eol: '\n' });
  }
  if (value !== undefined && !found) {
    const last = out.at(-1);
    if (last && last.eol === '') last.eol = '\n';
    out.push({ text: toBinary(`${name}=${value}`), eol: '\n' });
  }
  const after = joinLines(out);
  const changed = after !== (before ?? '') || (before === null && value !== undefined);
  return {
    after,
    changed,
    changes: changed ? [{ path: 'file', before: was, after: value === undefined ? null : `${name}=${value}` }] : [],
    message: value === undefined ? `no line sets ${name}` : `${name}=${value} is already in the file`,
  };
}

interface SysctlData {
  file?: TextEditData;
  live?: string;
}

/**
 * Sets a kernel parameter persistently (a `name=value` line in a sysctl.d(5) file, read at boot)
 * and live (written to /proc/sys when the running value differs), as Ansible's
 * `ansible.posix.sysctl` with `sysctl_set: true`. Both are compared separately: a host whose file
 * is right but whose live value drifted is repaired. Needs no sysctl(8) on the target.
 *
 * Differences from Ansible: the default file is `/etc/sysctl.d/99-converge.conf` (not
 * /etc/sysctl.conf); the live value is compared and set by default (`reload`); `ignoreerrors` is
 * not supported.
 *
 * @example sysctl({ name: 'net.ipv4.ip_forward', value: 1 })
 */
export const sysctl = defineModule({
  name: 'sysctl',
  description: 'Set a kernel parameter in a sysctl.d file and live.',
  params: SysctlParams,
  validate: (p) => ((p.state ?? 'present') === 'present' && p.value === undefined ? 'value is required with state present' : undefined),
  facts: (p) => ({
    file: fileState({ path: p.sysctl_file ?? '/etc/sysctl.d/99-converge.conf', content: true }),
    live: sysctlValue({ name: p.name }),
  }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const path = p.sysctl_file ?? '/etc/sysctl.d/99-converge.conf';
    const value = (p.state ?? 'present') === 'present' && p.value !== undefined ? valueText(p.value) : undefined;
    const filePlan = planTextEdit({
      module: 'sysctl',
      path,
      state: facts.file,
      attributes: {},
      edit: (before) => editSysctlFile(before, p.name, value),
      whenMissing: value === undefined ? 'skip' : 'create',
      secret: false,
      upstreamChanged,
    });
    const changes: Change[] = [...filePlan.changes];
    const data: SysctlData = {};
    let unknown: string | undefined;
    if (filePlan.data && filePlan.changes.length > 0) data.file = filePlan.data;
    if (value !== undefined && (p.reload ?? true)) {
      if (facts.live.value === null) {
        requirePrerequisite(false, upstreamChanged, () =>
          new ConvergeError('CONVERGE_PLAN', `sysctl: the kernel has no parameter ${p.name} (${procSysPath(p.name)} does not exist)`, {
            hint: 'check the name (sysctl -a lists them); a parameter of a module appears once the module is loaded (modprobe)',
          }),
        );
        changes.push(changeNotKnownYet('live', value));
        data.live = value;
        unknown = `the kernel parameter ${p.name} appears after an earlier task`;
      } else if (facts.live.value !== value) {
        changes.push({ path: 'live', before: facts.live.value, after: value });
        data.live = value;
      }
    }
    if (changes.length === 0) return { changes, reason: value === undefined ? `${path} sets no ${p.name}` : `${p.name} is ${value} in ${path} and live` };
    return { changes, diffs: filePlan.diffs ?? [], data, ...(unknown ? { unknown } : {}) };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.file) steps.push(...applyTextEdit(p.sysctl_file ?? '/etc/sysctl.d/99-converge.conf', d.file, { create: true, secret: false }));
    if (d.live !== undefined) steps.push({ script: sh`printf '%s\\n' ${d.live} > ${procSysPath(p.name)}`, description: `set ${p.name} live` });
    return steps;
  },
  resources: (p) => [p.sysctl_file ?? '/etc/sysctl.d/99-converge.conf', `sysctl:${normalName(p.name)}`],
});

import { ConvergeError, defineFact, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';

/** A link group as `update-alternatives --query` prints it; `null` when the group does not exist. */
export interface AlternativeGroup {
  link: string;
  status: 'auto' | 'manual';
  value: string | null;
  alternatives: { path: string; priority: number }[];
}

/** Parses `update-alternatives --query NAME` (update-alternatives(1), QUERY FORMAT). */
export function parseAlternativesQuery(stdout: string): AlternativeGroup | null {
  const blocks = stdout.split(/\n\s*\n/);
  const head = blocks[0] ?? '';
  const field = (text: string, name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim();
  const link = field(head, 'Link');
  if (link === undefined) return null;
  const value = field(head, 'Value');
  const alternatives = blocks.slice(1).flatMap((b) => {
    const path = field(b, 'Alternative');
    return path === undefined ? [] : [{ path, priority: Number(field(b, 'Priority') ?? 0) }];
  });
  return { link, status: field(head, 'Status') === 'manual' ? 'manual' : 'auto', value: value === undefined || value === 'none' ? null : value, alternatives };
}

/** Fact `alternatives.group`: one link group of the alternatives system (dpkg's update-alternatives). */
export const alternativesGroup = defineFact<{ name: string }, AlternativeGroup | null>({
  name: 'alternatives.group',
  description: 'A link group of update-alternatives.',
  command: ({ name }) => sh`update-alternatives --query ${name} 2>/dev/null; :`,
  parse: (stdout) => parseAlternativesQuery(stdout),
  resources: ({ name }) => [`alternatives:${name}`],
});

/** Params of {@link alternatives}. */
export const AlternativesParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.+-]+$', description: 'The link group, e.g. `editor`.' }),
    path: Type.String({ pattern: '^/', description: 'The alternative (an installed program).' }),
    link: Type.Optional(Type.String({ pattern: '^/', description: 'The generic link, e.g. /usr/bin/editor. Needed when the group does not exist yet.' })),
    priority: Type.Optional(Type.Integer({ default: 50, description: 'Priority of the alternative (the highest wins in auto mode).' })),
    state: Type.Optional(
      Type.Union([Type.Literal('selected'), Type.Literal('present'), Type.Literal('auto'), Type.Literal('absent')], {
        default: 'selected',
        description: 'selected: installed and chosen (manual mode); present: installed, the choice left alone; auto: installed and the group in auto mode; absent: removed from the group.',
      }),
    ),
  },
  { additionalProperties: false },
);

type P = Static<typeof AlternativesParams>;

interface AltData {
  install?: boolean;
  set?: boolean;
  auto?: boolean;
  remove?: boolean;
}

/**
 * Manages one alternative of a Debian alternatives link group with update-alternatives(1), as
 * `community.general.alternatives`: installed with a priority, selected (manual mode), the
 * group back in auto mode, or removed. Slave links (`subcommands`) are not supported.
 *
 * @example alternatives({ name: 'editor', path: '/usr/bin/vim.basic', link: '/usr/bin/editor', priority: 60 })
 */
export const alternatives = defineModule({
  name: 'alternatives',
  description: 'Install, select or remove an alternative (update-alternatives).',
  params: AlternativesParams,
  facts: (p) => ({ group: alternativesGroup({ name: p.name }) }),
  plan: ({ params: p, facts }) => {
    const g = facts.group;
    const state = p.state ?? 'selected';
    const priority = p.priority ?? 50;
    const mine = g?.alternatives.find((a) => a.path === p.path);
    const changes: Change[] = [];
    const data: AltData = {};
    if (state === 'absent') {
      if (!mine) return { changes, reason: `${p.path} is not an alternative of ${p.name}` };
      return { changes: [{ path: 'alternative', before: p.path, after: null }], data: { remove: true } };
    }
    if (!g && p.link === undefined) {
      throw new ConvergeError('CONVERGE_PLAN', `alternatives: the group ${p.name} does not exist and no link was given`, { hint: 'give link, e.g. /usr/bin/NAME' });
    }
    const link = p.link ?? g?.link;
    if (!mine || mine.priority !== priority || (p.link !== undefined && g && g.link !== p.link)) {
      changes.push({ path: 'alternative', before: mine ? `${mine.path} (priority ${mine.priority}, link ${g?.link ?? '?'})` : null, after: `${p.path} (priority ${priority}, link ${link ?? '?'})` });
      data.install = true;
    }
    if (state === 'selected' && (g?.value !== p.path || g.status !== 'manual')) {
      changes.push({ path: 'selected', before: g?.value ?? null, after: p.path });
      data.set = true;
    }
    if (state === 'auto' && g?.status !== 'auto') {
      changes.push({ path: 'status', before: g?.status ?? null, after: 'auto' });
      data.auto = true;
    }
    if (changes.length === 0) return { changes, reason: `${p.path} is ${state === 'selected' ? 'the selected' : 'an'} alternative of ${p.name}${state === 'auto' ? ' (auto mode)' : ''}` };
    return { changes, data };
  },
  apply: ({ params: p, plan, facts }) => {
    const d = plan.data;
    const steps: Command[] = [];
    const link = p.link ?? facts.group?.link ?? '';
    if (d.remove) steps.push({ script: sh`update-alternatives --quiet --remove ${p.name} ${p.path}`, description: `remove ${p.path} from ${p.name}` });
    if (d.install) steps.push({ script: sh`update-alternatives --quiet --install ${link} ${p.name} ${p.path} ${p.priority ?? 50}`, description: `install ${p.path} as ${p.name}` });
    if (d.set) steps.push({ script: sh`update-alternatives --quiet --set ${p.name} ${p.path}`, description: `select ${p.path} for ${p.name}` });
    if (d.auto) steps.push({ script: sh`update-alternatives --quiet --auto ${p.name}`, description: `${p.name} in auto mode` });
    return steps;
  },
  resources: (p) => [`alternatives:${p.name}`, ...(p.link !== undefined ? [p.link] : [])],
});

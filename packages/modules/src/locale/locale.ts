import { ConvergeError, defineFact, defineModule, raw, Type } from '@converge/core';
import type { Change, Command, Plan, Static } from '@converge/core';
import { fileState } from '../file/file-state.js';
import { applyTextEdit, planTextEdit } from '../file/text-edit.js';
import type { EditResult, TextEditData } from '../file/text-edit.js';
import { fromBinary, joinLines, splitLines, toBinary } from '../file/text-lines.js';
import { changeNotKnownYet } from '../check-mode/earlier-changes.js';

/** Compiled locales (`locale -a`) and whether locale-gen(8) is installed. */
export interface AvailableLocales {
  locales: string[];
  localeGen: boolean;
}

/**
 * A locale name as `locale -a` prints it: the codeset lower-cased without `-` or `_`
 * (`de_DE.UTF-8` -> `de_DE.utf8`), glibc's normalized codeset name.
 */
export function normalLocale(name: string): string {
  const m = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name);
  if (!m) return name;
  const codeset = m[2] === undefined ? '' : `.${m[2].toLowerCase().replace(/[-_]/g, '')}`;
  return `${m[1] ?? ''}${codeset}${m[3] ?? ''}`;
}

/** Fact `locale.available`: the compiled locales (`locale -a`) and whether locale-gen is installed. */
export const availableLocales = defineFact<Record<string, never>, AvailableLocales>({
  name: 'locale.available',
  description: 'Compiled locales and whether locale-gen is installed.',
  command: () => "if command -v locale-gen >/dev/null 2>&1; then echo '@@gen yes'; else echo '@@gen no'; fi; locale -a 2>/dev/null; :",
  parse: (stdout) => {
    const lines = stdout.split('\n').filter((l) => l !== '');
    return { localeGen: lines.includes('@@gen yes'), locales: lines.filter((l) => !l.startsWith('@@')).map(normalLocale) };
  },
  resources: () => ['locales'],
});

/** Params of {@link locale}. */
export const LocaleParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.@-]+$', description: 'Locale as /usr/share/i18n/SUPPORTED names it, e.g. `de_DE.UTF-8`.' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: enabled in /etc/locale.gen and compiled; absent: disabled and no longer compiled.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof LocaleParams>;

const LOCALE_GEN = '/etc/locale.gen';
const SUPPORTED = '/usr/share/i18n/SUPPORTED';

/**
 * /etc/locale.gen with NAME enabled or disabled (locale.gen(5)): the line `NAME CHARSET`,
 * commented out with `# ` or not. A missing line is added from SUPPORTED's (`supported`).
 */
export function editLocaleGen(before: string | null, name: string, enable: boolean, supported: string | undefined): EditResult {
  const lines = splitLines(before ?? '');
  const re = new RegExp(`^#?\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\S`);
  let found = false;
  const out = lines.map((l) => {
    const text = fromBinary(l.text);
    if (!re.test(text)) return l;
    found = true;
    const bare = text.replace(/^#?\s*/, '');
    return { ...l, text: toBinary(enable ? bare : `# ${bare}`) };
  });
  if (!found && enable && supported !== undefined) {
    const last = out.at(-1);
    if (last && last.eol === '') last.eol = '\n';
    out.push({ text: toBinary(supported), eol: '\n' });
  }
  const after = joinLines(out);
  const changed = after !== (before ?? '');
  return {
    after,
    changed,
    changes: changed ? [{ path: 'locale_gen', before: enable ? 'disabled' : 'enabled', after: enable ? 'enabled' : 'disabled' }] : [],
    message: `${name} is ${enable ? 'enabled' : 'disabled'} in ${LOCALE_GEN}`,
  };
}

interface LocaleData {
  file?: TextEditData;
  generate?: boolean;
}

/**
 * Compiles (or removes) a locale the Debian way, as `community.general.locale_gen`: the locale's
 * line in /etc/locale.gen is enabled (or disabled) and locale-gen(8) runs when the file changed
 * or `locale -a` disagrees. Needs the `locales` package; the name must be in
 * /usr/share/i18n/SUPPORTED.
 *
 * @example locale({ name: 'de_DE.UTF-8' })
 */
export const locale = defineModule({
  name: 'locale',
  description: 'Enable and compile a locale (/etc/locale.gen, locale-gen).',
  params: LocaleParams,
  facts: () => ({ gen: fileState({ path: LOCALE_GEN, content: true }), supported: fileState({ path: SUPPORTED, content: true }), available: availableLocales({}) }),
  plan: ({ params: p, facts, upstreamChanged }): Plan<LocaleData> => {
    const enable = (p.state ?? 'present') === 'present';
    const supportedText = facts.supported.target?.content;
    if (supportedText === undefined || !facts.available.localeGen) {
      if (upstreamChanged) return { changes: [changeNotKnownYet('locale', enable ? 'compiled' : 'absent')], data: { generate: true }, unknown: 'locale-gen comes from an earlier task' };
      if (!enable) return { changes: [], reason: `locale-gen is not installed, so ${p.name} is not compiled` };
      throw new ConvergeError('CONVERGE_PLAN', `locale: the host has no ${supportedText === undefined ? SUPPORTED : 'locale-gen'}`, { hint: 'install the locales package first (apt: locales)' });
    }
    const line = fromBinary(supportedText)
      .split('\n')
      .find((l) => l.split(/\s+/)[0] === p.name);
    if (line === undefined && enable) {
      throw new ConvergeError('CONVERGE_PLAN', `locale: ${p.name} is not a supported locale (not in ${SUPPORTED})`, { hint: 'use a name as SUPPORTED lists it, e.g. de_DE.UTF-8' });
    }
    const filePlan = planTextEdit({
      module: 'locale',
      path: LOCALE_GEN,
      state: facts.gen,
      attributes: {},
      edit: (before) => editLocaleGen(before, p.name, enable, line),
      whenMissing: enable ? 'create' : 'skip',
      secret: false,
      upstreamChanged,
    });
    const changes: Change[] = [...filePlan.changes];
    const data: LocaleData = {};
    if (filePlan.changes.length > 0 && filePlan.data) data.file = filePlan.data;
    const compiled = facts.available.locales.includes(normalLocale(p.name));
    if (compiled !== enable) {
      changes.push({ path: 'compiled', before: compiled, after: enable });
      data.generate = true;
    } else if (data.file && !enable) {
      data.generate = true;
    }
    if (changes.length === 0) return { changes, reason: `${p.name} is ${enable ? 'compiled' : 'absent'}` };
    return { changes, diffs: filePlan.diffs ?? [], data };
  },
  apply: ({ plan }) => {
    const d = plan.data;
    const steps: Command[] = d.file ? applyTextEdit(LOCALE_GEN, d.file, { create: true, secret: false }) : [];
    if (d.generate) steps.push({ script: raw('locale-gen >/dev/null'), description: 'locale-gen' });
    return steps;
  },
  resources: () => [LOCALE_GEN, 'locales'],
});

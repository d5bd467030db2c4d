import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The template compatibility corpus (`test/fixtures/templates/corpus/`): for every builtin filter,
 * test and lookup of ansible-core 2.14 and every filter, test and statement of Jinja2 3.1, at least
 * two templates with edge inputs. Each entry says how its output is compared with Ansible's:
 * byte for byte (the default), by shape (a regular expression both outputs must match, for
 * random or time-dependent output), or not at all (excluded, with the reason: it needs the
 * network). Generated into template files at test time; Ansible renders them all in one run.
 */

/** The kinds of corpus entries. */
export type EntryKind = 'filter' | 'test' | 'lookup' | 'statement';

/** One plugin or statement and its templates. */
export interface CorpusEntry {
  kind: EntryKind;
  name: string;
  /** `ansible.builtin` or `jinja2`. */
  from: string;
  templates: string[];
  /** Extra variables for this entry's templates (on top of `vars.yml`). */
  vars?: Record<string, unknown>;
  /** Compared by this regular expression instead of byte for byte (random or time-dependent output). */
  shape?: string;
  /** Not compared with Ansible, for this reason (needs the network). */
  exclude?: string;
  /** Why the output is random or time-dependent (with `shape`). */
  reason?: string;
  /** For templates Ansible refuses: a phrase both Ansible's and converge's error must contain. */
  error?: string;
}

const ENTRY_KEYS = new Set(['filter', 'test', 'lookup', 'statement', 'from', 'templates', 'vars', 'shape', 'exclude', 'reason', 'error']);

/** One template file of the corpus. */
export interface CorpusCase {
  id: string;
  entry: CorpusEntry;
  source: string;
  vars: Record<string, unknown>;
}

/** The corpus directory. */
export const CORPUS_DIR = resolve(import.meta.dirname, '../../../test/fixtures/templates/corpus');

const KINDS: EntryKind[] = ['filter', 'test', 'lookup', 'statement'];

/** Reads every entry of the corpus, in file order. @throws Error naming the file of an entry without a kind or templates. */
export function corpusEntries(dir = CORPUS_DIR): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml') && f !== 'vars.yml').sort()) {
    const raw = parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>[];
    for (const r of raw) {
      const kind = KINDS.find((k) => typeof r[k] === 'string');
      if (!kind || !Array.isArray(r.templates)) throw new Error(`${file}: entry ${JSON.stringify(r).slice(0, 80)} needs one of ${KINDS.join('/')} and templates`);
      const unknown = Object.keys(r).filter((k) => !ENTRY_KEYS.has(k));
      if (unknown.length > 0) throw new Error(`${file}: entry ${kind} ${String(r[kind])} has unknown keys: ${unknown.join(', ')}`);
      if (r.shape !== undefined && r.reason === undefined) throw new Error(`${file}: entry ${kind} ${String(r[kind])} is compared by shape without a reason`);
      const { [kind]: name, ...rest } = r;
      out.push({ kind, name: String(name), from: String(r.from ?? 'ansible.builtin'), ...(rest as Omit<CorpusEntry, 'kind' | 'name' | 'from'>) });
    }
  }
  return out;
}

/** The shared variables (`vars.yml`), as YAML text. */
export function corpusVarsText(dir = CORPUS_DIR): string {
  return readFileSync(join(dir, 'vars.yml'), 'utf8');
}

/**
 * Every template of the corpus with a stable, unique id (`filter-splitext-1`; a Jinja2 builtin
 * that ansible-core replaces under the same name, such as `random`, is `filter-jinja2.random-1`).
 */
export function corpusCases(entries: CorpusEntry[], sharedVars: Record<string, unknown>): CorpusCase[] {
  const key = (e: CorpusEntry): string => `${e.kind} ${e.name}`;
  const shared = new Set(entries.filter((e, i) => entries.findIndex((o) => key(o) === key(e)) !== i).map(key));
  return entries.flatMap((entry) =>
    entry.templates.map((source, i) => ({
      id: `${entry.kind}-${shared.has(key(entry)) && entry.from !== 'ansible.builtin' ? `${entry.from}.` : ''}${entry.name.replace(/[^\w.-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}-${i + 1}`,
      entry,
      source,
      vars: { ...sharedVars, ...(entry.vars ?? {}) },
    })),
  );
}

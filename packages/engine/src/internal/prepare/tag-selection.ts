/**
 * Ansible's tag selection: `always` runs unless skipped by name; `never` runs only when one of
 * the task's tags is asked for by name; `all`, `tagged` and `untagged` select by kind.
 * Source: Ansible docs, "Tags" (special tags).
 */
export function tagSelected(taskTags: string[], tags: string[] | undefined, skip: string[] | undefined): boolean {
  const t = new Set(taskTags);
  if (skip?.some((s) => t.has(s) || (s === 'tagged' && t.size > 0) || (s === 'untagged' && t.size === 0))) return false;
  const named = (tags ?? []).some((x) => t.has(x));
  if (t.has('never')) return named;
  if (!tags || tags.length === 0 || tags.includes('all')) return true;
  if (t.has('always')) return true;
  if (tags.includes('tagged') && t.size > 0) return true;
  if (tags.includes('untagged') && t.size === 0) return true;
  return named;
}

import { isSecret, maskText, maskValue } from '@converge/core';
import type { ModuleDefinition } from '@converge/core';

/** A task's name when it has none: the module's name and its first naming param (`name`, `path`, `dest`, ...). */
export function defaultName(def: ModuleDefinition, params: unknown): string {
  const p = (params ?? {}) as Record<string, unknown>;
  for (const k of ['name', 'path', 'dest', 'cmd', 'unit', 'src']) {
    const v = p[k];
    if (typeof v === 'string') return `${def.name} ${v}`;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `${def.name} ${v.join(', ')}`;
  }
  return def.name;
}

/** The label of a loop item: its text, or JSON for other values; secrets masked. */
export function itemLabel(item: unknown, label: ((item: unknown) => string) | undefined): string {
  if (label) return maskText(String(label(item)));
  if (isSecret(item)) return '********';
  if (typeof item === 'string') return maskText(item);
  if (item === null || typeof item !== 'object') return String(item);
  return JSON.stringify(maskValue(item));
}

import { Type, type Change } from '@converge/core';
import type { FileInfo } from './file-state.js';
import { formatMode, ModeParam, mustParseMode, parseMode, parseStatMode, resolveMode } from './mode.js';

/** Schema fields every module that manages a file takes: `mode`, `owner`, `group`. */
export const attributeParams = {
  mode: Type.Optional(ModeParam),
  owner: Type.Optional(Type.String({ minLength: 1, description: 'Owner (name or numeric uid). Absent: kept as it is (a new file belongs to the user the task runs as).' })),
  group: Type.Optional(Type.String({ minLength: 1, description: 'Group (name or numeric gid). Absent: kept as it is.' })),
};

/** The attribute params as values. */
export interface AttributeParams {
  mode?: string | number;
  owner?: string;
  group?: string;
}

/** Checks the `mode` param; returns the message of a bad one. */
export function validateAttributes(p: AttributeParams): string | undefined {
  if (p.mode === undefined) return undefined;
  const spec = parseMode(p.mode);
  return 'error' in spec ? spec.error : undefined;
}

/** Default bits of what converge creates: 0644 for files, 0755 for directories (umask 022). */
export function defaultMode(kind: 'file' | 'directory'): number {
  return kind === 'directory' ? 0o755 : 0o644;
}

/** The final mode of a file given the params and its current state (`undefined` = not asked). */
export function desiredMode(p: AttributeParams, current: FileInfo | undefined, kind: 'file' | 'directory'): string | undefined {
  if (p.mode === undefined) return undefined;
  const base = current ? parseStatMode(current.mode) : defaultMode(kind);
  return formatMode(resolveMode(mustParseMode(p.mode), base, (current?.type ?? kind) === 'directory'));
}

/** True when `wanted` (a name or a numeric id) names the current owner or group. */
export function samePrincipal(name: string, id: number, wanted: string): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

/** What attribute work a plan found: the changes to report and the resolved values to apply. */
export interface AttributePlan {
  changes: Change[];
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Compares the asked mode/owner/group with an existing object (`current`) or, for an object the
 * task creates, reports the asked values as changes from `null`. Only differing values are
 * returned for apply.
 */
export function planAttributes(p: AttributeParams, current: FileInfo | undefined, kind: 'file' | 'directory'): AttributePlan {
  const out: AttributePlan = { changes: [] };
  const mode = desiredMode(p, current, kind);
  if (mode !== undefined && mode !== current?.mode) {
    out.changes.push({ path: 'mode', before: current?.mode ?? null, after: mode });
    out.mode = mode;
  }
  if (p.owner !== undefined && !(current && samePrincipal(current.owner, current.uid, p.owner))) {
    out.changes.push({ path: 'owner', before: current?.owner ?? null, after: p.owner });
    out.owner = p.owner;
  }
  if (p.group !== undefined && !(current && samePrincipal(current.group, current.gid, p.group))) {
    out.changes.push({ path: 'group', before: current?.group ?? null, after: p.group });
    out.group = p.group;
  }
  return out;
}

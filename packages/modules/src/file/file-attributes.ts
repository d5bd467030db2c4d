import { ConvergeError, Type, type Change } from '@converge/core';
import type { FileInfo } from './file-state.js';
import type { FilePrincipals } from './principals.js';
import { formatMode, ModeParam, mustParseMode, parseMode, parseStatMode, resolveMode } from './mode.js';

/** Schema fields every module that manages a file takes: `mode`, `owner`, `group`. */
export const attributeParams = {
  mode: Type.Optional(ModeParam),
  owner: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], {
      description:
        'Owner: a user name, resolved as chown(1) does (the user of that name; a name of digits that names no user is taken as a uid), or a number, always a uid. A name the host does not know fails the task, in check mode too. Absent: kept as it is (a new file belongs to the user the task runs as).',
    }),
  ),
  group: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], {
      description: 'Group: a group name, resolved as chgrp(1) does, or a number, always a gid. A name the host does not know fails the task, in check mode too. Absent: kept as it is.',
    }),
  ),
};

/** The attribute params as values. */
export interface AttributeParams {
  mode?: string | number;
  /** A name (resolved as chown(1) does) or a number (a uid). */
  owner?: string | number;
  /** A name (resolved as chgrp(1) does) or a number (a gid). */
  group?: string | number;
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

/**
 * The operand chown(1) or chgrp(1) gets for a wanted owner or group: a name as it is (they resolve
 * it as {@link filePrincipals} does), a number as `+N`, which GNU chown and chgrp take as an id
 * without looking it up as a name (coreutils manual, "Disambiguating names and IDs").
 */
export function principalOperand(wanted: string | number): string {
  return typeof wanted === 'number' ? `+${wanted}` : wanted;
}

/**
 * True when the current owner (group), by `name` and `id`, is the wanted one: a number is an id; a
 * name is compared by the id the host resolves it to (`resolved`, from {@link filePrincipals}),
 * or, when it names no one, as chown takes it then (digits: an id); without the fact, by name.
 */
export function samePrincipal(name: string, id: number, wanted: string | number, resolved?: number | null): boolean {
  if (typeof wanted === 'number') return id === wanted;
  if (typeof resolved === 'number') return id === resolved;
  if (resolved === null && /^\d+$/.test(wanted)) return id === Number(wanted);
  // Not resolved on the host: the name, or digits as chown would take them when no one has that name.
  return name === wanted || (resolved === undefined && /^\d+$/.test(wanted) && id === Number(wanted));
}

/** What attribute work a plan found: the changes to report and the resolved values to apply (chown/chgrp operands). */
export interface AttributePlan {
  changes: Change[];
  mode?: string;
  owner?: string;
  group?: string;
}

/** What the host says of the wanted owner and group: the `file.principals` fact, and whether an earlier task of a check run may change it. */
export interface PrincipalsKnown {
  principals?: FilePrincipals | undefined;
  upstreamChanged?: boolean;
}

/**
 * Refuses an owner or group name the host does not know, as chown and chgrp would refuse it
 * ("invalid user"), unless an earlier task of this check run may create it.
 *
 * @throws ConvergeError `CONVERGE_PLAN` naming the user or group.
 */
function requireKnown(kind: 'owner' | 'group', wanted: string | number | undefined, known: PrincipalsKnown): void {
  if (typeof wanted !== 'string' || /^\d+$/.test(wanted) || known.principals?.[kind] !== null || known.upstreamChanged) return;
  const what = kind === 'owner' ? 'user' : 'group';
  throw new ConvergeError('CONVERGE_PLAN', `${kind} ${JSON.stringify(wanted)}: the host has no ${what} of that name`, {
    hint: `create it in an earlier task (${what}: { name: ${JSON.stringify(wanted)} }) or name an existing ${what}; a number is taken as a ${kind === 'owner' ? 'uid' : 'gid'}`,
  });
}

/**
 * Refuses an owner or a group name the host does not know, for a module whose apply gives them to
 * chown (unarchive, synchronize); `known` holds the task's {@link principalFacts}.
 *
 * @throws ConvergeError `CONVERGE_PLAN` naming the user or group.
 */
export function requirePrincipals(p: { owner?: string | number; group?: string | number }, known: PrincipalsKnown): void {
  requireKnown('owner', p.owner, known);
  requireKnown('group', p.group, known);
}

/**
 * Compares the asked mode/owner/group with an existing object (`current`) or, for an object the
 * task creates, reports the asked values as changes from `null`. Only differing values are
 * returned for apply, owner and group as chown/chgrp operands ({@link principalOperand}).
 * `known` (the `file.principals` fact of the task, see {@link principalFacts}) resolves names.
 *
 * @throws ConvergeError `CONVERGE_PLAN` for an owner or group name the host does not know.
 */
export function planAttributes(p: AttributeParams, current: FileInfo | undefined, kind: 'file' | 'directory', known: PrincipalsKnown = {}): AttributePlan {
  requirePrincipals(p, known);
  const out: AttributePlan = { changes: [] };
  const mode = desiredMode(p, current, kind);
  if (mode !== undefined && mode !== current?.mode) {
    out.changes.push({ path: 'mode', before: current?.mode ?? null, after: mode });
    out.mode = mode;
  }
  if (p.owner !== undefined && !(current && samePrincipal(current.owner, current.uid, p.owner, known.principals?.owner))) {
    out.changes.push({ path: 'owner', before: current?.owner ?? null, after: p.owner });
    out.owner = principalOperand(p.owner);
  }
  if (p.group !== undefined && !(current && samePrincipal(current.group, current.gid, p.group, known.principals?.group))) {
    out.changes.push({ path: 'group', before: current?.group ?? null, after: p.group });
    out.group = principalOperand(p.group);
  }
  return out;
}

import { Type } from '@converge/core';

/**
 * A parsed `mode` param: either absolute permission bits, or symbolic clauses that are applied
 * to the file's current mode in `plan` (the way `chmod u+x` works).
 */
export type ModeSpec =
  | { kind: 'absolute'; bits: number }
  | { kind: 'symbolic'; text: string; clauses: SymbolicClause[] };

/** One `who op perms` part of a symbolic mode, e.g. `go-w`. */
export interface SymbolicClause {
  /** `u`, `g`, `o` letters; empty means "all, minus the umask" as chmod(1) and Ansible do. */
  who: string;
  ops: { op: '+' | '-' | '='; perms: string }[];
}

/**
 * JSON Schema of every `mode` param: an octal string (`'0644'`, `'644'`, `'0o644'`), a symbolic
 * string (`'u=rw,g=r,o=r'`, `'u+x'`) or a number whose value is the permission bits (`0o644`,
 * `420`). Checked further by {@link parseMode}.
 */
export const ModeParam = Type.Union([Type.String(), Type.Integer()], {
  description:
    "Permission bits: an octal string ('0644' or '644'), a symbolic mode ('u=rw,g=r,o=r', 'u+x'), or a number whose value is the bits (0o644). A bare number such as 644 is refused as ambiguous: write '0644'.",
});

const PERM_BITS = 0o7777;
const CLAUSE = /^([ugoa]*)((?:[-+=][rwxXst]*)+)$/;
/** Umask assumed for symbolic modes without a `who` (chmod's `+x`): Debian's default. */
const ASSUMED_UMASK = 0o022;

/**
 * Parses a `mode` param. Rules (C-14): strings of octal digits are octal (`'644'` = `'0644'`);
 * numbers are the bits themselves (`0o644` = `420`, `0o2775` = `1533`), except a number whose
 * decimal digits read as a usual mode while its bits do not (644, 755, 1777: see
 * {@link readsAsOctalDigits}), which is refused as ambiguous; symbolic modes follow
 * chmod(1) as Ansible implements them (`[ugoa]*[-+=][rwxXst]*`, comma separated; Ansible's
 * `_symbolic_mode_to_octal`).
 *
 * @returns the spec, or a message saying what is wrong and what to write instead.
 */
export function parseMode(input: string | number): ModeSpec | { error: string } {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0) return { error: `mode ${input} is not a permission number; write it as a string, e.g. '0644'` };
    if (input > PERM_BITS) return { error: `mode ${input} is more than 0o7777; write it as a string, e.g. '0644'` };
    if (readsAsOctalDigits(input)) {
      const digits = String(input).padStart(4, '0');
      return {
        error: `mode ${input} is ambiguous: as a number its bits are 0o${input.toString(8)}, but it reads like the octal digits '${digits}'; write the string '${digits}' (or '${formatMode(input)}' if those bits were meant)`,
      };
    }
    return { kind: 'absolute', bits: input };
  }
  const s = input.trim();
  if (s === '') return { error: 'mode is empty; write e.g. "0644"' };
  const octal = /^(?:0o)?([0-7]{1,5})$/.exec(s);
  if (octal) {
    const bits = parseInt(octal[1] ?? '', 8);
    if (bits > PERM_BITS) return { error: `mode ${JSON.stringify(input)} is more than 07777` };
    return { kind: 'absolute', bits };
  }
  const clauses: SymbolicClause[] = [];
  for (const part of s.split(',')) {
    const m = CLAUSE.exec(part);
    if (!m) {
      return { error: `mode ${JSON.stringify(input)} is neither octal (e.g. "0644") nor symbolic (e.g. "u=rw,g=r,o=r"): bad part ${JSON.stringify(part)}` };
    }
    const who = (m[1] ?? '').includes('a') ? 'ugo' : (m[1] ?? '');
    const ops = [...(m[2] ?? '').matchAll(/([-+=])([rwxXst]*)/g)].map((x) => ({ op: x[1] as '+' | '-' | '=', perms: x[2] ?? '' }));
    clauses.push({ who, ops });
  }
  return { kind: 'symbolic', text: s, clauses };
}

/**
 * True for the permission bits of a usual mode: the owner can at least read, the group has no
 * more than the owner and others no more than the group (`0755`, `0640`, `0711`, `0600`).
 */
function usualPermissions(bits: number): boolean {
  const u = (bits >> 6) & 7;
  const g = (bits >> 3) & 7;
  const o = bits & 7;
  return (u & 4) !== 0 && (g & ~u) === 0 && (o & ~g) === 0;
}

/**
 * True when a number given as a mode was most likely written as octal digits in decimal (`644`
 * meaning `0644`): it is 512 or more (so special bits would be set), its decimal digits are all
 * octal digits, and either those digits read as a usual mode or its bits are not one. `0o2775`
 * (1533: digits `1533` are no usual mode, bits `2775` are) and `0o4755` (2541) are taken as bits.
 */
export function readsAsOctalDigits(n: number): boolean {
  if (n < 512 || !/^[0-7]+$/.test(String(n))) return false;
  return usualPermissions(parseInt(String(n), 8) & 0o777) || !usualPermissions(n & 0o777);
}

/** {@link parseMode} for code that has validated params already: throws on a bad mode. */
export function mustParseMode(input: string | number): ModeSpec {
  const spec = parseMode(input);
  if ('error' in spec) throw new TypeError(spec.error);
  return spec;
}

/**
 * The permission bits a mode gives a file whose current bits are `current`. Symbolic modes are
 * applied clause by clause as chmod(1) does (`X` = x when a directory or already executable;
 * `=` also clears setuid/setgid/sticky of that class; no `who` = all classes minus umask 022).
 */
export function resolveMode(spec: ModeSpec, current: number, isDirectory: boolean): number {
  if (spec.kind === 'absolute') return spec.bits;
  let mode = current & PERM_BITS;
  const hasExec = (current & 0o111) !== 0;
  for (const clause of spec.clauses) {
    const useUmask = clause.who === '';
    const who = useUmask ? 'ugo' : clause.who;
    for (const { op, perms } of clause.ops) {
      for (const u of who) {
        let bits = 0;
        for (const p of perms) bits |= permBits(u, p, isDirectory || hasExec);
        if (useUmask) bits &= ~ASSUMED_UMASK;
        if (op === '=') {
          const mask = u === 'u' ? 0o4700 : u === 'g' ? 0o2070 : 0o1007;
          mode = (mode & ~mask) | bits;
        } else if (op === '+') {
          mode |= bits;
        } else {
          mode &= ~bits;
        }
      }
    }
  }
  return mode & PERM_BITS;
}

function permBits(who: string, perm: string, applyX: boolean): number {
  const shift = who === 'u' ? 6 : who === 'g' ? 3 : 0;
  switch (perm) {
    case 'r':
      return 4 << shift;
    case 'w':
      return 2 << shift;
    case 'x':
      return 1 << shift;
    case 'X':
      return applyX ? 1 << shift : 0;
    case 's':
      return who === 'u' ? 0o4000 : who === 'g' ? 0o2000 : 0;
    case 't':
      return who === 'o' ? 0o1000 : 0;
    default:
      return 0;
  }
}

/**
 * The operand for chmod(1) of bits formatted by {@link formatMode}: five digits (`00755`), since
 * GNU chmod keeps a directory's setuid and setgid bits for a four-digit mode and clears them only
 * for five or more digits (coreutils manual, "Directories and the Set-User-ID and Set-Group-ID Bits").
 */
export function chmodOperand(mode: string): string {
  return /^[0-7]{4}$/.test(mode) ? `0${mode}` : mode;
}

/** Bits as the 4-digit octal string converge shows and compares: `0644`, `2755`. */
export function formatMode(bits: number): string {
  return (bits & PERM_BITS).toString(8).padStart(4, '0');
}

/** Parses the `%a` output of stat(1) (`644`, `4755`) into bits. */
export function parseStatMode(text: string): number {
  return parseInt(text, 8) & PERM_BITS;
}

/**
 * /etc/fstab as fstab(5) defines it: one file system per line, six fields separated by blanks,
 * `#` comments; blanks inside a field are written as octal escapes (`\040` for a space).
 * Shared by `mount`, `swapfile` and `@converge/nfs`'s `nfs.mount`.
 */

/** One line of /etc/fstab (fstab(5)): the six fields, octal escapes decoded. */
export interface FstabEntry {
  /** fs_spec: the device (`/dev/sdb1`, `UUID=…`, `LABEL=…`) or remote file system. */
  spec: string;
  /** fs_file: the mount point (`none` or `swap` for swap). */
  file: string;
  /** fs_vfstype. */
  vfstype: string;
  /** fs_mntops, `defaults` when the field is missing. */
  mntops: string;
  /** fs_freq (dump), `0` when missing. */
  freq: string;
  /** fs_passno (fsck order), `0` when missing. */
  passno: string;
  /** Index of the line in the file (0-based). */
  line: number;
}

/** Decodes the octal escapes (`\040`, `\011`, `\012`, `\134`) of an fstab or /proc/self/mounts field. */
export function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Encodes a value as one fstab field, the way the kernel writes /proc/self/mounts and
 * getmntent(3) reads fstab: space, tab, newline and backslash as octal escapes.
 */
export function encodeMountField(value: string): string {
  return value.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** The entries of an fstab text; comments and blank lines are skipped. */
export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const f = l.split(/\s+/);
    out.push({ spec: decodeMountField(f[0] ?? ''), file: decodeMountField(f[1] ?? ''), vfstype: f[2] ?? '', mntops: f[3] ?? 'defaults', freq: f[4] ?? '0', passno: f[5] ?? '0', line: i });
  });
  return out;
}

/** The six fields of an fstab line, to be rendered by {@link renderFstabLine}. */
export interface FstabFields {
  spec: string;
  file: string;
  vfstype: string;
  mntops: string;
  freq?: string | number;
  passno?: string | number;
}

/** One fstab line (no newline): the fields encoded and separated by single spaces. */
export function renderFstabLine(f: FstabFields): string {
  return [encodeMountField(f.spec), encodeMountField(f.file), f.vfstype, f.mntops, String(f.freq ?? 0), String(f.passno ?? 0)].join(' ');
}

/**
 * The fstab text with exactly one line for the entries `match` selects (a mount point, or a
 * predicate such as "this swap file"): `line` replaces the first of them in place, later ones
 * are dropped, and it is appended when there was none; `null` removes them all. Every other line
 * is kept byte for byte.
 */
export function editFstab(text: string, match: string | ((e: FstabEntry) => boolean), line: string | null): string {
  const selects = typeof match === 'string' ? (e: FstabEntry) => e.file === match : match;
  const mine = new Set(parseFstab(text).filter(selects).map((e) => e.line));
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let placed = false;
  lines.forEach((l, i) => {
    if (!mine.has(i)) return void out.push(l);
    if (line !== null && !placed) {
      out.push(line);
      placed = true;
    }
  });
  if (line !== null && !placed) out.push(line);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

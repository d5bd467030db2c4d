import { ConvergeError, Type, defineFact, defineModule, factValue, raw, sh, sha256Hex } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { fileDiff, fileState, requirePrerequisite, writeFileSteps } from '@converge/modules';
import type { FileState } from '@converge/modules';
import { exportDirectorySteps, planExportDirectories } from './export-directories.js';
import type { DirectoryFix } from './export-directories.js';
import { NfsExport, exportProblems, renderExports } from './exports-file.js';
import { serverOutcome } from '../server-outcome.js';

/** JSON Schema of the `nfs.exports` params. */
export const NfsExportsParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'The file is `/etc/exports.d/NAME.exports` (exportfs(8) reads every `*.exports` there).' }),
    exports: Type.Array(NfsExport, { default: [], description: 'The exported directories, in order.' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`absent` removes the file and unexports what it held (the directories stay).' })),
  },
  { additionalProperties: false },
);

/** Params of `nfs.exports`. */
export type NfsExportsParams = Static<typeof NfsExportsParams>;

/** The NFS server tools and the export table as exportfs(8) last wrote it. */
export interface ExportTable {
  /** True when exportfs(8) is installed (package nfs-kernel-server). */
  exportfs: boolean;
  /** Paths in /var/lib/nfs/etab, the table exportfs keeps and the kernel server reads. */
  exported: string[];
}

/** Unescapes the octal escapes (`\040`) exportfs writes in etab paths. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses the `nfs.export_table` probe output (exported for fact tests). */
export function parseExportTable(stdout: string): ExportTable {
  const lines = stdout.split('\n');
  const exported = new Set<string>();
  for (const l of lines) {
    if (!l.startsWith('etab ')) continue;
    const path = l.slice(5).split(/\s/)[0];
    if (path) exported.add(unescapeOctal(path));
  }
  return { exportfs: lines.includes('exportfs yes'), exported: [...exported].sort() };
}

/** Fact `nfs.export_table`: whether exportfs is installed and which paths /var/lib/nfs/etab holds. */
export const exportTable = defineFact<Record<string, never>, ExportTable>({
  name: 'nfs.export_table',
  description: 'exportfs presence and the exported paths (/var/lib/nfs/etab).',
  command: () =>
    sh`if command -v exportfs >/dev/null 2>&1 || [ -x /usr/sbin/exportfs ]; then echo 'exportfs yes'; else echo 'exportfs no'; fi; if [ -r /var/lib/nfs/etab ]; then sed 's/^/etab /' /var/lib/nfs/etab; fi`,
  parse: (stdout) => parseExportTable(stdout),
  resources: () => ['/var/lib/nfs/etab', 'package:nfs-kernel-server'],
});

/** Where the exports of a task named `name` go. */
export function exportsPath(name: string): string {
  return `/etc/exports.d/${name}.exports`;
}

/** Private plan data for apply. */
export interface NfsExportsPlan {
  dirs: DirectoryFix[];
  write: boolean;
  remove: boolean;
  reexport: boolean;
}

const EXPORTFS = '/usr/sbin/exportfs';

function desired(p: NfsExportsParams): string | null {
  return (p.state ?? 'present') === 'absent' ? null : renderExports(p.name, p.exports);
}

/**
 * Module `nfs.exports`: NFS exports as a typed list, written to `/etc/exports.d/NAME.exports`
 * (exports(5)) and applied with `exportfs -ra` (exportfs(8)) only when the file changed or an
 * export is missing from the table exportfs keeps (/var/lib/nfs/etab); the exported directories
 * are created with their owner, group and mode.
 *
 * Checked on the controller before any host is contacted: client specs per exports(5)
 * ("Machine Name Formats": host names and wildcards, IPv4/IPv6 addresses and networks,
 * netgroups, `*`), duplicate paths and clients, normalised paths, and `rw` + `no_root_squash`
 * to `*` (refused). Every client line carries explicit `sync`/`async` and
 * `subtree_check`/`no_subtree_check`, so exportfs has nothing to warn about.
 *
 * The new file replaces the old one atomically; when `exportfs -ra` then refuses the export
 * table (a path that vanished, an option this nfs-utils does not know), the old file is put
 * back, exportfs runs again and the task fails with exportfs's words. exportfs works without a
 * running kernel server (it maintains etab, which nfs-server.service loads at start), so this
 * module needs `nfs-kernel-server` installed, not running.
 *
 * @example
 * nfs.exports({ name: 'shared', exports: [{ path: '/srv/shared', owner: 'www-data', mode: '2775',
 *   clients: [{ host: '10.0.0.0/24', options: { access: 'rw' } }, { host: 'backup.example.com' }] }] })
 */
export const nfsExports = defineModule({
  name: 'nfs.exports',
  description: 'NFS exports in /etc/exports.d, applied with exportfs -ra; export directories created.',
  params: NfsExportsParams,
  validate: (p) => {
    const problems = exportProblems(p.exports);
    if (problems.length > 0) return problems.join('\n');
    if ((p.state ?? 'present') === 'present' && p.exports.length === 0) return 'give at least one export, or state: absent';
    return undefined;
  },
  facts: (p) => {
    const want = desired(p);
    const f: { file: FactRequest<FileState>; table: FactRequest<ExportTable> } & Record<`dir${number}`, FactRequest<FileState>> = {
      file: fileState(want === null ? { path: exportsPath(p.name), content: true } : { path: exportsPath(p.name), contentUnlessSha256: sha256Hex(want) }),
      table: exportTable({}),
    };
    if (want !== null) p.exports.forEach((e, i) => (f[`dir${i}`] = fileState({ path: e.path })));
    return f;
  },
  plan: ({ params: p, facts: f, upstreamChanged }) => {
    const path = exportsPath(p.name);
    const want = desired(p);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: NfsExportsPlan = { dirs: [], write: false, remove: false, reexport: false };
    const file = f.file;
    const cur = file.type === 'file' ? file.target : undefined;
    if (file.type !== 'absent' && file.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `nfs.exports: ${path} is not a regular file`);
    requirePrerequisite(f.table.exportfs || (want === null && file.type === 'absent'), upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', 'nfs.exports: exportfs is not installed on this host', { hint: "install the server first: apt({ name: 'nfs-kernel-server' })" }),
    );
    if (want === null) {
      if (file.type !== 'absent') {
        data.remove = true;
        changes.push({ path: 'exports_file', before: `sha256:${cur?.sha256 ?? '?'}`, after: null });
        diffs.push(fileDiff(path, cur?.content ?? '', null));
      }
    } else {
      const dirs = planExportDirectories('nfs.exports', p.exports, p.exports.map((_e, i) => factValue(f, `dir${i}`)), upstreamChanged);
      changes.push(...dirs.changes);
      data.dirs.push(...dirs.fixes);
      const sha = sha256Hex(want);
      if (cur?.sha256 !== sha || cur.mode !== '0644') {
        data.write = true;
        changes.push({ path: 'exports_file', before: cur ? `sha256:${cur.sha256 ?? '?'}` : null, after: `sha256:${sha}` });
        if (cur?.sha256 !== sha) diffs.push(fileDiff(path, cur ? (cur.content ?? '') : null, want));
      } else {
        const missing = p.exports.map((e) => e.path).filter((x) => !f.table.exported.includes(x));
        if (missing.length > 0) {
          data.reexport = true;
          changes.push({ path: 'exported', before: f.table.exported, after: p.exports.map((e) => e.path) });
        }
      }
    }
    if (changes.length === 0) return { changes, reason: want === null ? `${path} is absent` : `${path} is in place and exported` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = exportDirectorySteps(d.dirs);
    const path = exportsPath(p.name);
    if (d.write) {
      const trial = { script: sh`if out=$(${EXPORTFS} -ra 2>&1); then if [ -n "$out" ]; then printf '%s\\n' "$out" >&2; fi; else false; fi`, refused: sh`${raw(REFUSED)}` };
      const content = new Uint8Array(Buffer.from(desired(p) ?? '', 'utf8'));
      const [write] = writeFileSteps({ path, followLinks: false, content, createParents: true, owner: 'root', group: 'root', mode: '0644', trial });
      steps.push({ ...write!, description: `write ${path} and exportfs -ra` });
    } else if (d.remove) {
      steps.push({ script: sh`rm -f -- ${path} && ${EXPORTFS} -ra`, description: `remove ${path} and exportfs -ra` });
    } else if (d.reexport) {
      steps.push({ script: sh`${EXPORTFS} -ra`, description: 'exportfs -ra' });
    }
    return steps;
  },
  outcome: serverOutcome,
  resources: (p) => [exportsPath(p.name), ...p.exports.map((e) => e.path), '/var/lib/nfs/etab'],
});

// The new file is written as `.converge-XXXXXXXX` beside the others: it starts with a dot and does
// not end in .exports, so exportfs never reads it before it is in place.
const REFUSED = `${EXPORTFS} -ra >/dev/null 2>&1 || :
printf 'exportfs -ra refused the new exports; %s was put back as it was:\\n%s\\n' "$p" "$out" >&2`;

import { ConvergeError, Type, defineFact, defineModule, factValue, raw, sh, sha256Hex } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { fileDiff, fileState, requirePrerequisite, writeFileSteps } from '@converge/modules';
import type { FileState } from '@converge/modules';
import { exportDirectorySteps, planExportDirectories } from '../exports/export-directories.js';
import type { DirectoryFix } from '../exports/export-directories.js';
import { GaneshaCore, GaneshaExport, ganeshaProblems, renderGaneshaConfig } from './ganesha-config.js';
import { serverOutcome } from '../server-outcome.js';

/** Where nfs-ganesha's files are unless the params say otherwise (Debian 12's package). */
export const GANESHA_DEFAULTS = { path: '/etc/ganesha/ganesha.conf', service: 'nfs-ganesha', log_file: '/var/log/ganesha/ganesha.log', pid_file: '/run/ganesha/ganesha.pid' } as const;

/** JSON Schema of the `nfs.ganesha` params. */
export const NfsGaneshaParams = Type.Object(
  {
    exports: Type.Array(GaneshaExport, { description: 'The exports (`EXPORT` blocks with the VFS FSAL), in order.' }),
    ...GaneshaCore,
    path: Type.Optional(Type.String({ pattern: '^/[^\\s]*$', description: 'The configuration file. Default `/etc/ganesha/ganesha.conf` (what Debian\'s nfs-ganesha.service reads).' })),
    service: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9@_.-]+$', description: 'systemd unit of the server (reloaded only when it is active). Default `nfs-ganesha`.' })),
    pid_file: Type.Optional(Type.String({ pattern: '^/[^\\s]*$', description: 'ganesha\'s pid file, whose process gets the SIGHUP of a reload. Default `/run/ganesha/ganesha.pid` (`ganesha.nfsd -h`).' })),
    log_file: Type.Optional(
      Type.String({ pattern: '^/[^\\s]*$', description: 'ganesha\'s log (the `-L` of /etc/default/nfs-ganesha), read after a reload for its verdict on the file. Default `/var/log/ganesha/ganesha.log`.' }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `nfs.ganesha`. */
export type NfsGaneshaParams = Static<typeof NfsGaneshaParams>;

/** The running nfs-ganesha: whether its unit is active and, through its D-Bus ExportMgr, what it exports. */
export interface GaneshaExportList {
  active: boolean;
  /** `ID PATH` of each export (not the pseudo root, id 0), sorted; undefined when unknown (inactive, no dbus-send). */
  exports?: string[];
}

/** Parses the `nfs.ganesha_exports` probe output (exported for fact tests). */
export function parseGaneshaExports(stdout: string): GaneshaExportList {
  const lines = stdout.split('\n').filter(Boolean);
  if (lines[0] !== 'active') return { active: false };
  if (!lines.includes('listed')) return { active: true };
  return { active: true, exports: lines.filter((l) => l.startsWith('export ')).map((l) => l.slice(7)).sort() };
}

// ShowExports (ganesha's dbus interface org.ganesha.nfsd.exportmgr) answers an array of
// structs whose first members are the export id (uint16) and its path (string).
// Fails when ganesha does not answer.
const SHOW_EXPORTS = `r=$(dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.ShowExports 2>/dev/null) && printf '%s\\n' "$r" | awk '$1 == "uint16" { id = $2; next } id != "" && $1 == "string" { gsub(/"/, "", $2); if (id != 0) print id, $2; id = "" }'`;

/** Fact `nfs.ganesha_exports`: whether the unit is active, and the exports it serves. */
export const ganeshaExports = defineFact<{ service: string }, GaneshaExportList>({
  name: 'nfs.ganesha_exports',
  description: 'nfs-ganesha active, and its exports as its D-Bus ExportMgr lists them.',
  command: (a) =>
    sh`if systemctl is-active -q -- ${a.service} 2>/dev/null; then echo active; if command -v dbus-send >/dev/null 2>&1 && list=$(${raw(SHOW_EXPORTS)}); then echo listed; printf '%s\\n' "$list" | sed -n 's/^./export &/p'; fi; else echo inactive; fi`,
  parse: (stdout) => parseGaneshaExports(stdout),
  resources: (a) => [`ganesha-exports:${a.service}`],
});

/** `ID PATH` of each export of a list, sorted: what the running server must show. */
export function wantedExports(exports: GaneshaExport[]): string[] {
  return exports.map((e) => `${e.export_id} ${e.path}`).sort();
}

/** Private plan data of `nfs.ganesha`. */
export interface NfsGaneshaPlan {
  dirs: DirectoryFix[];
  write: boolean;
  reload: boolean;
}

const settings = (p: NfsGaneshaParams) => ({
  path: p.path ?? GANESHA_DEFAULTS.path,
  service: p.service ?? GANESHA_DEFAULTS.service,
  log: p.log_file ?? GANESHA_DEFAULTS.log_file,
  pid: p.pid_file ?? GANESHA_DEFAULTS.pid_file,
  text: renderGaneshaConfig(p.exports, p.protocols ?? [3, 4]),
});

/**
 * Module `nfs.ganesha`: nfs-ganesha's exports (the user-space NFS server, FSAL VFS) from a typed
 * list, in ganesha.conf, with the exported directories created with owner and mode.
 *
 * NFS-Ganesha 4.3 has no mode that only checks a configuration, and a reload of a file it cannot
 * parse drops every export (measured: `SIGHUP` with a missing brace leaves only the pseudo root).
 * So the file is only ever rendered from the model (syntax by construction, every value typed,
 * checked on the controller: unique ids, paths and pseudo paths, client specs), and the server
 * itself judges each change: the new file replaces the old one atomically, nfs-ganesha is
 * reloaded (SIGHUP to the process in its pid file: it re-reads the exports, connections stay;
 * not through `systemctl reload`, whose `kill -HUP $MAINPID` needs the main pid systemd guesses
 * for Debian's Type=forking unit without PIDFile=, which fails where systemd cannot read the
 * unit's cgroup, as in some containers), and the step
 * waits for ganesha's "Reread exports complete" in its log; when the log then shows a CONFIG,
 * EXPORT or FSAL error, or the export list of its D-Bus ExportMgr (`ShowExports`) is not the
 * wanted one (an export ganesha could not set up: a missing directory, a file system without
 * file handles), the old file is put back, ganesha reloaded again, and the task fails with
 * ganesha's own lines. When the file is in place but the running server's exports differ, it is
 * reloaded the same way. When the unit is not active, the file is only written: its start reads
 * it. A reload cannot give a served export id another path ("Path for export update … doesn't
 * match"): such a change is refused in the plan, with the hint to use a new id.
 *
 * Sources: ganesha-config(8), ganesha-core-config(8), ganesha-export-config(8) of NFS-Ganesha
 * 4.3; `ganesha.nfsd -h` ("SIGHUP: Reload LOG and EXPORT config"); Debian 12's
 * nfs-ganesha.service (`ExecReload=/bin/kill -HUP $MAINPID`).
 *
 * @example
 * nfs.ganesha({ exports: [{ export_id: 1, path: '/srv/shared', pseudo: '/shared', owner: 'www-data', mode: '2775',
 *   clients: [{ clients: ['10.0.0.0/24'], access_type: 'RW' }] }] })
 */
export const nfsGanesha = defineModule({
  name: 'nfs.ganesha',
  description: 'nfs-ganesha exports in ganesha.conf from a typed list, applied with a reload that ganesha itself must accept, else the old file is put back.',
  params: NfsGaneshaParams,
  validate: (p) => {
    const problems = ganeshaProblems(p.exports);
    return problems.length > 0 ? problems.join('\n') : undefined;
  },
  facts: (p) => {
    const s = settings(p);
    const f: { file: FactRequest<FileState>; running: FactRequest<GaneshaExportList> } & Record<`dir${number}`, FactRequest<FileState>> = {
      file: fileState({ path: s.path, contentUnlessSha256: sha256Hex(s.text) }),
      running: ganeshaExports({ service: s.service }),
    };
    p.exports.forEach((e, i) => (f[`dir${i}`] = fileState({ path: e.path })));
    return f;
  },
  plan: ({ params: p, facts: f, upstreamChanged }) => {
    const s = settings(p);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const file = f.file;
    if (file.type !== 'absent' && file.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `nfs.ganesha: ${s.path} is not a regular file`);
    requirePrerequisite(file.parentExists, upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `nfs.ganesha: the directory of ${s.path} does not exist`, { hint: "install nfs-ganesha first: apt({ name: ['nfs-ganesha', 'nfs-ganesha-vfs'] })" }),
    );
    const dirs = planExportDirectories('nfs.ganesha', p.exports, p.exports.map((_e, i) => factValue(f, `dir${i}`)), upstreamChanged);
    changes.push(...dirs.changes);
    const data: NfsGaneshaPlan = { dirs: dirs.fixes, write: false, reload: false };
    const cur = file.type === 'file' ? file.target : undefined;
    const sha = sha256Hex(s.text);
    if (cur?.sha256 !== sha || cur.mode !== '0644') {
      data.write = true;
      changes.push({ path: 'config_file', before: cur ? `sha256:${cur.sha256 ?? '?'}` : null, after: `sha256:${sha}` });
      if (cur?.sha256 !== sha) diffs.push(fileDiff(s.path, cur ? (cur.content ?? '') : null, s.text));
    }
    const want = wantedExports(p.exports);
    for (const [i, e] of p.exports.entries()) {
      const served = f.running.exports?.find((x) => x.split(' ')[0] === String(e.export_id));
      if (served && served !== `${e.export_id} ${e.path}`) {
        throw new ConvergeError('CONVERGE_PLAN', `nfs.ganesha: exports[${i}].export_id ${e.export_id}: the running nfs-ganesha serves ${served.slice(served.indexOf(' ') + 1)} under this id, and a reload cannot change an export's path`, {
          hint: `give ${e.path} a new export_id (the old one is then removed), or restart ${s.service}`,
        });
      }
    }
    if (f.running.active) {
      if (data.write) data.reload = true;
      else if (f.running.exports && JSON.stringify(f.running.exports) !== JSON.stringify(want)) {
        data.reload = true;
        changes.push({ path: 'exported', before: f.running.exports, after: want });
      }
    }
    if (data.reload) changes.push({ path: 'service', before: 'running', after: 'reloaded (SIGHUP), checked by ganesha' });
    if (changes.length === 0) return { changes, reason: `${s.path} is in place${f.running.active ? ' and served' : ''}` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const s = settings(p);
    const d = plan.data;
    const steps: Command[] = exportDirectorySteps(d.dirs);
    const reloadAndCheck = sh`pidfile=${s.pid}; log=${s.log}; want=${wantedExports(p.exports).join('\n')}\n${raw(SHOW_EXPORTS_FN)}\n${raw(RELOAD_AND_CHECK_FN)}`;
    if (d.write) {
      const trial = d.reload ? { script: sh`${reloadAndCheck}\nreload_and_check`, refused: raw(TAKEN_BACK) } : undefined;
      const content = new Uint8Array(Buffer.from(s.text, 'utf8'));
      const [write] = writeFileSteps({ path: s.path, followLinks: false, content, owner: 'root', group: 'root', mode: '0644', ...(trial ? { trial } : {}) });
      steps.push({ ...write!, description: `write ${s.path}${d.reload ? ` and reload ${s.service}` : ''}` });
    } else if (d.reload) {
      steps.push({ script: sh`p=${s.path}; ${reloadAndCheck}\n${raw(RELOADED_ONLY)}`, description: `reload ${s.service}` });
    }
    return steps;
  },
  outcome: serverOutcome,
  resources: (p) => {
    const s = settings(p);
    return [s.path, ...p.exports.map((e) => e.path), `ganesha-exports:${s.service}`];
  },
});

const SHOW_EXPORTS_FN = `exports_now() { ${SHOW_EXPORTS} | LC_ALL=C sort; }`;

// reload_and_check: SIGHUP, then ganesha's verdict. Its log says "Reread exports complete" when
// the reload is done and logs the configuration's errors just after, hence the short wait.
const RELOAD_AND_CHECK_FN = `reload_and_check() {
  n=0; if [ -f "$log" ]; then n=$(stat -c %s -- "$log"); fi
  pid=$(cat -- "$pidfile" 2>/dev/null)
  if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != ganesha.nfsd ]; then said="no ganesha.nfsd runs with the pid in $pidfile"; now=; return 1; fi
  kill -HUP "$pid" || return 1
  i=0
  while [ "$i" -lt 100 ]; do
    if [ -f "$log" ] && tail -c "+$((n + 1))" -- "$log" | grep -q 'Reread exports complete'; then break; fi
    sleep 0.1; i=$((i + 1))
  done
  sleep 0.5
  said=
  if [ -f "$log" ]; then said=$(tail -c "+$((n + 1))" -- "$log" | grep -E ':(CONFIG|EXPORT|FSAL) :(CRIT|MAJ|FATAL) :|errors found' | sed 's/^[^]]*\\] //'); fi
  now=$(exports_now)
  [ -z "$said" ] || return 1
  [ "$(printf '%s\\n' "$now" | grep -c .)" = "$(printf '%s\\n' "$want" | grep -c .)" ] || return 1
  printf '%s\\n' "$want" | while IFS= read -r line; do [ -z "$line" ] || printf '%s\\n' "$now" | grep -qxF -- "$line" || exit 1; done
}`;

// The new file was put back (the old one is in place again): ganesha reads it again, and the task fails with what ganesha said of the new one.
const TAKEN_BACK = `first=$said exported=$now
reload_and_check >/dev/null 2>&1 || :
printf 'nfs-ganesha did not take the new exports; %s was put back as it was.\\nganesha said:\\n%s\\nit exported (id path): %s\\n' "$p" "\${first:-(nothing)}" "$(printf '%s' "$exported" | tr '\\n' ' ')" >&2`;

const RELOADED_ONLY = `if reload_and_check; then exit 0; fi
printf 'nfs-ganesha, reloaded, does not export what %s holds.\\nganesha said:\\n%s\\nit exports (id path): %s\\n' "$p" "\${said:-(nothing)}" "$(printf '%s' "$now" | tr '\\n' ' ')" >&2
exit 1`;

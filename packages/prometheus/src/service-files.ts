import { ConvergeError, factValue, Secret, sh, Type } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff } from '@converge/core';
import { defineManagedFile, fileState, managedFileChanges } from '@converge/modules';
import type { ContentWriteParams, FileState, ManagedFileWrite, SecretSettings } from '@converge/modules';

/**
 * What a change to a file asks of the service: `reload` (it rereads the file on SIGHUP or
 * `/-/reload`), `restart` (it reads the file only at start, e.g. its command-line arguments),
 * `none` (read on every use).
 */
export type FileEffect = 'reload' | 'restart' | 'none';

/** One file a service module owns: the shared write params and what a change to it asks of the service. */
export interface ServiceFile {
  write: ContentWriteParams;
  effect: FileEffect;
  /** For a configuration that holds a secret inline: the settings whose values its diff masks on both sides, so that its other lines show (instead of every line masked). */
  secretSettings?: SecretSettings;
}

/** A service's file as a managed file: its changes read `PATH:content`, `PATH:mode`, …. */
const serviceFile = defineManagedFile<ServiceFile>({
  path: (f) => f.write.dest,
  render: (f) => f.write.content ?? '',
  mode: (f) => f.write.mode,
  owner: (f) => f.write.owner,
  group: (f) => f.write.group,
  validate: (f) => f.write.validate,
  secretDiff: (f) => f.secretSettings ?? 'all',
  changes: (d) => managedFileChanges(d).map((c) => ({ ...c, path: `${d.path}:${c.path}` })),
});

/** A directory a service module makes when it is missing. */
export interface ServiceDir {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/**
 * How a running service rereads its files: `systemctl reload` (the Debian units send SIGHUP), or
 * an HTTP `POST` to a `/-/reload` endpoint (Prometheus with `--web.enable-lifecycle`,
 * Alertmanager), whose answer says whether the new files were taken (curl's exit status; the
 * body names the error). Without curl on the host, the HTTP form falls back to SIGHUP.
 */
export type ReloadMethod = { kind: 'signal' } | { kind: 'http'; url: string };

/** What a service module derives from its params (pure). */
export interface ServiceSpec {
  /** The systemd unit, e.g. `prometheus`. */
  unit: string;
  /** Written in order: rule files before the configuration that names them. */
  files: ServiceFile[];
  dirs: ServiceDir[];
  reload: ReloadMethod;
  /** Reload or restart the unit after a change when it is active; false: leave it to a handler. */
  apply_to_service: boolean;
}

/** Private plan data of a service module. */
export interface ServicePlan {
  dirs: string[];
  files: { index: number; data: ManagedFileWrite }[];
  action?: 'reload' | 'restart';
}

/** The `service` param every service module takes. */
export const applyToServiceParam = Type.Optional(
  Type.Boolean({
    default: true,
    description:
      'After a change, reload the running service (its configuration files) or restart it (its command-line arguments in /etc/default), when it is active. false: leave it to a handler.',
  }),
);

/** A path param: absolute, no whitespace. */
export const PathParam = (description: string) => Type.Optional(Type.String({ pattern: '^/[^\\s"\'\\\\$`]*$', description }));

/** The facts of a service module: one `file.state` per directory and file (`dir0`…, `file0`…). */
export type ServiceFacts = Record<`dir${number}` | `file${number}`, FactRequest<FileState>>;

/** The facts of a service module: one `file.state` per directory and file. */
export function serviceFacts(spec: ServiceSpec): ServiceFacts {
  const f: ServiceFacts = {};
  spec.dirs.forEach((d, i) => (f[`dir${i}`] = fileState({ path: d.path })));
  spec.files.forEach((x, i) => (f[`file${i}`] = serviceFile.fact(x)));
  return f;
}

/**
 * Plans a service module from its spec and facts: missing directories, each file through the
 * shared content-write plan (content by sha256 or, for a secret, compared on the controller;
 * mode, owner, group), then one reload or restart when a file that asks for it changes.
 *
 * @throws ConvergeError `CONVERGE_PLAN` when a directory path is something else.
 */
export function planService(module: string, spec: ServiceSpec, facts: Record<`dir${number}` | `file${number}`, FileState>, upstreamChanged: boolean): { changes: Change[]; diffs: FileDiff[]; data: ServicePlan } {
  const changes: Change[] = [];
  const diffs: FileDiff[] = [];
  const data: ServicePlan = { dirs: [], files: [] };
  const made = new Set<string>();
  spec.dirs.forEach((d, i) => {
    const s = factValue(facts, `dir${i}`);
    if (s.type === 'directory' || (s.type === 'link' && s.target?.type === 'directory')) return;
    if (s.type !== 'absent') throw new ConvergeError('CONVERGE_PLAN', `${module}: ${d.path} exists and is not a directory`, { hint: 'move it away, or choose another path' });
    data.dirs.push(d.path);
    made.add(d.path);
    changes.push({ path: d.path, before: 'absent', after: `directory ${d.owner}:${d.group} ${d.mode}` });
  });
  let effect: FileEffect = 'none';
  spec.files.forEach((f, i) => {
    const inNewDir = [...made].some((d) => f.write.dest.startsWith(`${d}/`));
    const planned = serviceFile.plan(f, factValue(facts, `file${i}`), { module, upstreamChanged, parentCreated: inNewDir });
    if (!planned.write) return;
    changes.push(...planned.changes);
    diffs.push(...planned.diffs);
    data.files.push({ index: i, data: planned.write });
    if (f.effect === 'restart' || (f.effect === 'reload' && effect === 'none')) effect = f.effect;
  });
  if (effect !== 'none' && spec.apply_to_service) {
    data.action = effect;
    changes.push({ path: 'service', before: 'running', after: `${effect === 'restart' ? 'restarted' : 'reloaded'} (${spec.unit}, when active)` });
  }
  return { changes, diffs, data };
}

/** The steps of a planned service module: directories, files (each validated before it replaces the old one), then the reload or restart. */
export function applyService(spec: ServiceSpec, data: ServicePlan): Command[] {
  const steps: Command[] = [];
  for (const path of data.dirs) {
    const d = spec.dirs.find((x) => x.path === path) as ServiceDir;
    steps.push({ script: sh`install -d -m ${d.mode} -o ${d.owner} -g ${d.group} -- ${d.path}`, description: `create ${d.path}` });
  }
  for (const f of data.files) {
    const file = spec.files[f.index];
    if (file) steps.push(...serviceFile.apply(file, f.data));
  }
  if (data.action === 'restart') steps.push({ script: restartScript(spec.unit), description: `restart ${spec.unit}` });
  if (data.action === 'reload') steps.push({ script: reloadScript(spec.unit, spec.reload), description: `reload ${spec.unit}` });
  return steps;
}

/**
 * Restarts the unit when it runs, is about to (`activating`: waiting to restart after an exit), or
 * failed, and leaves a unit an operator stopped (`inactive`) alone. A unit that kept exiting
 * without these files (mysqld_exporter without credentials, started by its package) is near or
 * past its start rate limit (systemd.unit(5), `StartLimitBurst=`: 5 starts in 10 s), and a restart
 * would be refused ("start of the service was attempted too often"): `systemctl reset-failed`
 * first resets that limit as well as the failed state (systemd's `unit_reset_failed`). A unit that
 * failed that way is started here with its new files: a later `systemd.service` task of the same
 * run is planned from the state probed before, when the unit may still have been `activating`.
 */
export function restartScript(unit: string): ReturnType<typeof sh> {
  return sh`case $(systemctl is-active -- ${unit}) in
  active | activating | reloading | failed) systemctl reset-failed -- ${unit} && systemctl restart -- ${unit} ;;
esac`;
}

function reloadScript(unit: string, method: ReloadMethod): ReturnType<typeof sh> {
  if (method.kind === 'signal') return sh`if systemctl is-active -q -- ${unit}; then systemctl reload -- ${unit}; fi`;
  return sh`if systemctl is-active -q -- ${unit}; then
  if command -v curl >/dev/null 2>&1; then
    if ! out=$(curl -sS --max-time 30 --fail-with-body -X POST -- ${method.url} 2>&1); then printf '%s refused the new files (POST %s):\\n%s\\n' ${unit} ${method.url} "$out" >&2; exit 1; fi
  else systemctl reload -- ${unit}; fi
fi`;
}

/** The resources a service module changes: its files and directories. */
export function serviceResources(spec: ServiceSpec): string[] {
  return [...spec.dirs.map((d) => d.path), ...spec.files.map((f) => f.write.dest)];
}

/** A file's content: a Secret when the rendering used one, so that it is compared on the controller and masked everywhere. */
export function fileContent(text: string, secret: boolean): string | Secret {
  return secret ? new Secret(text, { composite: true }) : text;
}

/** `KEY="ARGS"` of a Debian /etc/default file, read by the unit's `EnvironmentFile=` and by the init script. */
export function renderDefaultsFile(module: string, variable: string, args: string[], comment?: string): string {
  for (const a of args) {
    if (!/^[^\s"'\\$`]+$/.test(a)) {
      throw new ConvergeError('CONVERGE_PARAMS', `${module}: the argument ${JSON.stringify(a)} cannot be passed through an EnvironmentFile (no spaces, quotes, backslashes, $ or backticks)`);
    }
  }
  return `# Managed by converge (${module}).${comment ? ` ${comment}` : ''}\n${variable}="${args.join(' ')}"\n`;
}

/** Whether an address is `host:port` or `:port` (a listen address). */
export const ListenAddress = (description: string, dflt: string) =>
  Type.Optional(Type.String({ pattern: '^([A-Za-z0-9_.-]+|\\[[0-9a-fA-F:]+\\])?:[0-9]{1,5}$', default: dflt, description }));

/** The local URL of a service listening at `listen` (`:9090`, `0.0.0.0:9090` and `[::]:9090` are reached on 127.0.0.1). */
export function localUrl(listen: string, path: string): string {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i);
  const port = listen.slice(i + 1);
  const h = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${h}:${port}${path}`;
}

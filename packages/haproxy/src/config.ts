import { ConvergeError, OrSecret, Secret, Type, defineModule, factValue, isSecret, raw, reveal, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { defineManagedFile, fileState } from '@converge/modules';
import type { FileState, ManagedFile, ManagedFileWrite } from '@converge/modules';
import { HAPROXY_DEFAULTS, HaproxyConfigModel, Line, Name } from './model.js';
import type { HaproxyConfig } from './model.js';
import { checkReferences, maskHaproxySecrets, renderHaproxyConfig } from './render.js';
import { runtimeResource, socketQuery } from './runtime.js';

/** JSON Schema of the `haproxy.config` module's params: the configuration model plus where and how it is installed. */
export const HaproxyConfigParams = Type.Object(
  {
    ...HaproxyConfigModel,
    certificates: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$' }), OrSecret(Type.String({ minLength: 1 })), {
        description:
          'TLS certificates by name: each value is a PEM bundle (certificate chain and private key, as HAProxy\'s `crt` reads it, §5.1), usually a Secret. Written to CERTIFICATES_DIR/NAME.pem, mode 0600, owner root.',
      }),
    ),
    path: Type.Optional(Line('The live configuration file. Default `/etc/haproxy/haproxy.cfg` (what Debian\'s haproxy.service reads).')),
    certificates_dir: Type.Optional(Line('Directory of the certificate files (made 0700 when missing). Default `/etc/haproxy/certs`.')),
    service: Type.Optional(Name('systemd unit reloaded after a change. Default `haproxy`.')),
    reload: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Reload the service (`systemctl reload`, no dropped connections) right after a change when it is running, and wait until the new worker answers on the runtime API. false: leave it to a handler.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `haproxy.config`. */
export type HaproxyConfigParams = Static<typeof HaproxyConfigParams>;

interface Derived {
  path: string;
  certDir: string;
  service: string;
  socket: string;
  /** The rendered haproxy.cfg. */
  text: string;
  /** True when it holds a Secret (the stats password). */
  secret: boolean;
  certs: Certificate[];
}

interface Certificate {
  name: string;
  path: string;
  pem: string | Secret;
}

const certificatesDir = (p: HaproxyConfigParams): string => (p.certificates_dir ?? HAPROXY_DEFAULTS.certificates_dir).replace(/\/+$/, '');

/**
 * haproxy.cfg: rendered from the model, checked with `haproxy -c -f` before it replaces the live
 * file (and again, live, when only a certificate it names changed), then the service reloaded.
 * A file holding the stats password is not world-readable.
 */
const configFile: ManagedFile<HaproxyConfigParams> = defineManagedFile<HaproxyConfigParams>({
  path: (p) => p.path ?? HAPROXY_DEFAULTS.path,
  render: (p) => {
    const { text, secret } = renderHaproxyConfig(modelOf(p), { certificatesDir: certificatesDir(p) });
    return secret ? new Secret(text, { composite: true }) : text;
  },
  mode: (p) => (isSecret(configFile.content(p)) ? '0640' : undefined),
  owner: (p) => (isSecret(configFile.content(p)) ? 'root' : undefined),
  group: (p) => (isSecret(configFile.content(p)) ? 'root' : undefined),
  validate: 'haproxy -c -f %s',
  // The configuration as it is, with the values of its password settings masked (not the whole
  // file), also when it holds no secret now (a removed setting's former value).
  secretDiff: { mask: maskHaproxySecrets },
  reload: (p) => {
    if (!(p.reload ?? true)) return undefined;
    const service = p.service ?? HAPROXY_DEFAULTS.service;
    return {
      change: { path: 'service', before: 'running', after: `reloaded (systemctl reload ${service}, when active)` },
      steps: [{ script: reloadScript(service, p.runtime_api?.path ?? HAPROXY_DEFAULTS.socket, p.global?.server_state_file), description: `reload ${service}` }],
    };
  },
});

/** A TLS certificate (PEM bundle): 0600 root:root. */
const certificateFile = defineManagedFile<Certificate>({ path: (c) => c.path, render: (c) => c.pem, mode: '0600', owner: 'root', group: 'root' });

/** The rendered file, where it goes and the certificates of a task's params (pure; the rendering is done once per params object). */
export function derive(p: HaproxyConfigParams): Derived {
  const certDir = certificatesDir(p);
  return {
    path: configFile.path(p),
    certDir,
    service: p.service ?? HAPROXY_DEFAULTS.service,
    socket: p.runtime_api?.path ?? HAPROXY_DEFAULTS.socket,
    text: configFile.text(p),
    secret: isSecret(configFile.content(p)),
    certs: Object.entries(p.certificates ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, pem]) => ({ name, path: `${certDir}/${name}.pem`, pem: pem as string | Secret })),
  };
}

function modelOf(p: HaproxyConfigParams): HaproxyConfig {
  const { certificates: _c, path: _p, certificates_dir: _d, service: _s, reload: _r, ...model } = p;
  return model;
}

type ConfigFacts = { config: FactRequest<FileState>; certDir?: FactRequest<FileState> } & Record<`cert:${string}`, FactRequest<FileState>>;

/** Private plan data of `haproxy.config`. */
export interface ConfigPlan {
  makeDir: boolean;
  certs: { name: string; write: ManagedFileWrite }[];
  config?: ManagedFileWrite;
}

function validateConfig(p: HaproxyConfigParams): string | undefined {
  const refs = checkReferences(modelOf(p), p.certificates ?? {});
  if (refs) return refs;
  for (const [name, pem] of Object.entries(p.certificates ?? {})) {
    const text = reveal(pem as string | Secret);
    if (!/-----BEGIN [A-Z ]*CERTIFICATE-----/.test(text) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      return `certificates.${name}: not a PEM bundle (HAProxy's crt needs the certificate and its private key in one file)`;
    }
  }
  return undefined;
}

/**
 * Module `haproxy.config`: renders the configuration model to haproxy.cfg and installs it
 * safely. The candidate is written next to the live file (mktemp in its directory, the shared
 * write path of `copy`), checked with `haproxy -c -f CANDIDATE`, and only then renamed over the
 * live file; when HAProxy refuses it the live file is untouched and the task fails with
 * HAProxy's own message. TLS certificates (PEM bundles, Secret-able) are written first, 0600,
 * each atomically. After a change the running service is reloaded (`systemctl reload`: Debian's
 * unit re-checks the file and sends SIGUSR2 to the master, which starts new workers and lets the
 * old ones finish their connections; the listening sockets are handed over through the runtime
 * API's `expose-fd listeners`), never restarted, and the step waits until the new worker answers
 * on the runtime API, so that a following `haproxy.server` task talks to it.
 *
 * Sources: HAProxy 2.6 configuration manual (https://docs.haproxy.org/2.6/configuration.html,
 * §2.1 "-c", §3, §4, §5), management guide §4 (reloads) and §9.3 (stats socket); Debian 12's
 * haproxy.service (`ExecReload=haproxy -Ws -f $CONFIG -c -q`, then `kill -USR2 $MAINPID`).
 *
 * @example
 * haproxy.config({
 *   frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }],
 *   backends: [{ name: 'app', balance: 'roundrobin', servers: [{ name: 'app1', address: '10.0.0.11:8080' }] }],
 * })
 */
export const haproxyConfig = defineModule({
  name: 'haproxy.config',
  description: 'Render haproxy.cfg from a typed model, validate it with haproxy -c, install it atomically and reload without dropping connections.',
  params: HaproxyConfigParams,
  validate: validateConfig,
  facts: (p) => {
    const d = derive(p);
    const f: ConfigFacts = { config: configFile.fact(p) };
    if (d.certs.length > 0) f.certDir = fileState({ path: d.certDir });
    for (const c of d.certs) f[`cert:${c.name}`] = certificateFile.fact(c);
    return f;
  },
  plan: ({ params, facts: f, upstreamChanged }) => {
    const d = derive(params);
    const module = 'haproxy.config';
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: ConfigPlan = { makeDir: false, certs: [] };
    const dir = f.certDir;
    if (dir && dir.type !== 'directory' && !(dir.type === 'link' && dir.target?.type === 'directory')) {
      if (dir.type !== 'absent') throw new ConvergeError('CONVERGE_PLAN', `haproxy.config: ${d.certDir} exists and is not a directory`);
      data.makeDir = true;
      changes.push({ path: 'certificates_dir', before: 'absent', after: 'directory' });
    }
    for (const c of d.certs) {
      const planned = certificateFile.plan(c, factValue(f, `cert:${c.name}`), { module, upstreamChanged, parentCreated: data.makeDir, label: `certificates.${c.name}` });
      if (!planned.write) continue;
      changes.push(...planned.changes);
      diffs.push(...planned.diffs);
      data.certs.push({ name: c.name, write: planned.write });
    }
    const planned = configFile.plan(params, f.config, { module, upstreamChanged, dependencyChanged: data.certs.length > 0 });
    changes.push(...planned.changes);
    diffs.push(...planned.diffs);
    if (planned.write) data.config = planned.write;
    if (changes.length === 0) return { changes, reason: `${d.path}${d.certs.length ? ' and its certificates' : ''} already as rendered` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const d = derive(params);
    const data = plan.data;
    const steps: Command[] = [];
    if (data.makeDir) steps.push({ script: sh`install -d -m 0700 -o root -g root -- ${d.certDir}`, description: `create ${d.certDir}` });
    for (const c of d.certs) {
      const write = data.certs.find((x) => x.name === c.name)?.write;
      if (write) steps.push(...certificateFile.apply(c, write));
    }
    if (data.config) steps.push(...configFile.apply(params, data.config));
    return steps;
  },
  resources: (p) => {
    const d = derive(p);
    // Not the unit itself: a reload changes neither its file nor its state, and naming it would
    // make check mode predict a daemon-reload for a later systemd.service task of that unit.
    return [d.path, ...(d.certs.length ? [d.certDir] : []), ...((p.reload ?? true) ? [runtimeResource(d.socket)] : [])];
  },
});

/**
 * `systemctl reload` when the unit is active (after saving `show servers state` to the server
 * state file, when there is one, so that the new workers keep drained and weighted servers as
 * they are), then wait (up to 10 s) until the runtime API
 * answers `show info` with another worker Pid than before: systemctl returns once the master
 * got SIGUSR2 (Type=notify on systemd 252 does not wait for the reload), while the old worker
 * still answers for a moment.
 */
function reloadScript(service: string, socket: string, stateFile: string | undefined): ReturnType<typeof sh> {
  const pid = raw(`${socketQuery(socket, 'show info').text} | sed -n 's/^Pid: //p'`);
  const save = stateFile
    ? sh`if command -v socat >/dev/null 2>&1 && [ -S ${socket} ]; then
    ${socketQuery(socket, 'show servers state')} > ${`${stateFile}.converge-new`} && mv -f -- ${`${stateFile}.converge-new`} ${stateFile} || exit 1
  fi
  `
    : raw('');
  return sh`if systemctl is-active -q -- ${service}; then
  ${save}old=$(${pid})
  systemctl reload -- ${service} || exit 1
  if command -v socat >/dev/null 2>&1; then
    i=0; new=$old
    while [ "$i" -lt 100 ]; do new=$(${pid}); if [ -n "$new" ] && [ "$new" != "$old" ]; then break; fi; sleep 0.1; i=$((i+1)); done
    if [ -z "$new" ] || [ "$new" = "$old" ]; then echo "haproxy: no new worker answered on" ${socket} "within 10 s of the reload" >&2; exit 1; fi
  fi
fi`;
}

export type { HaproxyConfig };

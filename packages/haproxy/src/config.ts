import { ConvergeError, OrSecret, Secret, Type, defineModule, raw, reveal, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { applyContentWrite, contentFacts, fileDiff, fileState, planContentWrite } from '@converge/modules';
import type { ContentWriteData, ContentWriteParams, FileState } from '@converge/modules';
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

const VALIDATE = 'haproxy -c -f %s';

interface Derived {
  path: string;
  certDir: string;
  service: string;
  socket: string;
  text: string;
  secret: boolean;
  certs: { name: string; write: ContentWriteParams }[];
}

const derivedCache = new WeakMap<object, Derived>();

/** The rendered file and the certificate writes of a task's params (pure; cached per params object). */
export function derive(p: HaproxyConfigParams): Derived {
  const hit = derivedCache.get(p);
  if (hit) return hit;
  const certDir = (p.certificates_dir ?? HAPROXY_DEFAULTS.certificates_dir).replace(/\/+$/, '');
  const { text, secret } = renderHaproxyConfig(modelOf(p), { certificatesDir: certDir });
  const certs = Object.keys(p.certificates ?? {})
    .sort()
    .map((name) => ({
      name,
      write: { dest: `${certDir}/${name}.pem`, content: (p.certificates ?? {})[name] as string | Secret, mode: '0600', owner: 'root', group: 'root' },
    }));
  const d: Derived = {
    path: p.path ?? HAPROXY_DEFAULTS.path,
    certDir,
    service: p.service ?? HAPROXY_DEFAULTS.service,
    socket: p.runtime_api?.path ?? HAPROXY_DEFAULTS.socket,
    text,
    secret,
    certs,
  };
  derivedCache.set(p, d);
  return d;
}

function modelOf(p: HaproxyConfigParams): HaproxyConfig {
  const { certificates: _c, path: _p, certificates_dir: _d, service: _s, reload: _r, ...model } = p;
  return model;
}

function configWrite(d: Derived): ContentWriteParams {
  // A file holding the stats password is not world-readable.
  return { dest: d.path, content: d.secret ? new Secret(d.text, { composite: true }) : d.text, validate: VALIDATE, ...(d.secret ? { mode: '0640', owner: 'root', group: 'root' } : {}) };
}

type ConfigFacts = Record<string, FactRequest<FileState>>;

/** Private plan data of `haproxy.config`. */
export interface ConfigPlan {
  makeDir: boolean;
  certs: { name: string; data: ContentWriteData }[];
  config?: ContentWriteData;
  reload: boolean;
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
  facts: (p): ConfigFacts => {
    const d = derive(p);
    const f: ConfigFacts = { config: contentFacts(configWrite(d)).dest };
    if (d.certs.length > 0) f.certDir = fileState({ path: d.certDir });
    for (const c of d.certs) f[`cert:${c.name}`] = contentFacts(c.write).dest;
    return f;
  },
  plan: ({ params, facts, upstreamChanged }) => {
    const d = derive(params);
    const f = facts as Record<string, FileState>;
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: ConfigPlan = { makeDir: false, certs: [], reload: false };
    const dir = f.certDir;
    if (dir && dir.type !== 'directory' && !(dir.type === 'link' && dir.target?.type === 'directory')) {
      if (dir.type !== 'absent') throw new ConvergeError('CONVERGE_PLAN', `haproxy.config: ${d.certDir} exists and is not a directory`);
      data.makeDir = true;
      changes.push({ path: 'certificates_dir', before: 'absent', after: 'directory' });
    }
    for (const c of d.certs) {
      const state = f[`cert:${c.name}`] as FileState;
      const planned = planContentWrite('haproxy.config', c.write, data.makeDir ? { ...state, parentExists: true } : state, upstreamChanged);
      if (planned.changes.length === 0) continue;
      changes.push(...planned.changes.map((ch) => ({ ...ch, path: `certificates.${c.name}.${ch.path}` })));
      diffs.push(...(planned.diffs ?? []));
      data.certs.push({ name: c.name, data: planned.data as ContentWriteData });
    }
    const state = f.config as FileState;
    const planned = planContentWrite('haproxy.config', configWrite(d), state, upstreamChanged);
    if (planned.changes.length > 0) {
      changes.push(...planned.changes);
      // The configuration as it is, with the values of its password settings masked (not the whole file).
      if ((planned.diffs ?? []).length > 0) diffs.push(fileDiff(d.path, state.target ? (state.target.content ?? '') : null, Buffer.from(d.text, 'utf8').toString('latin1'), { mask: maskHaproxySecrets }));
      data.config = planned.data as ContentWriteData;
    }
    if (changes.length === 0) return { changes, reason: `${d.path}${d.certs.length ? ' and its certificates' : ''} already as rendered` };
    if (params.reload ?? true) {
      data.reload = true;
      changes.push({ path: 'service', before: 'running', after: `reloaded (systemctl reload ${d.service}, when active)` });
    }
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const d = derive(params);
    const data = plan.data as ConfigPlan;
    const steps: Command[] = [];
    if (data.makeDir) steps.push({ script: sh`install -d -m 0700 -o root -g root -- ${d.certDir}`, description: `create ${d.certDir}` });
    for (const c of data.certs) {
      const write = d.certs.find((x) => x.name === c.name)?.write as ContentWriteParams;
      steps.push(...applyContentWrite(write, c.data));
    }
    if (data.config) steps.push(...applyContentWrite(configWrite(d), data.config));
    else if (data.certs.length > 0) {
      // New certificates under an unchanged file: HAProxy must accept them before the reload.
      steps.push({ script: sh`out=$(haproxy -c -f ${d.path} 2>&1) || { printf 'haproxy refused the new certificates (haproxy -c -f %s):\\n%s\\n' ${d.path} "$out" >&2; exit 1; }`, description: `check ${d.path}` });
    }
    if (data.reload) steps.push({ script: reloadScript(d.service, d.socket, params.global?.server_state_file), description: `reload ${d.service}` });
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

import { ConvergeError, isSecret, reveal, SECRET_MASK } from '@converge/core';
import type { Secret } from '@converge/core';
import { HAPROXY_DEFAULTS } from './model.js';
import type { HaproxyBackend, HaproxyConfig, HaproxyFrontend } from './model.js';

/** Options of {@link renderHaproxyConfig}. */
export interface RenderOptions {
  /** Directory of the certificate files that `bind … ssl` lines name. Default `/etc/haproxy/certs`. */
  certificatesDir?: string;
}

/** A rendered haproxy.cfg. */
export interface RenderedConfig {
  /** The file's text, secrets revealed (what goes to the host). */
  text: string;
  /** True when the text holds a Secret (the stats password): the file is then written and diffed as a secret. */
  secret: boolean;
}

/**
 * Renders the configuration model to the text of haproxy.cfg, deterministically: the same model
 * gives the same bytes (sections in the order global, defaults, frontends, backends, stats;
 * lists in the order given, since HAProxy evaluates ACLs and rules in order), 4-space indented,
 * ending with a newline. `extra` lines come last in their section, verbatim.
 *
 * Syntax: HAProxy 2.6 configuration manual, https://docs.haproxy.org/2.6/configuration.html
 * (§3 global, §4 proxies, §5 bind and server options, §7 ACLs).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` when a rule names a backend or a certificate that the
 * model does not define, or two frontends (backends) share a name.
 */
export function renderHaproxyConfig(config: HaproxyConfig, options: RenderOptions = {}): RenderedConfig {
  const problem = checkReferences(config, undefined);
  if (problem) throw new ConvergeError('CONVERGE_PARAMS', `haproxy config: ${problem}`);
  const certDir = (options.certificatesDir ?? HAPROXY_DEFAULTS.certificates_dir).replace(/\/+$/, '');
  let secret = false;
  const out: string[] = ['# Written by converge (@converge/haproxy). Local changes are overwritten.', ''];
  const section = (header: string, lines: string[]) => {
    out.push(header, ...lines.map((l) => `    ${l}`), '');
  };

  const g = config.global ?? {};
  const api = config.runtime_api ?? {};
  const globalLines: string[] = [];
  for (const l of g.log ?? HAPROXY_DEFAULTS.log) globalLines.push(`log ${l.target} ${l.facility}${'level' in l && l.level ? ` ${l.level}` : ''}`);
  if (g.chroot) globalLines.push(`chroot ${g.chroot}`);
  globalLines.push(`user ${g.user ?? HAPROXY_DEFAULTS.user}`, `group ${g.group ?? HAPROXY_DEFAULTS.group}`);
  if (g.maxconn !== undefined) globalLines.push(`maxconn ${g.maxconn}`);
  if (g.nbthread !== undefined) globalLines.push(`nbthread ${g.nbthread}`);
  globalLines.push(
    `stats socket ${api.path ?? HAPROXY_DEFAULTS.socket} mode ${api.mode ?? HAPROXY_DEFAULTS.socketMode} level ${api.level ?? HAPROXY_DEFAULTS.socketLevel} expose-fd listeners`,
  );
  if (api.timeout !== undefined) globalLines.push(`stats timeout ${api.timeout}`);
  if (g.server_state_file) globalLines.push(`server-state-file ${g.server_state_file}`);
  if (g.ssl_default_bind_ciphers) globalLines.push(`ssl-default-bind-ciphers ${g.ssl_default_bind_ciphers}`);
  if (g.ssl_default_bind_ciphersuites) globalLines.push(`ssl-default-bind-ciphersuites ${g.ssl_default_bind_ciphersuites}`);
  if (g.ssl_default_bind_options) globalLines.push(`ssl-default-bind-options ${g.ssl_default_bind_options}`);
  globalLines.push(...(g.extra ?? []));
  section('global', globalLines);

  const d = config.defaults ?? {};
  const defaultsLines: string[] = [`mode ${d.mode ?? HAPROXY_DEFAULTS.mode}`];
  if (d.log_global ?? true) defaultsLines.push('log global');
  if (g.server_state_file) defaultsLines.push('load-server-state-from-file global');
  for (const o of d.options ?? HAPROXY_DEFAULTS.options) defaultsLines.push(`option ${o}`);
  // A reload would otherwise close idle keep-alive connections at once and reset the clients
  // whose next request crosses that close (management guide §4, configuration §4.2).
  if ((d.idle_close_on_response ?? true) && (d.mode ?? HAPROXY_DEFAULTS.mode) === 'http' && !(d.options ?? []).includes('idle-close-on-response')) defaultsLines.push('option idle-close-on-response');
  const t: Record<string, string | number | undefined> = { ...HAPROXY_DEFAULTS.timeouts, ...(d.timeouts ?? {}) };
  for (const key of TIMEOUTS) if (t[key] !== undefined) defaultsLines.push(`timeout ${key.replace(/_/g, '-')} ${t[key]}`);
  if (d.retries !== undefined) defaultsLines.push(`retries ${d.retries}`);
  if (d.maxconn !== undefined) defaultsLines.push(`maxconn ${d.maxconn}`);
  defaultsLines.push(...(d.extra ?? []));
  section('defaults', defaultsLines);

  for (const f of config.frontends ?? []) section(`frontend ${f.name}`, frontendLines(f, certDir));
  for (const b of config.backends ?? []) section(`backend ${b.name}`, backendLines(b));

  if (config.stats) {
    const s = config.stats;
    const lines = ['mode http', `bind ${s.bind ?? HAPROXY_DEFAULTS.statsBind}`, 'stats enable', `stats uri ${s.uri ?? HAPROXY_DEFAULTS.statsUri}`];
    if (s.refresh !== undefined) lines.push(`stats refresh ${s.refresh}`);
    if (s.auth) {
      if (isSecret(s.auth.password)) secret = true;
      lines.push(`stats auth ${s.auth.user}:${reveal(s.auth.password as string | Secret)}`);
    }
    if (s.admin) lines.push('stats admin if TRUE');
    lines.push(...(s.extra ?? []));
    section('frontend stats', lines);
  }
  return { text: `${out.join('\n').replace(/\n+$/, '')}\n`, secret };
}

function cond(r: { if?: string; unless?: string }): string {
  return `${r.if ? ` if ${r.if}` : ''}${r.unless ? ` unless ${r.unless}` : ''}`;
}

function frontendLines(f: HaproxyFrontend, certDir: string): string[] {
  const lines: string[] = [];
  if (f.mode) lines.push(`mode ${f.mode}`);
  for (const b of f.binds) {
    const parts = [`bind ${b.address}`];
    if (b.ssl) {
      parts.push('ssl', ...b.ssl.certificates.map((c) => `crt ${certDir}/${c}.pem`));
      if (b.ssl.alpn?.length) parts.push(`alpn ${b.ssl.alpn.join(',')}`);
    }
    parts.push(...(b.options ?? []));
    lines.push(parts.join(' '));
  }
  if (f.maxconn !== undefined) lines.push(`maxconn ${f.maxconn}`);
  for (const o of f.options ?? []) lines.push(`option ${o}`);
  for (const a of f.acls ?? []) lines.push(`acl ${a.name} ${a.criterion}`);
  for (const r of f.redirects ?? []) lines.push(`redirect ${r.type} ${r.to}${r.code !== undefined ? ` code ${r.code}` : ''}${cond(r)}`);
  for (const u of f.use_backends ?? []) lines.push(`use_backend ${u.backend}${cond(u)}`);
  if (f.default_backend) lines.push(`default_backend ${f.default_backend}`);
  lines.push(...(f.extra ?? []));
  return lines;
}

const TIMEOUTS = ['connect', 'client', 'server', 'http_request', 'http_keep_alive', 'queue', 'check', 'tunnel'] as const;
const PAREN_ARGUMENT = new Set(['hdr', 'rdp-cookie', 'random']);

function backendLines(b: HaproxyBackend): string[] {
  const lines: string[] = [];
  if (b.mode) lines.push(`mode ${b.mode}`);
  if (b.balance) {
    const arg = b.balance_arguments;
    lines.push(`balance ${b.balance}${arg ? (PAREN_ARGUMENT.has(b.balance) ? `(${arg})` : ` ${arg}`) : ''}`);
  }
  for (const o of b.options ?? []) lines.push(`option ${o}`);
  const hc = b.health_check;
  if (hc) {
    lines.push('option httpchk');
    const send = [`http-check send meth ${hc.method ?? HAPROXY_DEFAULTS.checkMethod} uri ${hc.path ?? HAPROXY_DEFAULTS.checkPath}`];
    if (hc.host) send.push(`ver HTTP/1.1 hdr Host ${hc.host}`);
    lines.push(send.join(' '));
    const status = hc.expect_status ?? HAPROXY_DEFAULTS.checkStatus;
    lines.push(`http-check expect ${/^[0-9,-]+$/.test(status) ? 'status' : 'rstatus'} ${status}`);
    const ds = [hc.interval !== undefined ? `inter ${hc.interval}` : '', hc.fall !== undefined ? `fall ${hc.fall}` : '', hc.rise !== undefined ? `rise ${hc.rise}` : ''].filter(Boolean);
    if (ds.length) lines.push(`default-server ${ds.join(' ')}`);
  }
  for (const s of b.servers) {
    const parts = [`server ${s.name} ${s.address}`];
    if (s.check ?? hc !== undefined) parts.push('check');
    if (s.weight !== undefined) parts.push(`weight ${s.weight}`);
    if (s.maxconn !== undefined) parts.push(`maxconn ${s.maxconn}`);
    if (s.backup) parts.push('backup');
    if (s.disabled) parts.push('disabled');
    parts.push(...(s.options ?? []));
    lines.push(parts.join(' '));
  }
  lines.push(...(b.extra ?? []));
  return lines;
}

/**
 * Cross-field checks of a model: unique proxy names, `use_backend`/`default_backend` naming a
 * defined backend, `bind … ssl` naming a given certificate (when `certificates` is known).
 *
 * @returns a message naming the offending field, or undefined.
 */
export function checkReferences(config: HaproxyConfig, certificates: Record<string, unknown> | undefined): string | undefined {
  const backends = new Set<string>();
  for (const [i, b] of (config.backends ?? []).entries()) {
    if (backends.has(b.name)) return `backends[${i}]: a second backend named "${b.name}"`;
    backends.add(b.name);
    const servers = new Set<string>();
    for (const [j, s] of b.servers.entries()) {
      if (servers.has(s.name)) return `backends[${i}].servers[${j}]: a second server named "${s.name}" in backend "${b.name}"`;
      servers.add(s.name);
    }
  }
  const frontends = new Set<string>();
  for (const [i, f] of (config.frontends ?? []).entries()) {
    if (frontends.has(f.name) || (f.name === 'stats' && config.stats)) return `frontends[${i}]: a second frontend named "${f.name}"`;
    frontends.add(f.name);
    for (const [j, u] of (f.use_backends ?? []).entries()) {
      if (!backends.has(u.backend)) return `frontends[${i}].use_backends[${j}]: no backend named "${u.backend}"`;
    }
    if (f.default_backend !== undefined && !backends.has(f.default_backend)) return `frontends[${i}].default_backend: no backend named "${f.default_backend}"`;
    if (certificates) {
      for (const [j, b] of f.binds.entries()) {
        for (const c of b.ssl?.certificates ?? []) {
          if (!(c in certificates)) return `frontends[${i}].binds[${j}].ssl: no certificate named "${c}" in certificates`;
        }
      }
    }
  }
  return undefined;
}

/**
 * The settings of haproxy.cfg that hold passwords, for diffs: `stats auth USER:PASSWORD` (§4.2)
 * and a userlist's `user NAME password|insecure-password VALUE` (§3.4). Their values are masked on
 * both sides of a diff whether or not the model holds a Secret, so a password the new
 * configuration removes or replaces is not shown either; every other line shows as it is.
 */
export function maskHaproxySecrets(text: string): string {
  return text.replace(/^(\s*stats\s+auth\s+[^:\s]*:)[^\n]*$/gm, `$1${SECRET_MASK}`).replace(/^(\s*user\s+\S+\s+(?:insecure-)?password\s+)\S[^\n]*$/gm, `$1${SECRET_MASK}`);
}

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConvergeError } from '@converge/core';
import { ALGORITHM_SETTINGS } from './algorithms.js';
import type { SshAlgorithms } from './algorithms.js';
import { canonicalKeyword, checkSshDirective } from './ssh-keywords.js';
import { matchSshPatterns } from './ssh-patterns.js';
import type { SshDirective, SshSettingSource } from './ssh-keywords.js';

/**
 * The settings of one host after ssh_config(5)'s first-value-wins rule, for the keywords
 * converge implements (see `SSH_KEYWORDS`). Absent fields were not set. Paths are expanded
 * (`~`, TOKENS); `proxyCommand` is kept as written (its tokens are expanded when it runs).
 */
export interface SshConfigHost {
  /** `HostName`, tokens (`%h`, `%%`) expanded; absent: connect to the name given. */
  hostName?: string;
  user?: string;
  port?: number;
  /** `IdentityFile` values in order (every occurrence counts), `~` and tokens expanded; `none` dropped. */
  identityFiles: string[];
  /** `IdentitiesOnly yes`: offer only the identity files' keys, also through the agent. */
  identitiesOnly?: boolean;
  /** `IdentityAgent`: the agent socket path; `''` for `none`. `SSH_AUTH_SOCK` means the environment's. */
  identityAgent?: string;
  /** `ProxyJump`: comma-separated `[user@]host[:port]` hops; `none` is returned as absent. */
  proxyJump?: string;
  /** `ProxyCommand` as written; `none` is returned as absent. */
  proxyCommand?: string;
  /** `ConnectTimeout`, converted from seconds to milliseconds. */
  connectTimeoutMs?: number;
  /** `ConnectionAttempts`: tries of a connection that fails before the SSH handshake. */
  connectionAttempts?: number;
  /** `ServerAliveInterval`, converted from seconds to milliseconds. */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** `HostKeyAlias`: the name to look the host key up under in known_hosts. */
  hostKeyAlias?: string;
  /** `HashKnownHosts yes`: record new host keys hashed. */
  hashKnownHosts?: boolean;
  /** `UserKnownHostsFile`, `~` and tokens expanded; `none` becomes `/dev/null`. */
  userKnownHostsFile?: string;
  /** `StrictHostKeyChecking`, normalised: `yes`, `ask`, `accept-new` or `no` (`off`). */
  strictHostKeyChecking?: 'yes' | 'ask' | 'accept-new' | 'no';
  /** `KexAlgorithms`, `HostKeyAlgorithms`, `Ciphers`, `MACs` as written (ssh_config(5) `+`/`-`/`^` syntax). */
  algorithms?: Partial<Record<keyof SshAlgorithms, string>>;
  /** `ForwardAgent` from an `-o` option (an ssh config file's is ignored: see the README). */
  forwardAgent?: boolean;
  /** `AddressFamily`. */
  addressFamily?: 'any' | 'inet' | 'inet6';
  /** `BindAddress`: the local address of the TCP connection. */
  bindAddress?: string;
  /** `BatchMode yes`: never ask anything on the terminal (passphrases). */
  batchMode?: boolean;
  pubkeyAuthentication?: boolean;
  passwordAuthentication?: boolean;
  kbdInteractiveAuthentication?: boolean;
  /** `PreferredAuthentications`, in order. */
  preferredAuthentications?: string[];
  /** `NumberOfPasswordPrompts`: tries of a key passphrase asked on the terminal. */
  numberOfPasswordPrompts?: number;
  /** `RequestTTY`: `yes`/`force` request a pseudo-terminal for become, `no` never, `auto` when sudo needs one. */
  requestTty?: 'yes' | 'no' | 'force' | 'auto';
  /** Where each field was set (`field -> file line / var`), for messages. */
  sources: Partial<Record<Exclude<keyof SshConfigHost, 'sources'>, string>>;
}

/** The names and values tokens expand to for one connection. Source: ssh_config(5), TOKENS. */
export interface SshTokens {
  /** `%h`: the remote host name (after HostName). */
  host: string;
  /** `%n`: the original host name, as given; default `host`. */
  originalHost?: string;
  /** `%p`, default 22. */
  port?: number;
  /** `%r`, default the local user. */
  user?: string;
  /** `%k`: the host key alias, default `originalHost`. */
  hostKeyAlias?: string;
}

const TOKEN_SETS = {
  // HostName accepts %% and %h; ProxyCommand and ProxyJump %% %h %n %p %r; paths the full set.
  hostName: '%h',
  proxy: '%hnpr',
  path: '%ChdiklLnpru',
} as const;

/**
 * Expands the ssh_config(5) TOKENS that `keyword` accepts, and a leading `~` for paths.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for a token the keyword does not accept (as ssh does).
 */
export function expandSshTokens(value: string, tokens: SshTokens, set: keyof typeof TOKEN_SETS = 'path', where = 'ssh option'): string {
  const allowed = TOKEN_SETS[set];
  const local = userInfo();
  const original = tokens.originalHost ?? tokens.host;
  const port = String(tokens.port ?? 22);
  const user = tokens.user ?? local.username;
  let v = value.replace(/%(.)/g, (m, t: string) => {
    if (!allowed.includes(t)) throw new ConvergeError('CONVERGE_OPTIONS', `${where}: the token ${m} is not allowed in ${JSON.stringify(value)}`, { hint: 'write %% for a literal %' });
    switch (t) {
      case '%':
        return '%';
      case 'h':
        return tokens.host;
      case 'n':
        return original;
      case 'p':
        return port;
      case 'r':
        return user;
      case 'u':
        return local.username;
      case 'd':
        return homedir();
      case 'i':
        return String(local.uid);
      case 'k':
        return tokens.hostKeyAlias ?? original;
      case 'L':
        return hostname().split('.')[0] ?? hostname();
      case 'l':
        return hostname();
      default: // 'C'
        return createHash('sha1').update(`${hostname()}${tokens.host}${port}${user}`).digest('hex');
    }
  });
  if (set === 'path') {
    if (v === '~') v = homedir();
    else if (v.startsWith('~/')) v = `${homedir()}${v.slice(1)}`;
  }
  return v;
}

/**
 * Expands `~/` and the ssh_config(5) TOKENS of a path (`%h %p %r %u %d %i %n %k %l %L %C %%`).
 *
 * @example expandSshPath('~/.ssh/%h_key', { host: 'web1' }) // '/root/.ssh/web1_key'
 */
export function expandSshPath(value: string, tokens: SshTokens = { host: '' }): string {
  return expandSshTokens(value, tokens, 'path');
}

/**
 * Splits the arguments of one ssh_config line as OpenSSH's `argv_split` does: whitespace
 * separates words, double or single quotes group them, a backslash escapes a quote, a
 * backslash or (outside quotes) a space, and a word starting with `#` ends the line.
 *
 * @throws Error for an unclosed quote.
 */
export function splitSshArgs(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let word = '';
    let quote = '';
    for (; i < text.length; i++) {
      const ch = text[i] as string;
      const next = text[i + 1];
      if (ch === '\\' && (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' '))) {
        word += next;
        i++;
      } else if (quote === '' && (ch === ' ' || ch === '\t')) break;
      else if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
      else if (quote !== '' && ch === quote) quote = '';
      else word += ch;
    }
    if (quote !== '') throw new Error('invalid quotes');
    out.push(word);
  }
  return out;
}

/**
 * Reads one ssh_config line: the keyword, then (after whitespace or one `=`) the rest.
 * Returns undefined for blank lines and comments. Source: ssh_config(5), "the keyword and the
 * arguments may be separated by whitespace or optional whitespace and exactly one `=`".
 *
 * @throws ConvergeError with `source.code` for invalid quotes or a keyword without an argument.
 */
export function parseSshLine(line: string, source: SshSettingSource): SshDirective | undefined {
  const text = line.replace(/[\s\f]+$/, '');
  const m = /^\s*([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(text);
  if (!m || (m[1] as string).startsWith('#')) return undefined;
  const keyword = canonicalKeyword(m[1] as string);
  const raw = m[2] as string;
  let args: string[];
  try {
    args = splitSshArgs(raw);
  } catch {
    throw new ConvergeError(source.code, `${source.where}: invalid quotes in "${text.trim()}"`);
  }
  if (args.length === 0) throw new ConvergeError(source.code, `${source.where}: no argument after the keyword ${keyword}`);
  return { keyword, args, raw, source };
}

/** What a config file is evaluated for: the host as given and the user known so far. */
export interface SshConfigContext {
  /** The host name as given (the inventory address): what `Host` patterns match. */
  host: string;
  /** The remote user when it is known before the file is read (command line, inventory). */
  user?: string;
  /** The host name set before the file is read (a command-line HostName). */
  hostName?: string;
}

/** The files an `Include` argument names: `~` expanded, relative to `~/.ssh`, glob(7) `*`, `?` and `[...]` in any component, sorted. */
function includeFiles(pattern: string, baseDir: string): string[] {
  const path = expandSshPath(pattern, { host: '' });
  const abs = isAbsolute(path) ? path : join(baseDir, path);
  const parts = abs.split('/').filter((p) => p !== '');
  let found = ['/'];
  for (const part of parts) {
    if (!/[*?[]/.test(part)) {
      found = found.map((d) => join(d, part));
      continue;
    }
    const re = new RegExp(`^${part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    found = found.flatMap((d) => {
      try {
        return readdirSync(d)
          .filter((n) => re.test(n) && !(n.startsWith('.') && !part.startsWith('.')))
          .sort()
          .map((n) => join(d, n));
      } catch {
        return [];
      }
    });
  }
  return found.filter((f) => existsSync(f) && statSync(f).isFile());
}

const INCLUDE_DEPTH = 16;

/**
 * The settings of `file` that apply to a host, in file order: lines outside any section,
 * `Host` sections whose patterns match the host as given, `Match` sections whose criteria
 * hold (`all`, `host` (the name after HostName), `originalhost`, `user`, `localuser`, each
 * negatable; `canonical` never holds, as converge does not canonicalise names), and `Include`d
 * files (relative to `~/.ssh`, globs allowed, conditional inside a section), 16 levels deep at
 * most. A missing file yields nothing. Every applying setting is checked against
 * `SSH_KEYWORDS` (`IgnoreUnknown` honoured).
 *
 * Source: ssh_config(5) (OpenSSH 9.2): Host, Match, Include, IgnoreUnknown, PATTERNS.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` naming the file and line: a setting converge does not
 * support, `Match exec`/`final`/`localnetwork`/`tagged`, invalid quotes, an unreadable file.
 */
export function readSshConfig(file: string, context: SshConfigContext): SshDirective[] {
  const out: SshDirective[] = [];
  const state = { hostName: context.hostName, user: context.user, ignoreUnknown: undefined as string[] | undefined };
  const visit = (path: string, depth: number): void => {
    if (!existsSync(path)) return;
    if (depth > INCLUDE_DEPTH) throw new ConvergeError('CONVERGE_OPTIONS', `${path}: Include nested more than ${INCLUDE_DEPTH} levels deep`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ConvergeError('CONVERGE_OPTIONS', `cannot read ssh config ${path}: ${(cause as Error).message}`, { cause });
    }
    // Lines before the first Host or Match apply to every host; a file read by Include starts
    // in the section of its Include line (active when we get here).
    let active = true;
    text.split('\n').forEach((line, i) => {
      const d = parseSshLine(line, { where: `${path} line ${i + 1}`, code: 'CONVERGE_OPTIONS', origin: 'config-file' });
      if (!d) return;
      if (d.keyword === 'Host') {
        active = matchSshPatterns(context.host, d.args, true);
        return;
      }
      if (d.keyword === 'Match') {
        active = matchCriteria(d, context, state);
        return;
      }
      if (!active) return;
      if (d.keyword === 'Include') {
        for (const pattern of d.args) for (const f of includeFiles(pattern, join(homedir(), '.ssh'))) visit(f, depth + 1);
        return;
      }
      if (d.keyword === 'IgnoreUnknown') state.ignoreUnknown ??= d.args;
      checkSshDirective(d, state.ignoreUnknown);
      if (d.keyword === 'HostName') state.hostName ??= expandSshTokens(d.args[0] as string, { host: context.host }, 'hostName', d.source.where);
      if (d.keyword === 'User') state.user ??= d.args[0];
      out.push(d);
    });
  };
  visit(file, 0);
  return out;
}

function matchCriteria(d: SshDirective, context: SshConfigContext, state: { hostName: string | undefined; user: string | undefined }): boolean {
  const args = [...d.args];
  let result = true;
  while (args.length > 0) {
    const raw = args.shift() as string;
    const negate = raw.startsWith('!');
    const criterion = (negate ? raw.slice(1) : raw).toLowerCase();
    let holds: boolean;
    if (criterion === 'all') holds = true;
    else if (criterion === 'canonical') holds = false;
    else if (['exec', 'final', 'localnetwork', 'tagged'].includes(criterion)) {
      // A false criterion before it decides the block: OpenSSH does not evaluate the rest.
      if (!result) return false;
      throw new ConvergeError('CONVERGE_OPTIONS', `${d.source.where}: "Match ${d.raw}": the criterion ${criterion} is not supported`, {
        hint: criterion === 'exec' ? 'converge runs no command to evaluate a Match block; use Host patterns or Match host/user' : 'use Host patterns or Match host, originalhost, user or localuser',
      });
    } else {
      const value = args.shift();
      if (value === undefined) throw new ConvergeError('CONVERGE_OPTIONS', `${d.source.where}: Match ${criterion} needs an argument`);
      const list = [value];
      switch (criterion) {
        case 'host':
          holds = matchSshPatterns(state.hostName ?? context.host, list, true);
          break;
        case 'originalhost':
          holds = matchSshPatterns(context.host, list, true);
          break;
        case 'user':
          holds = matchSshPatterns(state.user ?? userInfo().username, list, false);
          break;
        case 'localuser':
          holds = matchSshPatterns(userInfo().username, list, false);
          break;
        default:
          throw new ConvergeError('CONVERGE_OPTIONS', `${d.source.where}: unknown Match criterion ${JSON.stringify(criterion)}`);
      }
    }
    if (holds === negate) result = false;
  }
  return result;
}

function yesNo(d: SshDirective, extra: Record<string, boolean> = {}): boolean {
  const v = (d.args[0] as string).toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  if (v in extra) return extra[v] as boolean;
  throw new ConvergeError(d.source.code, `${d.source.where}: ${d.keyword} must be yes or no, got ${JSON.stringify(d.args[0])}`);
}

function whole(d: SshDirective, min: number): number {
  const v = d.args[0] as string;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new ConvergeError(d.source.code, `${d.source.where}: ${d.keyword} must be a whole number >= ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}

function oneOf<T extends string>(d: SshDirective, values: readonly T[], aliases: Record<string, T> = {}): T {
  const v = (d.args[0] as string).toLowerCase();
  if ((values as readonly string[]).includes(v)) return v as T;
  if (v in aliases) return aliases[v] as T;
  throw new ConvergeError(d.source.code, `${d.source.where}: ${d.keyword} must be one of ${values.join(', ')}, got ${JSON.stringify(d.args[0])}`);
}

/**
 * Interprets settings (command-line ones first, then the config file's) with ssh_config(5)'s
 * first-value-wins rule (IdentityFile accumulates), expanding paths with the resulting host,
 * port and user. `host` is the name as given.
 *
 * @throws ConvergeError (the setting's code) for a value of the wrong form.
 */
export function interpretSshDirectives(directives: readonly SshDirective[], host: string): SshConfigHost {
  const out: SshConfigHost = { identityFiles: [], sources: {} };
  const first = new Map<string, SshDirective>();
  const identityFiles: SshDirective[] = [];
  for (const d of directives) {
    if (d.keyword === 'IdentityFile') identityFiles.push(d);
    else if (!first.has(d.keyword)) first.set(d.keyword, d);
  }
  const set = <K extends Exclude<keyof SshConfigHost, 'sources'>>(field: K, keyword: string, value: (d: SshDirective) => SshConfigHost[K] | undefined): void => {
    const d = first.get(keyword);
    if (!d) return;
    const v = value(d);
    if (v === undefined) return;
    out[field] = v;
    out.sources[field] = d.source.where;
  };
  set('hostName', 'HostName', (d) => expandSshTokens(d.args[0] as string, { host }, 'hostName', d.source.where));
  set('user', 'User', (d) => d.args[0]);
  set('port', 'Port', (d) => {
    const p = whole(d, 1);
    if (p > 65535) throw new ConvergeError(d.source.code, `${d.source.where}: Port ${p} is not a port number`);
    return p;
  });
  set('hostKeyAlias', 'HostKeyAlias', (d) => d.args[0]);
  const tokens: SshTokens = {
    host: out.hostName ?? host,
    originalHost: host,
    ...(out.port !== undefined ? { port: out.port } : {}),
    ...(out.user !== undefined ? { user: out.user } : {}),
    ...(out.hostKeyAlias !== undefined ? { hostKeyAlias: out.hostKeyAlias } : {}),
  };
  for (const d of identityFiles) {
    for (const f of d.args) if (f.toLowerCase() !== 'none') out.identityFiles.push(expandSshTokens(f, tokens, 'path', d.source.where));
    out.sources.identityFiles ??= d.source.where;
  }
  set('identitiesOnly', 'IdentitiesOnly', (d) => yesNo(d));
  set('identityAgent', 'IdentityAgent', (d) => {
    const v = d.args[0] as string;
    if (v.toLowerCase() === 'none') return '';
    if (v === 'SSH_AUTH_SOCK') return process.env['SSH_AUTH_SOCK'] ?? '';
    if (v.startsWith('$')) return process.env[v.slice(1)] ?? '';
    return expandSshTokens(v, tokens, 'path', d.source.where);
  });
  set('proxyJump', 'ProxyJump', (d) => (d.raw.trim().toLowerCase() === 'none' ? undefined : expandSshTokens(d.args.join(','), tokens, 'proxy', d.source.where)));
  if (first.get('ProxyJump')?.raw.trim().toLowerCase() === 'none') out.sources.proxyJump = first.get('ProxyJump')?.source.where as string;
  set('proxyCommand', 'ProxyCommand', (d) => (d.raw.trim().toLowerCase() === 'none' ? undefined : d.raw.trim()));
  // ProxyJump and ProxyCommand compete: the one written first wins (ssh_config(5), ProxyJump).
  if (out.proxyJump !== undefined && out.proxyCommand !== undefined) {
    const order = directives.findIndex((d) => d.keyword === 'ProxyJump' || d.keyword === 'ProxyCommand');
    if (directives[order]?.keyword === 'ProxyJump') delete out.proxyCommand;
    else delete out.proxyJump;
  }
  set('connectTimeoutMs', 'ConnectTimeout', (d) => whole(d, 0) * 1000);
  set('connectionAttempts', 'ConnectionAttempts', (d) => whole(d, 1));
  set('serverAliveIntervalMs', 'ServerAliveInterval', (d) => whole(d, 0) * 1000);
  set('serverAliveCountMax', 'ServerAliveCountMax', (d) => whole(d, 0));
  set('hashKnownHosts', 'HashKnownHosts', (d) => yesNo(d));
  set('userKnownHostsFile', 'UserKnownHostsFile', (d) => {
    if (d.args.length > 1) {
      throw new ConvergeError(d.source.code, `${d.source.where}: UserKnownHostsFile with several files (${d.args.join(' ')}) is not supported`, { hint: 'name one known_hosts file' });
    }
    const f = d.args[0] as string;
    return f.toLowerCase() === 'none' ? '/dev/null' : expandSshTokens(f, tokens, 'path', d.source.where);
  });
  set('strictHostKeyChecking', 'StrictHostKeyChecking', (d) => oneOf<'yes' | 'ask' | 'accept-new' | 'no'>(d, ['yes', 'ask', 'accept-new', 'no'], { off: 'no', true: 'yes', false: 'no' }));
  const algorithms: NonNullable<SshConfigHost['algorithms']> = {};
  for (const [list, { keyword }] of Object.entries(ALGORITHM_SETTINGS) as [keyof SshAlgorithms, { keyword: string }][]) {
    const d = first.get(keyword);
    if (d) algorithms[list] = d.args.join(',');
  }
  if (Object.keys(algorithms).length > 0) out.algorithms = algorithms;
  const fa = first.get('ForwardAgent');
  if (fa && fa.source.origin === 'command-line') {
    out.forwardAgent = yesNo(fa);
    out.sources.forwardAgent = fa.source.where;
  }
  set('addressFamily', 'AddressFamily', (d) => oneOf<'any' | 'inet' | 'inet6'>(d, ['any', 'inet', 'inet6']));
  set('bindAddress', 'BindAddress', (d) => d.args[0]);
  set('batchMode', 'BatchMode', (d) => yesNo(d));
  set('pubkeyAuthentication', 'PubkeyAuthentication', (d) => yesNo(d, { unbound: true, 'host-bound': true }));
  set('passwordAuthentication', 'PasswordAuthentication', (d) => yesNo(d));
  const kbd = first.get('KbdInteractiveAuthentication') ?? first.get('ChallengeResponseAuthentication');
  if (kbd) {
    out.kbdInteractiveAuthentication = yesNo(kbd);
    out.sources.kbdInteractiveAuthentication = kbd.source.where;
  }
  set('preferredAuthentications', 'PreferredAuthentications', (d) => d.args.join(',').split(',').filter(Boolean));
  set('numberOfPasswordPrompts', 'NumberOfPasswordPrompts', (d) => whole(d, 0));
  set('requestTty', 'RequestTTY', (d) => oneOf<'yes' | 'no' | 'force' | 'auto'>(d, ['yes', 'no', 'force', 'auto'], { true: 'yes', false: 'no' }));
  return out;
}

/**
 * Resolves the ssh config for `host` (the inventory address) from `file`: {@link readSshConfig}
 * then {@link interpretSshDirectives}. A missing file yields an empty result.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` naming the file and line of a setting converge does
 * not support or cannot read.
 */
export function resolveSshConfig(host: string, file: string): SshConfigHost {
  return interpretSshDirectives(readSshConfig(file, { host }), host);
}

/** One hop of a `ProxyJump` / `jumpHost` value. */
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/**
 * Parses a ProxyJump value: comma-separated `[user@]host[:port]` or `ssh://[user@]host[:port]`
 * hops, first hop first; IPv6 addresses in brackets. Source: ssh_config(5), ProxyJump.
 *
 * @throws ConvergeError `CONVERGE_OPTIONS` for an empty or malformed hop.
 */
export function parseProxyJump(value: string): JumpHop[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(s);
      if (!m || !m[2]) throw new ConvergeError('CONVERGE_OPTIONS', `invalid jump host ${JSON.stringify(s)}`, { hint: 'write jump hosts as [user@]host[:port], several separated by commas' });
      const hop: JumpHop = { host: m[2].replace(/^\[|\]$/g, '') };
      if (m[1]) hop.user = m[1];
      if (m[3]) hop.port = Number(m[3]);
      return hop;
    });
}

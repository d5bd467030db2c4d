import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pyEquals, pyIn, truthy } from './python-ops.js';
import { isDict, isNumber, num } from './python-value.js';
import { splitKwargs } from './python-methods.js';
import { strict } from './undefined.js';
import { isSafeString } from './nunjucks-internals.js';

/**
 * ansible-core 2.14's builtin tests that jinja2 lacks: task results (`changed`, `failed`, ...),
 * paths on the controller (`file`, `directory`, `exists`, `same_file`, ...), sets, URIs,
 * `version`, `vault_encrypted`, `nan`. Sources: ansible-core 2.14 `plugins/test/core.py`,
 * `files.py`, `mathstuff.py`, `uri.py` (behaviour checked by the corpus in
 * `test/fixtures/templates/corpus/tests-ansible.yml`).
 */
type Test = (value: unknown, ...args: unknown[]) => unknown;

function result(v: unknown, name: string): Record<string, unknown> {
  const r = strict(v);
  if (!isDict(r)) throw new Error(`The '${name}' test expects a dictionary`);
  return r;
}

/** ansible's `boolean()` (module_utils.parsing.convert_bool) for task result flags. */
function convertBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't', '1.0'].includes(s)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f', '0.0', ''].includes(s)) return false;
  throw new TypeError(`The value '${String(v)}' is not a valid boolean.  Valid booleans include: 'y', 'yes', 'on', '1', 'true', 't', '1.0', 'n', 'no', 'off', '0', 'false', 'f', '0.0'`);
}

/** A task result's flag as Ansible's tests return it: the value itself (`'yes'` prints as `yes`), `False` when absent. */
function flag(v: unknown, name: string, key: string): unknown {
  const r = result(v, name);
  return Object.hasOwn(r, key) ? r[key] : false;
}

function changed(v: unknown, name: string): unknown {
  const r = result(v, name);
  if (Object.hasOwn(r, 'changed')) return r.changed;
  const results = r.results;
  if (Array.isArray(results) && isDict(results[0])) return results.some((x) => isDict(x) && truthy(x.changed ?? false));
  return false;
}

/** `started`/`finished` of an async task result: `== 1`, true for a result without the key. */
function asyncFlag(v: unknown, name: string): boolean {
  const r = result(v, name);
  return Object.hasOwn(r, name) ? pyEquals(r[name], 1) : true;
}

function pathOf(v: unknown): string {
  const s = strict(v);
  return isSafeString(s) ? s.toString() : String(s);
}

// BigInt stats: a path a template asks about may be a socket or a FIFO, and a plain synchronous
// stat of one leaves it in the buffer Node's realpathSync reads for cached paths, after which
// require() stops resolving symlinks (nodejs/node#51142). BigInt stats have a buffer of their own.
function stat(p: string, link = false): BigIntStats | undefined {
  try {
    return link ? lstatSync(p, { bigint: true }) : statSync(p, { bigint: true });
  } catch {
    return undefined;
  }
}

function isMount(p: string): boolean {
  if (p === '' || !existsSync(p)) return false;
  const abs = resolve(p);
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '));
    return mounts.includes(abs);
  } catch {
    const parent = stat(dirname(abs));
    const self = stat(abs);
    return abs === '/' || (self !== undefined && parent !== undefined && self.dev !== parent.dev);
  }
}

function sameFile(a: unknown, b: unknown): boolean {
  const x = stat(pathOf(a));
  const y = stat(pathOf(b));
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

function subset(a: unknown, b: unknown): boolean {
  return (strict(a) as unknown[]).every((x) => (strict(b) as unknown[]).some((y) => pyEquals(x, y)));
}

/**
 * A version as LooseVersion splits it (numbers and letter runs), or as StrictVersion / SemVer
 * validate it. Source: Python `distutils.version`, ansible `module_utils/compat/version.py`, semver.org.
 */
function versionKey(v: string, type: string): (number | string)[] {
  if (type === 'strict') {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
    if (!m) throw new Error(`Version comparison failed: invalid version number '${v}'`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4] ?? 'z', Number(m[5] ?? 0)];
  }
  if (type === 'semver' || type === 'semantic') {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
    if (!m) throw new Error(`Version comparison failed: invalid semantic version '${v}'`);
    const pre = m[4] === undefined ? ['~'] : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    return [Number(m[1]), Number(m[2]), Number(m[3]), ...pre];
  }
  return (v.match(/\d+|[a-z]+|\./gi) ?? []).filter((p) => p !== '.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function compareKeys(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0, '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0, '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

function version(value: unknown, ...args: unknown[]): boolean {
  const { positional, kwargs } = splitKwargs(args);
  const ref = String(strict(positional[0] ?? kwargs.version));
  const op = String(positional[1] ?? kwargs.operator ?? 'eq');
  const strictMode = (positional[2] ?? kwargs.strict) === true;
  const type = String(positional[3] ?? kwargs.version_type ?? (strictMode ? 'strict' : 'loose'));
  const check = VERSION_OPS[op];
  if (!check) throw new Error(`Invalid operator type (${op})`);
  return check(compareKeys(versionKey(String(strict(value)), type), versionKey(ref, type)));
}

/** Python's `urlsplit` scheme and netloc of a string. Source: CPython `Lib/urllib/parse.py`. */
function schemeAndNetloc(s: string): { scheme: string; netloc: string } {
  let scheme = '';
  let rest = s;
  const i = s.indexOf(':');
  if (i > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(s.slice(0, i))) {
    scheme = s.slice(0, i).toLowerCase();
    rest = s.slice(i + 1);
  }
  const netloc = rest.startsWith('//') ? (/^\/\/([^/?#]*)/.exec(rest)?.[1] ?? '') : '';
  return { scheme, netloc };
}

/** ansible `is_uri`: any string is a URI to `urlparse`; with `schemes`, its scheme must be one of them. */
function uri(value: unknown, schemes?: unknown): boolean {
  const v = strict(value);
  if (typeof v !== 'string' && !isSafeString(v)) return false;
  const { scheme } = schemeAndNetloc(String(v));
  return !truthy(schemes ?? null) || pyIn(scheme, schemes);
}

/** ansible `is_url`: a URI with a network location, or a `file:` URI. */
function url(value: unknown, schemes?: unknown): boolean {
  if (!uri(value, schemes)) return false;
  const { scheme, netloc } = schemeAndNetloc(String(strict(value)));
  return netloc !== '' || scheme === 'file';
}

export const ansibleTests: Record<string, Test> = {
  failed: (v) => flag(v, 'failed', 'failed'),
  failure: (v) => flag(v, 'failed', 'failed'),
  succeeded: (v) => !truthy(flag(v, 'failed', 'failed')),
  success: (v) => !truthy(flag(v, 'failed', 'failed')),
  successful: (v) => !truthy(flag(v, 'failed', 'failed')),
  changed: (v) => changed(v, 'changed'),
  change: (v) => changed(v, 'changed'),
  skipped: (v) => flag(v, 'skipped', 'skipped'),
  skip: (v) => flag(v, 'skipped', 'skipped'),
  reachable: (v) => !truthy(flag(v, 'unreachable', 'unreachable')),
  unreachable: (v) => flag(v, 'unreachable', 'unreachable'),
  finished: (v) => asyncFlag(v, 'finished'),
  started: (v) => asyncFlag(v, 'started'),
  abs: (v) => isAbsolute(pathOf(v)),
  is_abs: (v) => isAbsolute(pathOf(v)),
  directory: (v) => stat(pathOf(v))?.isDirectory() === true,
  is_dir: (v) => stat(pathOf(v))?.isDirectory() === true,
  file: (v) => stat(pathOf(v))?.isFile() === true,
  is_file: (v) => stat(pathOf(v))?.isFile() === true,
  link: (v) => stat(pathOf(v), true)?.isSymbolicLink() === true,
  is_link: (v) => stat(pathOf(v), true)?.isSymbolicLink() === true,
  exists: (v) => pathOf(v) !== '' && stat(pathOf(v)) !== undefined,
  link_exists: (v) => pathOf(v) !== '' && stat(pathOf(v), true) !== undefined,
  mount: (v) => isMount(pathOf(v)),
  is_mount: (v) => isMount(pathOf(v)),
  same_file: sameFile,
  is_same_file: sameFile,
  nan: (v) => isNumber(strict(v)) && Number.isNaN(num(strict(v) as number)),
  isnan: (v) => isNumber(strict(v)) && Number.isNaN(num(strict(v) as number)),
  subset,
  issubset: subset,
  superset: (a, b) => subset(b, a),
  issuperset: (a, b) => subset(b, a),
  contains: (a, b) => (strict(a) as unknown[]).some((x) => pyEquals(x, strict(b))),
  all: (v) => (strict(v) as unknown[]).every((x) => truthy(x)),
  any: (v) => (strict(v) as unknown[]).some((x) => truthy(x)),
  version,
  version_compare: version,
  uri,
  url,
  urn: (v) => uri(v, ['urn']),
  // True only for a `!vault` value object; a template sees plain strings.
  vault_encrypted: (v) => (strict(v), false),
  truthy: (v, ...args) => {
    const { kwargs } = splitKwargs(args);
    const x = strict(v);
    if (kwargs.convert_bool === true) {
      try {
        return convertBool(x);
      } catch {
        return truthy(x);
      }
    }
    return truthy(x);
  },
  falsy: (v, ...args) => !ansibleTests.truthy!(v, ...args),
};

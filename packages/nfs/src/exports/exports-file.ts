import { Type } from '@converge/core';
import type { Static } from '@converge/core';
import { ExportDirectoryFields } from './export-directories.js';
import { classifyClient } from './clients.js';

/** Per-client export options (exports(5), "General Options" and "User ID Mapping"). */
export const ExportOptions = Type.Object(
  {
    access: Type.Optional(Type.Union([Type.Literal('ro'), Type.Literal('rw')], { default: 'ro', description: '`ro` or `rw`: read-only or read-write (exports(5) default `ro`).' })),
    sync: Type.Optional(Type.Boolean({ default: true, description: 'true: `sync` (reply after the data is on disk); false: `async` (faster, loses data when the server crashes).' })),
    squash: Type.Optional(
      Type.Union([Type.Literal('root_squash'), Type.Literal('no_root_squash'), Type.Literal('all_squash')], {
        default: 'root_squash',
        description: '`root_squash`: uid 0 becomes the anonymous user; `all_squash`: every uid does; `no_root_squash`: root stays root.',
      }),
    ),
    anonuid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294, description: 'uid of the anonymous user (`anonuid=`); default 65534.' })),
    anongid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294, description: 'gid of the anonymous user (`anongid=`); default 65534.' })),
    sec: Type.Optional(
      Type.Array(Type.Union([Type.Literal('sys'), Type.Literal('krb5'), Type.Literal('krb5i'), Type.Literal('krb5p')]), {
        minItems: 1,
        uniqueItems: true,
        description: 'Security flavours in order of preference (`sec=krb5p:krb5`); absent: `sys`.',
      }),
    ),
    secure: Type.Optional(Type.Boolean({ default: true, description: 'false: `insecure` (accept requests from ports above 1023).' })),
    subtree_check: Type.Optional(Type.Boolean({ default: false, description: '`subtree_check` / `no_subtree_check` (always written, so exportfs does not warn).' })),
    crossmnt: Type.Optional(Type.Boolean({ description: '`crossmnt`: clients may cross into file systems mounted below the export.' })),
    nohide: Type.Optional(Type.Boolean({ description: '`nohide`: show a file system exported below another one.' })),
    fsid: Type.Optional(
      Type.Union([Type.Literal('root'), Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9a-fA-F-]{32,36}$' })], {
        description: '`fsid=`: `root` (NFSv4 pseudo-root), a number, or a UUID; needed for file systems without a device number.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Export options of this client (exports(5)).' },
);

/** One client of an export and its options. */
export const ExportClient = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'Who may mount: `*`, a host name (wildcards `*`, `?`, `[...]` allowed), an IP address, a network (`10.0.0.0/24`, `10.0.0.0/255.255.255.0`, `2001:db8::/64`) or `@netgroup`.' }),
    options: Type.Optional(ExportOptions),
  },
  { additionalProperties: false },
);

/** One exported directory. */
export const NfsExport = Type.Object(
  {
    path: Type.String({ pattern: '^/[^\\s"\\\\#()]*$', description: 'Absolute path of the exported directory (no spaces, quotes, backslashes, # or parentheses).' }),
    clients: Type.Array(ExportClient, { minItems: 1, description: 'The clients, each with its own options.' }),
    ...ExportDirectoryFields,
  },
  { additionalProperties: false },
);

/** An exported directory. */
export type NfsExport = Static<typeof NfsExport>;
/** Options of one client. */
export type ExportOptions = Static<typeof ExportOptions>;

/** The options text of one client, in a fixed order (exports(5) keywords). */
export function renderOptions(o: ExportOptions = {}): string {
  const parts: string[] = [o.access ?? 'ro', o.sync === false ? 'async' : 'sync', o.subtree_check ? 'subtree_check' : 'no_subtree_check', o.squash ?? 'root_squash'];
  if (o.anonuid !== undefined) parts.push(`anonuid=${o.anonuid}`);
  if (o.anongid !== undefined) parts.push(`anongid=${o.anongid}`);
  if (o.sec) parts.push(`sec=${o.sec.join(':')}`);
  if (o.secure === false) parts.push('insecure');
  if (o.crossmnt) parts.push('crossmnt');
  if (o.nohide) parts.push('nohide');
  if (o.fsid !== undefined) parts.push(`fsid=${o.fsid}`);
  return parts.join(',');
}

/**
 * The text of an exports file (exports(5)): a comment naming its owner, then one line per
 * export, `PATH CLIENT(OPTIONS) ...`, in the order given. Deterministic: the same list gives
 * the same bytes.
 */
export function renderExports(name: string, exports: readonly NfsExport[]): string {
  const lines = [`# Managed by converge (nfs.exports ${name}); see exports(5).`];
  for (const e of exports) lines.push(`${e.path} ${e.clients.map((c) => `${c.host}(${renderOptions(c.options)})`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Checks an export list the way exportfs(8) would read it, plus what it only warns about:
 * client specs (see {@link classifyClient}), a path exported twice, a client named twice for one
 * path, a normalised path (no `//`, `/./`, `/../` or trailing `/`).
 *
 * @returns one line per problem, each naming `exports[i]` (and `clients[j]`); empty when valid.
 */
export function exportProblems(exports: readonly NfsExport[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  exports.forEach((e, i) => {
    const at = `exports[${i}] (${e.path})`;
    if (e.path !== '/' && (/\/\/|\/\.\.?(\/|$)/.test(e.path) || e.path.endsWith('/'))) problems.push(`${at}: write the path normalised (no //, /./, /../ or trailing /)`);
    const first = seen.get(e.path);
    if (first !== undefined) problems.push(`${at}: the path is already exported by exports[${first}]; give it one entry with several clients`);
    else seen.set(e.path, i);
    const hosts = new Set<string>();
    e.clients.forEach((c, j) => {
      const kind = classifyClient(c.host);
      if (typeof kind === 'object') problems.push(`${at}.clients[${j}]: ${kind.error}`);
      if (hosts.has(c.host)) problems.push(`${at}.clients[${j}]: ${c.host} is named twice`);
      hosts.add(c.host);
      if (c.options?.squash === 'no_root_squash' && c.host === '*' && c.options.access === 'rw') {
        problems.push(`${at}.clients[${j}]: rw with no_root_squash to every host (*) gives root on this directory to anyone who can reach the server; name the clients`);
      }
    });
  });
  return problems;
}

import { Type } from '@converge/core';
import type { Static } from '@converge/core';
import { ExportDirectoryFields } from '../exports/export-directories.js';
import { classifyClient } from '../exports/clients.js';

/*
 * The typed model of nfs-ganesha's configuration, exports part, as NFS-Ganesha 4.3 (Debian 12)
 * reads it: ganesha-config(8) (syntax), ganesha-core-config(8) (NFS_CORE_PARAM),
 * ganesha-export-config(8) (EXPORT, CLIENT, FSAL). Only the VFS FSAL (a local directory) is
 * modelled.
 */

const accessType = (o: { default?: string; description?: string } = {}) =>
  Type.Union([Type.Literal('RW'), Type.Literal('RO'), Type.Literal('MDONLY'), Type.Literal('MDONLY_RO'), Type.Literal('None')], {
    description: '`Access_Type`: `RW`, `RO`, `MDONLY` (metadata only), `MDONLY_RO` or `None`.',
    ...o,
  });
const squash = (o: { default?: string } = {}) =>
  Type.Union([Type.Literal('root_squash'), Type.Literal('root_id_squash'), Type.Literal('all_squash'), Type.Literal('no_root_squash')], {
    description: '`Squash`: `root_squash` (uid 0 becomes the anonymous user), `root_id_squash` (uid 0 only, not gid 0), `all_squash` (every uid), `no_root_squash`.',
    ...o,
  });
const Squash = squash();
const SecType = Type.Array(Type.Union([Type.Literal('none'), Type.Literal('sys'), Type.Literal('krb5'), Type.Literal('krb5i'), Type.Literal('krb5p')]), {
  minItems: 1,
  uniqueItems: true,
  description: '`SecType`: security flavours (ganesha\'s default `none, sys`).',
});
const protocols = (o: { default?: number[]; description?: string } = {}) =>
  Type.Array(Type.Union([Type.Literal(3), Type.Literal(4)]), { minItems: 1, uniqueItems: true, description: '`Protocols`: NFS versions, 3 and/or 4.', ...o });
const AnonId = (what: string) => Type.Integer({ minimum: 0, maximum: 4294967294, description: `\`Anonymous_${what}\`: the ${what} squashed users get (ganesha's default -2, i.e. 4294967294).` });

/** A `CLIENT` block: export permissions for some clients (ganesha-export-config(8)). */
export const GaneshaClient = Type.Object(
  {
    clients: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: '`Clients`: IP addresses, networks as `address/prefix`, host names (wildcards `*`, `?`, `[...]`), `@netgroup`, or `*` for every client.',
    }),
    access_type: Type.Optional(accessType()),
    squash: Type.Optional(squash()),
    sectype: Type.Optional(SecType),
    protocols: Type.Optional(protocols()),
    anonymous_uid: Type.Optional(AnonId('uid')),
    anonymous_gid: Type.Optional(AnonId('gid')),
  },
  { additionalProperties: false },
);

/** An `EXPORT` block with the VFS FSAL: a local directory exported by nfs-ganesha. */
export const GaneshaExport = Type.Object(
  {
    export_id: Type.Integer({ minimum: 1, maximum: 65535, description: '`Export_Id`: 1 to 65535, unique (0 is the NFSv4 pseudo root).' }),
    path: Type.String({ pattern: '^/[^\\s"\\\\#(){};,]*$', description: '`Path`: the exported directory; NFSv3 clients mount it by this path. On a file system with file handles (not overlayfs).' }),
    pseudo: Type.Optional(Type.String({ pattern: '^/[^\\s"\\\\#(){};,]+$', description: '`Pseudo`: where NFSv4 clients see it in the pseudo file system. Default: the same as `path`.' })),
    access_type: Type.Optional(accessType({ default: 'None', description: '`Access_Type` of clients no CLIENT block names. Default `None`: only the listed clients get in.' })),
    squash: Type.Optional(squash({ default: 'root_squash' })),
    sectype: Type.Optional(SecType),
    protocols: Type.Optional(protocols()),
    transports: Type.Optional(Type.Array(Type.Union([Type.Literal('TCP'), Type.Literal('UDP')]), { minItems: 1, uniqueItems: true, description: '`Transports` (ganesha\'s default UDP and TCP).' })),
    anonymous_uid: Type.Optional(AnonId('uid')),
    anonymous_gid: Type.Optional(AnonId('gid')),
    clients: Type.Array(GaneshaClient, { minItems: 1, description: '`CLIENT` blocks, in order: the first that names a client decides.' }),
    ...ExportDirectoryFields,
  },
  { additionalProperties: false },
);

/** An nfs-ganesha export. */
export type GaneshaExport = Static<typeof GaneshaExport>;
/** A CLIENT block. */
export type GaneshaClient = Static<typeof GaneshaClient>;

/** Fields of the file's own settings (NFS_CORE_PARAM). */
export const GaneshaCore = {
  protocols: Type.Optional(protocols({ default: [3, 4], description: '`NFS_CORE_PARAM { Protocols }`: the NFS versions the server speaks. Default 3 and 4.' })),
};

const SQUASH: Record<Static<typeof Squash>, string> = { root_squash: 'Root_Squash', root_id_squash: 'Root_Id_Squash', all_squash: 'All_Squash', no_root_squash: 'No_Root_Squash' };

function permissionLines(o: { access_type?: string; squash?: Static<typeof Squash>; sectype?: string[]; protocols?: number[]; anonymous_uid?: number; anonymous_gid?: number }): string[] {
  const lines: string[] = [];
  if (o.access_type) lines.push(`Access_Type = ${o.access_type};`);
  if (o.squash) lines.push(`Squash = ${SQUASH[o.squash]};`);
  if (o.sectype) lines.push(`SecType = ${o.sectype.join(', ')};`);
  if (o.protocols) lines.push(`Protocols = ${o.protocols.join(', ')};`);
  if (o.anonymous_uid !== undefined) lines.push(`Anonymous_Uid = ${o.anonymous_uid};`);
  if (o.anonymous_gid !== undefined) lines.push(`Anonymous_Gid = ${o.anonymous_gid};`);
  return lines;
}

/**
 * The text of ganesha.conf for an export list (ganesha-config(8) syntax): a comment naming its
 * owner, `NFS_CORE_PARAM { Protocols }`, then one `EXPORT` block per export in the order given,
 * each with `FSAL { Name = VFS; }` and its `CLIENT` blocks. Paths are double-quoted; client lists
 * are not (ganesha 4.3 refuses a quoted client: "Expected a client, got a double quoted string").
 * Deterministic: the same list gives the same bytes.
 */
export function renderGaneshaConfig(exports: GaneshaExport[], protocols: number[] = [3, 4]): string {
  const out = ['# Written by converge (@converge/nfs, nfs.ganesha); see ganesha-export-config(8). Local changes are overwritten.', ''];
  const block = (indent: string, header: string, lines: string[]) => [`${indent}${header} {`, ...lines.map((l) => (l.startsWith(' ') ? `${indent}${l}` : `${indent}    ${l}`)), `${indent}}`];
  out.push(...block('', 'NFS_CORE_PARAM', [`Protocols = ${protocols.join(', ')};`]), '');
  for (const e of exports) {
    const lines = [`Export_Id = ${e.export_id};`, `Path = "${e.path}";`, `Pseudo = "${e.pseudo ?? e.path}";`];
    lines.push(...permissionLines({ ...e, access_type: e.access_type ?? 'None', squash: e.squash ?? 'root_squash' }));
    if (e.transports) lines.push(`Transports = ${e.transports.join(', ')};`);
    lines.push(...block('    ', 'FSAL', ['Name = VFS;']));
    for (const c of e.clients) lines.push(...block('    ', 'CLIENT', [`Clients = ${c.clients.join(', ')};`, ...permissionLines(c)]));
    out.push(...block('', 'EXPORT', lines), '');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/**
 * What the schema cannot check: unique export ids, paths and pseudo paths (the pseudo root `/`
 * is ganesha's own), client specs as ganesha reads them (exports(5)'s formats, networks only as
 * `address/prefix`), and `RW` with `no_root_squash` to every client.
 *
 * @returns one message per problem, each naming the export and field.
 */
export function ganeshaProblems(exports: GaneshaExport[]): string[] {
  const problems: string[] = [];
  const ids = new Set<number>();
  const paths = new Set<string>();
  const pseudos = new Set<string>();
  exports.forEach((e, i) => {
    const at = `exports[${i}] (${e.path})`;
    if (ids.has(e.export_id)) problems.push(`${at}.export_id: ${e.export_id} is used twice`);
    ids.add(e.export_id);
    if (paths.has(e.path)) problems.push(`${at}.path: exported twice`);
    paths.add(e.path);
    const pseudo = e.pseudo ?? e.path;
    if (pseudo === '/' || pseudos.has(pseudo)) problems.push(`${at}.pseudo: ${pseudo} is ${pseudo === '/' ? "the pseudo root, ganesha's own" : 'used twice'}`);
    pseudos.add(pseudo);
    for (const [key, p] of [['path', e.path], ['pseudo', pseudo]] as const) {
      if (p.length > 1 && (p.endsWith('/') || p.includes('//') || /\/\.\.?(\/|$)/.test(p))) problems.push(`${at}.${key}: not a normalised absolute path`);
    }
    e.clients.forEach((c, j) => {
      c.clients.forEach((spec, k) => {
        const kind = classifyClient(spec);
        const where = `${at}.clients[${j}].clients[${k}]`;
        if (typeof kind === 'object') problems.push(`${where}: ${kind.error}`);
        else if (kind === 'ipv4-network' && spec.split('/')[1]?.includes('.')) problems.push(`${where}: ${spec}: write the network as address/prefix (e.g. 10.0.0.0/24)`);
      });
      const access = c.access_type ?? e.access_type ?? 'None';
      const squash = c.squash ?? e.squash ?? 'root_squash';
      if (c.clients.includes('*') && access === 'RW' && squash === 'no_root_squash') {
        problems.push(`${at}.clients[${j}]: RW with no_root_squash to * gives root on this directory to anyone who can reach the server; name the clients`);
      }
    });
  });
  return problems;
}

import { Type } from '@converge/core';
import type { Static } from '@converge/core';

const Ident = (description: string) => Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,62}$', description });

/** A named set of a table (nft(8) "SETS"). */
export const NftSet = Type.Object(
  {
    name: Ident('Set name.'),
    type: Type.String({ pattern: '^[a-z0-9_]+( \\. [a-z0-9_]+)*$', description: 'Element type, e.g. `ipv4_addr`, `ipv6_addr`, `inet_service`, `ipv4_addr . inet_service`.' }),
    flags: Type.Optional(Type.Array(Type.Union([Type.Literal('constant'), Type.Literal('interval'), Type.Literal('timeout'), Type.Literal('dynamic')]), { uniqueItems: true, description: 'Set flags.' })),
    timeout: Type.Optional(Type.String({ pattern: '^[0-9]+[smhd]$', description: 'Default element timeout, e.g. `1h`.' })),
    elements: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:/ -]+$' }), { description: 'Elements loaded with the table: addresses, prefixes, ranges, services.' })),
    dynamic: Type.Optional(Type.Boolean({ default: false, description: 'The set is filled at run time (by rules, fail2ban, …): its elements are not compared, so additions are not drift.' })),
  },
  { additionalProperties: false },
);

/** A chain of a table (nft(8) "CHAINS"): a base chain when it has a hook. */
export const NftChain = Type.Object(
  {
    name: Ident('Chain name.'),
    type: Type.Optional(Type.Union([Type.Literal('filter'), Type.Literal('nat'), Type.Literal('route')], { description: 'Base chain type. Default `filter` when a hook is given.' })),
    hook: Type.Optional(
      Type.Union([Type.Literal('prerouting'), Type.Literal('input'), Type.Literal('forward'), Type.Literal('output'), Type.Literal('postrouting'), Type.Literal('ingress'), Type.Literal('egress')], {
        description: 'Netfilter hook of a base chain; absent: a regular chain (a jump target).',
      }),
    ),
    priority: Type.Optional(
      Type.Union([Type.Integer({ minimum: -1000, maximum: 1000 }), Type.Union([Type.Literal('raw'), Type.Literal('mangle'), Type.Literal('dstnat'), Type.Literal('filter'), Type.Literal('security'), Type.Literal('srcnat')])], {
        description: 'Base chain priority: a number or a standard name. Default `filter`.',
      }),
    ),
    policy: Type.Optional(Type.Union([Type.Literal('accept'), Type.Literal('drop')], { description: 'Base chain policy. Default `accept`.' })),
    device: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,15}$', description: 'Interface of a netdev `ingress`/`egress` chain.' })),
    rules: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'One rule in nft syntax.' }), {
        description: 'Rules in order, each one line of nft syntax as `nft add rule` takes it, e.g. `tcp dport { 80, 443 } accept`, `ip saddr @admins counter accept`.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A table converge owns: replaced as a whole (nft(8) "TABLES"). */
export const NftTable = Type.Object(
  {
    family: Type.Optional(Type.Union([Type.Literal('inet'), Type.Literal('ip'), Type.Literal('ip6'), Type.Literal('arp'), Type.Literal('bridge'), Type.Literal('netdev')], { default: 'inet', description: 'Address family.' })),
    name: Ident('Table name.'),
    sets: Type.Optional(Type.Array(NftSet, { description: 'Named sets.' })),
    chains: Type.Array(NftChain, { description: 'Chains, in order.' }),
  },
  { additionalProperties: false },
);

/** A table of the `nftables` params. */
export type NftTable = Static<typeof NftTable>;
/** A chain of the `nftables` params. */
export type NftChain = Static<typeof NftChain>;

/** Where the rules that keep converge's SSH session open go, and for whom. */
export interface KeepSsh {
  port: number;
  /** Source prefixes allowed, split by family; empty: any source. */
  from4: string[];
  from6: string[];
}

/**
 * Problems of one rule string as a line of an nft file: a newline, a `;` or an unbalanced brace
 * outside quotes would end the rule or the chain and let the string say more than one rule.
 */
export function ruleProblem(rule: string): string | undefined {
  if (/[\n\r]/.test(rule)) return 'contains a line break';
  let depth = 0;
  let quoted = false;
  for (const c of rule) {
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === ';') return 'contains `;` (one rule per string)';
    else if (c === '#') return 'contains `#` outside quotes (a comment; use `comment "…"`)';
    else if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return 'closes a brace it did not open';
  }
  if (quoted) return 'has an unterminated quote';
  if (depth !== 0) return 'leaves a brace open';
  return undefined;
}

function keepSshRules(t: NftTable, c: NftChain, keep: KeepSsh): string[] {
  if (c.hook !== 'input' && c.hook !== 'output') return [];
  if (t.family !== undefined && t.family !== 'inet' && t.family !== 'ip' && t.family !== 'ip6') return [];
  if ((c.type ?? 'filter') !== 'filter') return [];
  const dir = c.hook === 'input' ? 'dport' : 'sport';
  const peer = c.hook === 'input' ? 'saddr' : 'daddr';
  const comment = 'comment "converge: keep the SSH port open"';
  const family = t.family ?? 'inet';
  if (keep.from4.length === 0 && keep.from6.length === 0) return [`tcp ${dir} ${keep.port} accept ${comment}`];
  const out: string[] = [];
  if (keep.from4.length > 0 && family !== 'ip6') out.push(`ip ${peer} { ${keep.from4.join(', ')} } tcp ${dir} ${keep.port} accept ${comment}`);
  if (keep.from6.length > 0 && family !== 'ip') out.push(`ip6 ${peer} { ${keep.from6.join(', ')} } tcp ${dir} ${keep.port} accept ${comment}`);
  return out;
}

/** The text of one table, as `nft -f` reads it (nft(8) "TABLES", "CHAINS", "SETS"), tab-indented. */
export function renderTable(t: NftTable, keep?: KeepSsh): string {
  const family = t.family ?? 'inet';
  const lines = [`table ${family} ${t.name} {`];
  for (const s of t.sets ?? []) {
    lines.push(`\tset ${s.name} {`, `\t\ttype ${s.type}`);
    if (s.flags && s.flags.length > 0) lines.push(`\t\tflags ${s.flags.join(',')}`);
    if (s.timeout) lines.push(`\t\ttimeout ${s.timeout}`);
    if (s.elements && s.elements.length > 0) lines.push(`\t\telements = { ${s.elements.join(', ')} }`);
    lines.push('\t}', '');
  }
  t.chains.forEach((c, i) => {
    lines.push(`\tchain ${c.name} {`);
    if (c.hook) {
      const device = c.device ? ` device ${JSON.stringify(c.device)}` : '';
      lines.push(`\t\ttype ${c.type ?? 'filter'} hook ${c.hook}${device} priority ${c.priority ?? 'filter'}; policy ${c.policy ?? 'accept'};`);
    }
    for (const r of [...(keep ? keepSshRules(t, c, keep) : []), ...(c.rules ?? [])]) lines.push(`\t\t${r}`);
    lines.push('\t}');
    if (i < t.chains.length - 1) lines.push('');
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * The ruleset file: for each table, the idiom that replaces it whole in one transaction
 * (`table F N` declares it if missing, `delete table F N` removes it, then the new definition;
 * nftables wiki, "Scripting"), so that `nft -f` at boot and at every change gives the same
 * tables and leaves every other table (Docker's, fail2ban's) alone.
 */
export function renderRuleset(tables: NftTable[], keep?: KeepSsh): string {
  const names = tables.map((t) => `${t.family ?? 'inet'} ${t.name}`);
  const parts = [
    '#!/usr/sbin/nft -f',
    `# Written by converge (module nftables): tables ${names.join(', ')}.`,
    '# Each table is replaced whole in one transaction; other tables are left alone.',
    '',
  ];
  for (const t of tables) {
    const id = `${t.family ?? 'inet'} ${t.name}`;
    parts.push(`table ${id}`, `delete table ${id}`, renderTable(t, keep));
  }
  return parts.join('\n');
}

/**
 * A listing with the elements of the named sets removed (`elements = { … }`, possibly over
 * several lines), so that sets filled at run time are not taken for drift.
 */
export function withoutElements(listing: string, sets: readonly string[]): string {
  if (sets.length === 0) return listing;
  const out: string[] = [];
  let inSet: string | undefined;
  let skipping = false;
  for (const line of listing.split('\n')) {
    const m = /^\s*set (\S+) \{$/.exec(line);
    if (m) inSet = m[1];
    if (inSet !== undefined && sets.includes(inSet) && /^\s*elements = \{/.test(line)) skipping = true;
    if (!skipping) out.push(line);
    if (skipping && /\}\s*$/.test(line)) skipping = false;
    if (/^\s*\}$/.test(line) && !skipping) inSet = undefined;
  }
  return out.join('\n');
}

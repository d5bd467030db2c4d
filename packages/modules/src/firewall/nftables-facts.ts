import { defineFact, raw, sh } from '@converge/core';

/** The live nftables state of the tables a task manages, and what converge recorded when it last loaded them. */
export interface NftablesState {
  /** `missing`: nft is not installed; `denied`: nft cannot read the ruleset (needs CAP_NET_ADMIN). */
  nft: 'ok' | 'missing' | 'denied';
  /** Every table of the live ruleset, as `family name`. */
  live: string[];
  /** `nft -s list table` (stateless: no counter values) of each requested table that exists. */
  listings: Record<string, string>;
  /** What converge recorded right after its last load; undefined when it never loaded here. */
  recorded?: { rendered: string; listings: Record<string, string> };
}

/** Arguments of {@link nftablesTables}: the tables (`family name`) and converge's record of the last load. */
export interface NftablesArgs {
  tables: string[];
  state: string;
}

/**
 * Fact `nftables.tables`: the live tables (nft list tables), the stateless listing of each
 * managed table (`nft -s list table`, nft(8)), and the record converge wrote after its last load
 * (the rendered ruleset's sha256 and the listings nft printed then), so that a change made by
 * hand to a live table shows as drift without reimplementing nft's own formatting.
 */
export const nftablesTables = defineFact<NftablesArgs, NftablesState>({
  name: 'nftables.tables',
  description: 'Live nftables tables, the listings of the managed ones, and the record of the last load.',
  command: ({ tables, state }) => sh`if ! command -v nft >/dev/null 2>&1; then echo 'nft missing'; exit 0; fi
if ! l=$(nft list tables 2>/dev/null); then echo 'nft denied'; exit 0; fi
printf '%s\\n' "$l" | sed -n 's/^table /live /p'
if [ -f ${state} ]; then printf 'state '; base64 -w0 < ${state}; echo; fi
${tables.length === 0 ? raw(':') : sh`for t in ${tables}; do printf 'listing %s ' "$t"; nft -s list table $t 2>/dev/null | base64 -w0; echo; done`}`,
  parse: (stdout) => parseNftablesState(stdout),
  resources: ({ state }) => ['nftables', state],
});

/** Parses converge's load record: `rendered SHA256`, then `table FAMILY NAME BASE64-LISTING` lines. */
export function parseLoadRecord(text: string): { rendered: string; listings: Record<string, string> } {
  const listings: Record<string, string> = {};
  let rendered = '';
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'rendered') rendered = f[1] ?? '';
    else if (f[0] === 'table' && f.length >= 3) listings[`${f[1]} ${f[2]}`] = Buffer.from(f[3] ?? '', 'base64').toString('utf8');
  }
  return { rendered, listings };
}

/** Pure parser of the `nftables.tables` probe (exported for fact tests). */
export function parseNftablesState(stdout: string): NftablesState {
  const s: NftablesState = { nft: 'ok', live: [], listings: {} };
  for (const line of stdout.split('\n')) {
    if (line === 'nft missing') s.nft = 'missing';
    else if (line === 'nft denied') s.nft = 'denied';
    else if (line.startsWith('live ')) s.live.push(line.slice(5));
    else if (line.startsWith('state ')) s.recorded = parseLoadRecord(Buffer.from(line.slice(6), 'base64').toString('utf8'));
    else if (line.startsWith('listing ')) {
      const f = line.split(' ');
      const listing = Buffer.from(f[3] ?? '', 'base64').toString('utf8');
      if (listing !== '') s.listings[`${f[1]} ${f[2]}`] = listing;
    }
  }
  return s;
}

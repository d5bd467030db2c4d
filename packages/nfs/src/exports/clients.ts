import { isIPv4, isIPv6 } from 'node:net';

/** The kinds of client exports(5) knows ("Machine Name Formats"). */
export type ClientKind = 'anonymous' | 'netgroup' | 'ipv4' | 'ipv4-network' | 'ipv6' | 'ipv6-network' | 'hostname' | 'wildcard';

/**
 * Classifies a client spec as exports(5) reads it: `*` (every host), `@netgroup`, an IPv4 or
 * IPv6 address, a network (`address/prefix`, or for IPv4 `address/dotted-mask`), a host name,
 * or a host name with the wildcards `*`, `?` and `[...]` (which exports(5) says do not work on
 * IP addresses).
 *
 * @returns the kind, or `{ error }` with a one-line reason.
 */
export function classifyClient(spec: string): ClientKind | { error: string } {
  if (spec === '') return { error: 'an empty client' };
  if (/[\s(),"'#\\]/.test(spec)) return { error: `${JSON.stringify(spec)} holds a space, quote, comma, parenthesis, # or backslash` };
  if (spec === '*') return 'anonymous';
  if (spec.startsWith('@')) return /^@[A-Za-z0-9_.-]+$/.test(spec) ? 'netgroup' : { error: `${JSON.stringify(spec)} is not a netgroup name` };
  const slash = spec.indexOf('/');
  if (slash >= 0) {
    const addr = spec.slice(0, slash);
    const mask = spec.slice(slash + 1);
    if (isIPv4(addr)) {
      if (/^\d{1,2}$/.test(mask) && Number(mask) <= 32) return hostBitsClear4(addr, Number(mask)) ? 'ipv4-network' : { error: `${spec}: the address has bits set past /${mask} (write the network address)` };
      if (isIPv4(mask)) {
        const bits = maskBits(mask);
        if (bits === undefined) return { error: `${spec}: ${mask} is not a contiguous netmask` };
        return hostBitsClear4(addr, bits) ? 'ipv4-network' : { error: `${spec}: the address has bits set outside the netmask` };
      }
      return { error: `${spec}: ${JSON.stringify(mask)} is neither a prefix length (0-32) nor a netmask` };
    }
    if (isIPv6(addr)) {
      if (/^\d{1,3}$/.test(mask) && Number(mask) <= 128) return 'ipv6-network';
      return { error: `${spec}: ${JSON.stringify(mask)} is not an IPv6 prefix length (0-128)` };
    }
    return { error: `${spec}: ${JSON.stringify(addr)} is not an IP address (networks are address/prefix)` };
  }
  if (isIPv4(spec)) return 'ipv4';
  if (isIPv6(spec)) return 'ipv6';
  if (/^[\d.*?[\]]+$/.test(spec)) return { error: `${spec}: wildcards do not work on IP addresses (exports(5)); write a network such as 10.0.0.0/24` };
  const labels = spec.split('.');
  const wild = /[*?[\]]/.test(spec);
  for (const l of labels) {
    if (l === '') return { error: `${spec}: an empty label in the host name` };
    if (l.length > 63) return { error: `${spec}: a label longer than 63 characters` };
    const ok = wild ? /^[A-Za-z0-9*?[\]-]+$/.test(l) : /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(l);
    if (!ok) return { error: `${spec} is not a host name (RFC 1123 labels${wild ? ' with *, ? or [...]' : ''})` };
  }
  return wild ? 'wildcard' : 'hostname';
}

function ipv4Number(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function maskBits(mask: string): number | undefined {
  const n = ipv4Number(mask);
  for (let bits = 0; bits <= 32; bits++) {
    const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (m === n) return bits;
  }
  return undefined;
}

function hostBitsClear4(addr: string, bits: number): boolean {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4Number(addr) & ~m) >>> 0) === 0;
}

import { InventoryRuleError } from './inventory-error.js';
import { expandHostRange, hasHostRange } from './ranges.js';

/*
 * Host identifiers with an optional port, after lib/ansible/parsing/utils/addresses.py of
 * ansible-core 2.14 (Python `\w` is Unicode-aware, hence `\p{L}\p{N}_`).
 */
const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const W = String.raw`[\p{L}\p{N}_]`;
const IPV6_COMPONENT = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_COMPONENT = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = String.raw`(?:${W}|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/s;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/s;
const C6 = IPV6_COMPONENT;
const C4 = IPV4_COMPONENT;

/** An IPv4 address, ranges allowed in place of a component. */
export const IPV4_PATTERN = new RegExp(String.raw`^(?:${C4}\.){3}${C4}$`, 'iu');
/** An IPv6 address, ranges allowed in place of a component. */
export const IPV6_PATTERN = new RegExp(
  '^(?:' +
    [
      String.raw`(?:${C6}:){7}${C6}`,
      String.raw`(?:${C6}:){1,6}:`,
      String.raw`(?:${C6}:)(?::${C6}){1,6}`,
      String.raw`(?:${C6}:){2}(?::${C6}){1,5}`,
      String.raw`(?:${C6}:){3}(?::${C6}){1,4}`,
      String.raw`(?:${C6}:){4}(?::${C6}){1,3}`,
      String.raw`(?:${C6}:){5}(?::${C6}){1,2}`,
      String.raw`(?:${C6}:){6}(?::${C6})`,
      String.raw`:(?::${C6}){1,6}`,
      String.raw`${C6}?::`,
      String.raw`(?:0:){6}(?:${C6}\.){3}${C6}`,
      String.raw`::(?:ffff:)?(?:${C6}\.){3}${C6}`,
      String.raw`(?:0:){5}ffff:(?:${C6}\.){3}${C6}`,
    ].join('|') +
    ')$',
  'iu',
);
/** A host name (Unicode letters, digits, `_`, `-`), ranges allowed in place of a label part. */
export const HOSTNAME_PATTERN = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu');
// The common case, ASCII names and IPv4 addresses: a subset of HOSTNAME_PATTERN tested first,
// because compiling the Unicode patterns above (`\p{L}` under `iu`) costs several ms of CPU.
const ASCII_HOSTNAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*(?<![_-])(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*(?<![_-]))*$/;

/**
 * Splits a host identifier into host and port, as Ansible's `parse_address(address, allow_ranges=True)`.
 *
 * Accepts `host`, `host:port`, `10.0.0.1:22`, `[::1]:22`, `[10.0.0.1]:22`, and any of these with
 * ranges (`web[01:03]:2222`). Returns `undefined` when the text is not a host identifier Ansible
 * recognises (then the whole text is a host name and no port is split off).
 */
export function parseAddress(address: string): { host: string; port: number | undefined } | undefined {
  let port: number | undefined;
  let rest = address;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(rest);
    if (m) {
      rest = m[1] as string;
      port = Number.parseInt(m[2] as string, 10);
    }
  }
  if (ASCII_HOSTNAME.test(rest) || IPV4_PATTERN.test(rest) || IPV6_PATTERN.test(rest) || HOSTNAME_PATTERN.test(rest)) return { host: rest, port };
  return undefined;
}

/**
 * Expands one host entry of an inventory (`web[01:03]:2222`) into host names and a port, as
 * Ansible's `BaseInventoryPlugin._expand_hostpattern`.
 *
 * @throws InventoryRuleError for a bad range.
 */
export function expandHostPattern(entry: string): { hosts: string[]; port: number | undefined } {
  const parsed = parseAddress(entry);
  const pattern = parsed ? parsed.host : entry;
  const port = parsed ? parsed.port : undefined;
  const hosts = hasHostRange(pattern) ? expandHostRange(pattern) : [pattern];
  return { hosts, port };
}

/**
 * {@link expandHostPattern} with the extra checks of the INI plugin: an entry may not end in `:`
 * without a port, and `---` (a YAML document marker) is no host.
 *
 * @throws InventoryRuleError on those, or for a bad range.
 */
export function expandIniHostPattern(entry: string): { hosts: string[]; port: number | undefined } {
  const out = expandHostPattern(entry);
  if (entry.trim().endsWith(':') && out.port === undefined) {
    throw new InventoryRuleError(`invalid host pattern "${entry}": it ends in ":", which is reserved to give a port`);
  }
  if (out.hosts.some((h) => h.trim() === '---')) {
    throw new InventoryRuleError(`invalid host pattern "${entry}": "---" is normally a sign this is a YAML file`);
  }
  return out;
}

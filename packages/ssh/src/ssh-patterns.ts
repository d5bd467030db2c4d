/**
 * Whether `value` matches a pattern list of ssh_config(5) and sshd(8): comma-separated
 * patterns with `*` (any run of characters) and `?` (one character); a negated pattern (`!p`)
 * that matches decides "no match", whatever else matches; otherwise one positive pattern must
 * match. Host names compare without case (`caseless`), user names with. Several lists (the
 * arguments of a `Host` line) count as one. Source: ssh_config(5), PATTERNS; sshd(8),
 * SSH_KNOWN_HOSTS FILE FORMAT.
 *
 * @example matchSshPatterns('web1.internal', ['*.internal,!db*']) // true
 */
export function matchSshPatterns(value: string, lists: readonly string[], caseless = true): boolean {
  let matched = false;
  for (const p of lists.flatMap((x) => x.split(','))) {
    if (p === '') continue;
    if (p.startsWith('!')) {
      if (patternRegExp(p.slice(1), caseless).test(value)) return false;
    } else if (patternRegExp(p, caseless).test(value)) matched = true;
  }
  return matched;
}

function patternRegExp(pattern: string, caseless: boolean): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseless ? 'i' : '');
}

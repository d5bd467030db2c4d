import { defineFact, raw } from '@converge/core';

/** ufw's configuration and rules as its files hold them. */
export interface UfwState {
  installed: boolean;
  /** `ENABLED=yes` in /etc/ufw/ufw.conf. */
  enabled: boolean;
  /** True when ufw's chains are loaded (iptables knows `ufw-user-input`). */
  running: boolean;
  /** LOGLEVEL of ufw.conf (`off`, `low`, `medium`, `high`, `full`). */
  logging: string;
  /** Default policies from /etc/default/ufw, as ufw names them (`allow`, `deny`, `reject`). */
  defaults: { incoming: string; outgoing: string; routed: string };
  ipv6: boolean;
  /** The `### tuple ###` lines of /etc/ufw/user.rules and user6.rules, without the prefix. */
  tuples4: string[];
  tuples6: string[];
}

/**
 * Fact `ufw.state`: ufw's state from its own files (ufw.conf, /etc/default/ufw, the `### tuple
 * ###` comments ufw writes above each rule in user.rules and user6.rules) and whether its chains
 * are loaded. Reads files and runs `iptables -n -L` once: no Python process, so a no-op stays
 * fast. Source: ufw 0.36 `backend_iptables.py` (the tuple format).
 */
export const ufwState = defineFact<Record<string, never>, UfwState>({
  name: 'ufw.state',
  description: 'ufw enabled, defaults, logging and rule tuples (from its files).',
  command: () =>
    raw(`if [ ! -f /etc/ufw/ufw.conf ] || ! command -v ufw >/dev/null 2>&1; then echo 'installed no'; exit 0; fi
sed -n 's/^\\(ENABLED\\|LOGLEVEL\\)=/conf \\1=/p' /etc/ufw/ufw.conf
sed -n 's/^\\(DEFAULT_[A-Z]*_POLICY\\|IPV6\\)=/conf \\1=/p' /etc/default/ufw 2>/dev/null
sed -n 's/^### tuple ### /tuple4 /p' /etc/ufw/user.rules 2>/dev/null
sed -n 's/^### tuple ### /tuple6 /p' /etc/ufw/user6.rules 2>/dev/null
if iptables -w -n -L ufw-user-input >/dev/null 2>&1; then echo 'running yes'; fi`),
  parse: (stdout) => parseUfwState(stdout),
  resources: () => ['ufw', '/etc/ufw', '/etc/default/ufw'],
});

const POLICY: Record<string, string> = { DROP: 'deny', REJECT: 'reject', ACCEPT: 'allow' };

/** Pure parser of the `ufw.state` probe (exported for fact tests). */
export function parseUfwState(stdout: string): UfwState {
  const s: UfwState = { installed: true, enabled: false, running: false, logging: 'off', defaults: { incoming: 'deny', outgoing: 'allow', routed: 'deny' }, ipv6: false, tuples4: [], tuples6: [] };
  for (const line of stdout.split('\n')) {
    if (line === 'installed no') s.installed = false;
    else if (line === 'running yes') s.running = true;
    else if (line.startsWith('tuple4 ')) s.tuples4.push(line.slice(7).trim());
    else if (line.startsWith('tuple6 ')) s.tuples6.push(line.slice(7).trim());
    else if (line.startsWith('conf ')) {
      const [key, raw = ''] = line.slice(5).split('=');
      const value = raw.replace(/^"|"$/g, '');
      if (key === 'ENABLED') s.enabled = value === 'yes';
      else if (key === 'LOGLEVEL') s.logging = value;
      else if (key === 'IPV6') s.ipv6 = value === 'yes';
      else if (key === 'DEFAULT_INPUT_POLICY') s.defaults.incoming = POLICY[value] ?? value.toLowerCase();
      else if (key === 'DEFAULT_OUTPUT_POLICY') s.defaults.outgoing = POLICY[value] ?? value.toLowerCase();
      else if (key === 'DEFAULT_FORWARD_POLICY') s.defaults.routed = POLICY[value] ?? value.toLowerCase();
    }
  }
  return s;
}

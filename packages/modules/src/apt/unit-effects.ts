import { defineFact, sh } from '@converge/core';
import { packageResources } from './package-facts.js';

/** What installing a package does to one systemd unit it ships, as its maintainer scripts say. */
export interface UnitEffect {
  /** `deb-systemd-helper enable` on a first installation. */
  enabled: boolean;
  /** The unit file has an `[Install]` section (without one it is `static`: never enabled or disabled). */
  installable: boolean;
  /** `deb-systemd-invoke start` (or restart) at configure time, and no policy-rc.d(8) forbids it. */
  started: boolean;
  /**
   * The unit file has `Condition…=` or `Assert…=` settings (systemd.unit(5)): whether the start
   * at configure time really starts it depends on the host at that moment (keepalived's needs a
   * non-empty keepalived.conf), so a start cannot be predicted from the package alone.
   */
  conditional: boolean;
}

/**
 * Value of {@link aptUnitEffects}: for each service unit that the packages to be installed (and
 * the dependencies apt would install with them) ship, what their maintainer scripts do to it; or
 * why that cannot be told (`unknown`).
 */
export type UnitEffects = { units: Record<string, UnitEffect> } | { unknown: string };

/**
 * Parses the probe output of {@link aptUnitEffects}: `closure`, then per package `deb NAME`,
 * `unit NAME.service yes|no` (its [Install] section), `conditions NAME.service` when the unit file
 * has Condition/Assert settings, the postinst's lines that enable or start units
 * (`deb-systemd-helper enable 'U'...`, `deb-systemd-invoke ACTION 'U'...`, and `deb-systemd-helper
 * debian-installed 'U'`, which guards the enable of a package built with dh_installsystemd
 * --no-enable: it enables the unit only where it was installed before, never on a first
 * installation), and `policy UNIT RC` when /usr/sbin/policy-rc.d exists (101: the action is
 * forbidden, policy-rc.d(8)).
 */
export function parseUnitEffects(stdout: string): UnitEffects {
  const lines = stdout.split('\n');
  const error = lines.find((l) => l.startsWith('error '));
  if (error) return { unknown: error.slice('error '.length) };
  const installable = new Map<string, boolean>();
  const enabled = new Set<string>();
  const started = new Set<string>();
  const forbidden = new Set<string>();
  const notOnFirstInstall = new Set<string>();
  const conditional = new Set<string>();
  const quoted = (s: string) => [...s.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
  for (const line of lines) {
    const unit = /^unit (\S+) (yes|no)$/.exec(line);
    if (unit) installable.set(unit[1] as string, unit[2] === 'yes');
    const enable = /^script .*deb-systemd-helper enable (.*)$/.exec(line);
    if (enable) for (const u of quoted(enable[1] as string)) enabled.add(u);
    const invoke = /^script .*deb-systemd-invoke (\S+) (.*)$/.exec(line);
    if (invoke && /^(start|restart|\$_dh_action)$/.test(invoke[1] as string)) for (const u of quoted(invoke[2] as string)) started.add(u);
    const guard = /^script .*deb-systemd-helper debian-installed (.*)$/.exec(line);
    if (guard) for (const u of quoted(guard[1] as string)) notOnFirstInstall.add(u);
    const conditions = /^conditions (\S+)$/.exec(line);
    if (conditions) conditional.add(conditions[1] as string);
    const policy = /^policy (\S+) 101$/.exec(line);
    if (policy) forbidden.add(policy[1] as string);
  }
  const units: Record<string, UnitEffect> = {};
  for (const [name, hasInstall] of installable) {
    units[name] = {
      enabled: hasInstall && enabled.has(name) && !notOnFirstInstall.has(name),
      installable: hasInstall,
      started: started.has(name) && !forbidden.has(name),
      conditional: conditional.has(name),
    };
  }
  return { units };
}

/**
 * Fact `apt.unit_effects`, asked in check mode only: which service units the named packages
 * would bring (with the dependencies apt would install, `apt-get -s install`), and whether their
 * maintainer scripts enable and start them. Debian policy (§9.3.3, and debhelper's
 * dh_installsystemd) has a package enable and start the units it ships on installation, unless
 * built with --no-enable or --no-start; the scripts say which. Read without installing: the
 * .deb files are fetched with `apt-get download` into a temporary directory (from the package
 * lists the host has; removed afterwards), their unit files listed with `dpkg-deb -c`, each
 * unit's [Install] section and the postinst read from the archive (dpkg-deb(1)). When the lists
 * do not know a package or the download fails, the effects are `unknown`, with apt's message.
 */
export const aptUnitEffects = defineFact<{ names: string[] }, UnitEffects>({
  name: 'apt.unit_effects',
  description: 'Service units that installing packages would enable and start (from their .deb files).',
  command: ({ names }) => sh`(
cv_d=$(mktemp -d) || { echo 'error cannot make a temporary directory'; exit 0; }
trap 'rm -rf "$cv_d"' EXIT
cv_p=$(apt-get -s -q install -- ${names} 2>"$cv_d/err" | sed -n 's/^Inst \\([^ ]*\\) .*/\\1/p') || :
if [ -z "$cv_p" ]; then printf 'error apt-get -s install: %s\\n' "$(tr '\\n' ' ' < "$cv_d/err")"; exit 0; fi
echo "closure $cv_p"
chmod 755 "$cv_d"
cd "$cv_d" && apt-get download -q -- $cv_p >/dev/null 2>"$cv_d/err" || { printf 'error apt-get download: %s\\n' "$(tr '\\n' ' ' < "$cv_d/err")"; exit 0; }
for f in ./*.deb; do
  printf 'deb %s\\n' "$(dpkg-deb -f "$f" Package)"
  dpkg-deb --fsys-tarfile "$f" > "$cv_d/fs.tar"
  for u in $(tar -tf "$cv_d/fs.tar" | sed -n 's#^\\./\\(usr/\\)\\{0,1\\}lib/systemd/system/\\([^/@]*\\.service\\)$#&#p'); do
    if tar -xOf "$cv_d/fs.tar" "$u" | grep -q '^\\[Install\\]'; then i=yes; else i=no; fi
    n=\${u##*/}
    echo "unit $n $i"
    if tar -xOf "$cv_d/fs.tar" "$u" | grep -q -E '^(Condition|Assert)[A-Za-z]+='; then echo "conditions $n"; fi
    if [ -x /usr/sbin/policy-rc.d ]; then /usr/sbin/policy-rc.d "\${n%.service}" start >/dev/null 2>&1; echo "policy $n $?"; fi
  done
  dpkg-deb --ctrl-tarfile "$f" | tar -xOf - ./postinst 2>/dev/null | grep -E 'deb-systemd-helper (enable|debian-installed)|deb-systemd-invoke' | sed 's/^/script /'
done
)`,
  parse: (stdout) => parseUnitEffects(stdout),
  resources: ({ names }) => [...packageResources(names), '/var/lib/apt/lists', '/etc/apt'],
});

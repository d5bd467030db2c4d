import { defineFact, raw, sh } from '@converge/core';
import type { Command, RawShell } from '@converge/core';

/** MaxScale's REST API account that exists on a new installation (MaxCtrl reference: "The default credentials for the REST API are admin:mariadb"). */
export const DEFAULT_REST_CREDENTIALS = { user: 'admin', password: 'mariadb' } as const;

/** The `~/.maxctrl.cnf`-style file `maxctrl -c FILE` reads its defaults from (MaxCtrl reference, ".maxctrl.cnf"). */
export function renderMaxctrlConfig(user: string, password: string, host: string): string {
  return `# Written by converge (@converge/maxscale): credentials of maxctrl for the local MaxScale.\n[maxctrl]\nu = ${user}\np = ${password}\nh = ${host}\n`;
}

/** Reads the user and password back from a maxctrl config text; undefined when either is missing. */
export function parseMaxctrlConfig(text: string): { user: string; password: string } | undefined {
  const get = (k: string) => new RegExp(`^\\s*${k}\\s*=\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
  const user = get('u');
  const password = get('p');
  return user !== undefined && password !== undefined ? { user, password } : undefined;
}

/** `HOST:PORT` maxctrl and the REST API calls use: loopback when MaxScale listens on every address. */
export function restEndpoint(adminHost: string, adminPort: number): string {
  const host = adminHost === '::' || adminHost === '0.0.0.0' || adminHost === '' ? '127.0.0.1' : adminHost;
  return `${host.includes(':') ? `[${host}]` : host}:${adminPort}`;
}

/** A string in curl's config-file syntax (curl(1) "-K, --config": double quotes, backslash escapes). */
function curlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const SEPARATOR = '@@converge-next@@';

/**
 * The stdin of {@link restUserScript}: curl configs (curl(1) `-K -`), separated by a line
 * `@@converge-next@@` — first the check with the wanted credentials, then for each account that
 * may still administer MaxScale (the previous credentials, MaxScale's default admin) a PATCH of
 * the password and a POST that creates the account, and last the removal of the default admin.
 * Everything secret travels here, never on a command line. Endpoints: MaxScale 24.02 REST API,
 * "Users" resource (`/v1/users/inet/:name`: GET, PATCH, DELETE; `/v1/users/inet`: POST).
 */
export function restUserInput(endpoint: string, wanted: { user: string; password: string }, fallbacks: { user: string; password: string }[]): string {
  const base = `http://${endpoint}/v1/users/inet`;
  const common = ['silent', 'output = "/dev/null"', 'write-out = "%{http_code}"', 'max-time = 10'];
  const cfg = (lines: string[]) => [...common, ...lines].join('\n');
  const attributes = { password: wanted.password, account: 'admin' };
  const parts = [cfg([`url = ${curlString(`${base}/${encodeURIComponent(wanted.user)}`)}`, `user = ${curlString(`${wanted.user}:${wanted.password}`)}`])];
  for (const f of fallbacks) {
    const auth = `user = ${curlString(`${f.user}:${f.password}`)}`;
    parts.push(
      cfg([`url = ${curlString(`${base}/${encodeURIComponent(wanted.user)}`)}`, auth, 'request = "PATCH"', 'header = "Content-Type: application/json"', `data = ${curlString(JSON.stringify({ data: { attributes: { password: wanted.password } } }))}`]),
      cfg([`url = ${curlString(base)}`, auth, 'request = "POST"', 'header = "Content-Type: application/json"', `data = ${curlString(JSON.stringify({ data: { id: wanted.user, type: 'inet', attributes } }))}`]),
    );
  }
  parts.push(
    cfg([
      `url = ${curlString(`${base}/${DEFAULT_REST_CREDENTIALS.user}`)}`,
      `user = ${curlString(`${wanted.user}:${wanted.password}`)}`,
      'request = "DELETE"',
    ]),
  );
  return `${parts.join(`\n${SEPARATOR}\n`)}\n`;
}

/**
 * The step that makes the REST API account of the task exist with its password on a running
 * MaxScale (failing when it is not running), reading the curl configs of {@link restUserInput} from stdin: when the wanted
 * credentials already work, nothing; else, with the first fallback account that MaxScale
 * accepts, the password is changed (PATCH, when the account exists) or the account created
 * (POST, type admin); then MaxScale's default `admin` account is removed (unless it is the
 * wanted one). Fails, with MaxScale's HTTP status, when no account is accepted.
 */
export function restUserScript(service: string, wantedUser: string, fallbacks: number): Command['script'] {
  const removeDefault: RawShell = wantedUser === DEFAULT_REST_CREDENTIALS.user ? raw('') : raw('printf \'%s\\n\' "$(part "$n")" | curl -K - >/dev/null || :');
  return sh`if ! systemctl is-active -q -- ${service}; then echo "maxscale: ${service} is not running, its REST API account cannot be set up" >&2; exit 1; fi
input=$(cat)
part() { printf '%s\\n' "$input" | awk -v want="$1" -v sep=${SEPARATOR} '$0 == sep { i++; next } i == want'; }
call() { printf '%s\\n' "$(part "$1")" | curl -K - || :; }
i=0; while [ "$i" -lt 50 ]; do code=$(call 0); [ "$code" != 000 ] && break; sleep 0.2; i=$((i+1)); done
if [ "$code" != 200 ]; then
  done=no; k=0; n=1
  while [ "$k" -lt ${String(fallbacks)} ]; do
    code=$(call "$n"); case $code in 200|204) done=yes; break;; esac
    code=$(call $((n+1))); case $code in 200|204) done=yes; break;; esac
    k=$((k+1)); n=$((n+2))
  done
  [ "$done" = yes ] || { echo "maxscale: no REST API account was accepted to set up the account" ${wantedUser} "(last HTTP status $code)" >&2; exit 1; }
fi
n=${String(1 + 2 * fallbacks)}
${removeDefault}`;
}

/** What the `maxscale.rest_access` fact found. */
export interface RestAccess {
  /** `ok`: maxctrl is accepted with the credentials of the file; `denied`: it is not (or the file is missing); `stopped`: MaxScale is not running; `absent`: no maxctrl. */
  state: 'ok' | 'denied' | 'stopped' | 'absent';
}

/** Parses the output of the `maxscale.rest_access` probe. */
export function parseRestAccess(stdout: string): RestAccess {
  const s = /^access=(ok|denied|stopped|absent)$/m.exec(stdout)?.[1];
  return { state: (s ?? 'denied') as RestAccess['state'] };
}

/**
 * Fact `maxscale.rest_access`: whether the running MaxScale accepts the REST API credentials of a
 * maxctrl defaults file (`maxctrl -c FILE show maxscale`: the credentials stay in the file, never
 * on a command line).
 */
export const restAccess = defineFact<{ unit: string; file: string; endpoint: string }, RestAccess>({
  name: 'maxscale.rest_access',
  description: 'Whether MaxScale accepts the credentials of a maxctrl defaults file.',
  command: ({ unit, file, endpoint }) => sh`if ! systemctl is-active -q -- ${unit}; then echo access=stopped
elif ! command -v maxctrl >/dev/null 2>&1; then echo access=absent
elif [ -f ${file} ] && maxctrl -c ${file} --hosts ${endpoint} show maxscale >/dev/null 2>&1; then echo access=ok
else echo access=denied; fi`,
  parse: (stdout) => parseRestAccess(stdout),
  resources: ({ unit, file }) => [file, `maxscale:rest:${unit}`, `unit:${unit}`, `unit:${unit}.service`, 'package:*'],
});

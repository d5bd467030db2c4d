import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ConvergeError, Type, defineModule, raw, sh, sha256Hex } from '@converge/core';
import type { Change, Command, FileDiff, HostInfo, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import { nftablesTables } from './nftables-facts.js';
import { NftTable, renderRuleset, ruleProblem, withoutElements } from './nftables-ruleset.js';
import type { KeepSsh } from './nftables-ruleset.js';
import { sshSession } from './ssh-session.js';
import type { SshSession } from './ssh-session.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** JSON Schema of the `nftables` params. */
export const NftablesParams = Type.Object(
  {
    tables: Type.Array(NftTable, { description: 'The tables converge owns, each replaced whole. Tables it loaded before and that are no longer listed are deleted; every other table of the host is left alone.' }),
    path: Type.Optional(Type.String({ pattern: '^/[^\\n]*[^/]$', default: '/etc/nftables.conf', description: 'The ruleset file, loaded at boot by Debian\'s nftables.service.' })),
    keep_ssh: Type.Optional(
      Type.Union(
        [
          Type.Boolean(),
          Type.Object(
            {
              port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The sshd port; default the port this run is connected to.' })),
              from: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' }), { description: 'Only these source addresses or prefixes (IPv4 and IPv6); the controller must be among them.' })),
            },
            { additionalProperties: false },
          ),
        ],
        {
          default: true,
          description:
            'Put `tcp dport PORT accept` first in every filter chain on the input hook (and `tcp sport PORT accept` on the output hook), so that no ruleset shuts out SSH; `{ port, from }` sets the port (default: the one this run is connected to) and limits it to source addresses or prefixes, which must hold the controller\'s; false leaves SSH to your rules (the rollback guard still protects the running session).',
        },
      ),
    ),
    rollback_after: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 3600, default: 30, description: 'Seconds after which a timer restores the previous tables unless the run confirmed that its SSH session survived the new ones.' }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `nftables`. */
export type NftablesParams = Static<typeof NftablesParams>;

/** Where converge records what it loaded for a ruleset file. */
export function loadRecordPath(path: string): string {
  return `/var/lib/converge/nftables/${path.replace(/\//g, '_')}.state`;
}

const tableId = (t: NftTable) => `${t.family ?? 'inet'} ${t.name}`;

/** Private plan data for apply. */
export interface NftablesPlan {
  ruleset: string;
  sha256: string;
  writeFile: boolean;
  load: boolean;
  /** Tables converge loaded before that are no longer wanted. */
  dropped: string[];
  session?: SshSession;
}

/** The SSH rules to keep, or undefined; refuses a `from` list that leaves out the controller. */
export function keepSsh(p: NftablesParams, session: SshSession | null, host: HostInfo): KeepSsh | undefined {
  const k = p.keep_ssh ?? true;
  if (k === false) return undefined;
  const o = k === true ? {} : k;
  const port = o.port ?? session?.serverPort ?? (Number(host.vars.ansible_port ?? 22) || 22);
  const from = o.from ?? [];
  const keep: KeepSsh = { port, from4: from.filter((a) => !a.includes(':')), from6: from.filter((a) => a.includes(':')) };
  if (from.length > 0 && session) {
    const list = new BlockList();
    for (const a of from) {
      const [addr, len] = a.split('/') as [string, string | undefined];
      const type = isIPv4(addr) ? 'ipv4' : 'ipv6';
      if (len === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(len), type);
    }
    const client = session.clientAddress;
    if (!list.check(client, isIPv4(client) ? 'ipv4' : 'ipv6')) {
      throw new ConvergeError('CONVERGE_PLAN', `nftables: keep_ssh.from (${from.join(', ')}) leaves out ${client}, the address this run connects from; the ruleset would shut converge out`, {
        hint: `add ${client} (or its network) to keep_ssh.from`,
      });
    }
  }
  return keep;
}

/**
 * The load-and-guard step: check the ruleset (`nft -c -f`), save the current state of the
 * tables it replaces, arm a rollback timer (systemd-run, or a detached sleep), load it with
 * `nft -f` (one atomic transaction), then watch this run's own TCP connection in /proc/net/tcp:
 * data the host sent after the load must be acknowledged by the controller within 5 s. If not,
 * the saved tables are loaded back at once and the step fails; if the step itself dies (the
 * session cut), the timer restores them. Then the timer is stopped and the load recorded.
 */
function loadStep(p: NftablesParams, d: NftablesPlan): Command {
  const wanted = p.tables.map(tableId);
  const tables = [...wanted, ...d.dropped];
  const state = loadRecordPath(p.path ?? '/etc/nftables.conf');
  const after = p.rollback_after ?? 30;
  const s = d.session;
  const guard = s
    ? sh`lp=$(printf '%04X' ${s.serverPort}) rp=$(printf '%04X' ${s.clientPort}) ok= i=0
printf 'converge: ruleset loaded; checking that this SSH session still reaches the controller\\n' >&2
while [ "$i" -lt 25 ]; do
  sleep 0.2
  q=$(awk -v l=":$lp" -v r=":$rp" 'FNR > 1 && substr($2, length($2) - 4) == l && substr($3, length($3) - 4) == r { split($5, q, ":"); print q[1]; exit }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  if [ "$q" = 00000000 ]; then ok=1; break; fi
  i=$((i + 1))
done
if [ -z "$ok" ]; then
  nft -f "$back"; stop_timer
  printf 'converge: under the new ruleset this SSH session stopped reaching the controller (its data stayed unacknowledged for 5 s); the previous tables were restored\\n' >&2
  exit 1
fi`
    : raw(':');
  return {
    description: 'check, guard and load the ruleset',
    stdin: new Uint8Array(Buffer.from(d.ruleset + d.dropped.map((t) => `table ${t}\ndelete table ${t}\n`).join(''), 'utf8')),
    script: sh`new=$(mktemp /run/converge-nft.XXXXXX) && back=$(mktemp /run/converge-nft-back.XXXXXX) || exit 1
trap 'rm -f "$new" "$back"' EXIT
cat > "$new"
if ! out=$(nft -c -f "$new" 2>&1); then printf 'converge: nft -c refused the ruleset; nothing was loaded:\\n%s\\n' "$out" >&2; exit 1; fi
${tables.length > 0 ? sh`for t in ${tables}; do echo "table $t"; echo "delete table $t"; nft list table $t 2>/dev/null; done > "$back"` : raw(': > "$back"')}
cp "$back" "$back.keep"
unit=converge-nft-rollback-$(date +%s%N)
if [ -d /run/systemd/system ] && systemd-run --quiet --unit="$unit" --on-active=${after} --timer-property=AccuracySec=1s "$(command -v nft)" -f "$back.keep" 2>/dev/null; then
  stop_timer() { systemctl stop "$unit.timer" 2>/dev/null; rm -f "$back.keep"; }
else
  setsid sh -c 'sleep "$1"; nft -f "$2"; rm -f "$2"' converge-nft-rollback ${after} "$back.keep" </dev/null >/dev/null 2>&1 & pid=$!
  stop_timer() { kill "$pid" 2>/dev/null; rm -f "$back.keep"; }
fi
if ! out=$(nft -f "$new" 2>&1); then stop_timer; printf 'converge: nft -f failed; nothing was loaded:\\n%s\\n' "$out" >&2; exit 1; fi
${guard}
stop_timer
mkdir -p /var/lib/converge/nftables && tmp=$(mktemp ${`${state}.XXXXXX`}) || exit 1
{ echo ${`rendered ${d.sha256}`}${wanted.length > 0 ? sh`; for t in ${wanted}; do printf 'table %s ' "$t"; nft -s list table $t | base64 -w0; echo; done` : raw('')}; } > "$tmp" && mv -f "$tmp" ${state}`,
  };
}

/**
 * Module `nftables`: the tables converge owns, typed (sets, base and regular chains, rules in nft
 * syntax), rendered into one ruleset file and loaded atomically: `nft -c -f` checks it first, then
 * `nft -f` replaces each table whole in one transaction. Other tables of the host (Docker's,
 * fail2ban's) are never touched, and tables converge loaded before that are no longer listed
 * are deleted.
 *
 * Never shutting out converge, in two layers. `keep_ssh` (default on) puts an accept for the
 * sshd port first in every filter chain on the input hook (and the output hook), whatever the
 * rules and policies say; a `from` list that leaves out the controller's address is refused
 * before anything is loaded. Then the load itself is guarded like a dead-man switch: the
 * previous tables are saved, a rollback timer is armed (`rollback_after` seconds), and after the
 * load the step checks in /proc/net/tcp that the controller still acknowledges what the host
 * sends on this very SSH connection. If it does not within 5 s, the previous tables come back at
 * once and the task fails; if the session dies, the timer brings them back. Only then is the file
 * written (validated with `nft -c -f`), so a reboot never loads a ruleset that failed.
 *
 * Idempotent without reimplementing nft's formatting: after each load converge records, in
 * /var/lib/converge/nftables/, the rendered ruleset's sha256 and the stateless listing nft
 * printed (`nft -s list table`). A later run compares the live listing with that record: a rule
 * added or removed by hand shows as drift (with a diff) and is reloaded. Sets marked `dynamic`
 * are compared without their elements.
 *
 * Enable Debian's `nftables.service` (systemd.service) so that the file is loaded at boot.
 *
 * @example
 * nftables({ tables: [{ name: 'filter', chains: [{ name: 'input', hook: 'input', policy: 'drop', rules: ['ct state established,related accept', 'iif lo accept', 'tcp dport { 80, 443 } accept'] }] }] })
 */
export const nftables = defineModule({
  name: 'nftables',
  description: 'nftables tables, typed, loaded atomically without shutting out the SSH session.',
  params: NftablesParams,
  validate: (p) => {
    const seen = new Set<string>();
    for (const [i, t] of p.tables.entries()) {
      if (seen.has(tableId(t))) return `tables[${i}]: table ${tableId(t)} is listed twice`;
      seen.add(tableId(t));
      const chains = new Set<string>();
      for (const [j, c] of t.chains.entries()) {
        if (chains.has(c.name)) return `tables[${i}].chains[${j}]: chain ${c.name} is listed twice`;
        chains.add(c.name);
        if (!c.hook && (c.type !== undefined || c.priority !== undefined || c.policy !== undefined)) return `tables[${i}].chains[${j}]: type, priority and policy need a hook (a base chain)`;
        if ((c.hook === 'ingress' || c.hook === 'egress') && c.device === undefined && t.family === 'netdev') return `tables[${i}].chains[${j}]: a netdev ${c.hook} chain needs a device`;
        for (const [k, r] of (c.rules ?? []).entries()) {
          const problem = ruleProblem(r);
          if (problem) return `tables[${i}].chains[${j}].rules[${k}] ${problem}: ${JSON.stringify(r)}`;
        }
      }
    }
    const k = p.keep_ssh;
    if (typeof k === 'object') {
      for (const a of k.from ?? []) {
        const [addr, len] = a.split('/') as [string, string | undefined];
        if (!isIPv4(addr) && !isIPv6(addr)) return `keep_ssh.from: ${a} is not an address or prefix`;
        if (len !== undefined && Number(len) > (isIPv4(addr) ? 32 : 128)) return `keep_ssh.from: ${a} has a prefix length beyond its family`;
      }
    }
    return undefined;
  },
  facts: (p) => {
    const path = p.path ?? '/etc/nftables.conf';
    return {
      // The whole file: the wanted text depends on the SSH port, known only from the probe.
      file: fileState({ path, content: true }),
      nft: nftablesTables({ tables: p.tables.map(tableId), state: loadRecordPath(path) }),
      session: sshSession({}),
    };
  },
  plan: ({ params: p, facts, host, upstreamChanged }) => {
    const path = p.path ?? '/etc/nftables.conf';
    const nft = facts.nft;
    const file = facts.file;
    const session = facts.session;
    if (nft.nft === 'denied') throw new ConvergeError('CONVERGE_PLAN', 'nftables: nft cannot read the ruleset here', { hint: 'run the task as root (become: true); a container needs CAP_NET_ADMIN' });
    requirePrerequisite(nft.nft !== 'missing', upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'nftables: nft is not installed on this host', { hint: "install it first: apt({ name: 'nftables' })" }));
    const ruleset = renderRuleset(p.tables, keepSsh(p, session, host));
    const sha = sha256Hex(new Uint8Array(Buffer.from(ruleset, 'utf8')));
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const writeFile = file.target?.sha256 !== sha;
    if (writeFile) {
      if (file.type === 'absent' && !file.parentExists) throw new ConvergeError('CONVERGE_PLAN', `nftables: the directory of ${path} does not exist`);
      changes.push({ path: 'ruleset', before: file.target?.sha256 ? `sha256:${file.target.sha256}` : null, after: `sha256:${sha}` });
      diffs.push(fileDiff(path, file.target ? (file.target.content ?? '') : null, ruleset));
    }
    const wanted = p.tables.map(tableId);
    const dropped = Object.keys(nft.recorded?.listings ?? {}).filter((t) => !wanted.includes(t) && nft.live.includes(t));
    const reasons: string[] = [];
    if (nft.recorded?.rendered !== sha) reasons.push(nft.recorded ? 'a new definition' : 'never loaded by converge');
    for (const t of p.tables) {
      const id = tableId(t);
      if (!nft.live.includes(id)) {
        if (!reasons.includes('never loaded by converge')) reasons.push(`table ${id} is missing`);
        continue;
      }
      const dynamic = (t.sets ?? []).filter((x) => x.dynamic).map((x) => x.name);
      const was = nft.recorded?.listings[id];
      const now = nft.listings[id] ?? '';
      if (was !== undefined && nft.recorded?.rendered === sha && withoutElements(was, dynamic) !== withoutElements(now, dynamic)) {
        reasons.push(`table ${id} was changed by hand`);
        diffs.push(fileDiff(`nft list table ${id} (live)`, was, now));
      }
    }
    if (dropped.length > 0) reasons.push(`no longer wanted: ${dropped.join(', ')}`);
    const load = reasons.length > 0;
    if (load) changes.push({ path: 'live', before: reasons.join('; '), after: wanted.length > 0 ? `loaded: ${wanted.join(', ')}` : 'no tables' });
    if (changes.length === 0) return { changes, reason: `${path} and the live tables ${wanted.join(', ') || '(none)'} are as wanted` };
    const data: NftablesPlan = { ruleset, sha256: sha, writeFile, load, dropped, ...(session ? { session } : {}) };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const path = p.path ?? '/etc/nftables.conf';
    const steps: Command[] = [];
    if (d.load) steps.push(loadStep(p, d));
    if (d.writeFile) steps.push(...writeFileSteps({ path, followLinks: true, content: new Uint8Array(Buffer.from(d.ruleset, 'utf8')), validate: 'nft -c -f %s' }));
    return steps;
  },
  resources: (p) => ['nftables', p.path ?? '/etc/nftables.conf', loadRecordPath(p.path ?? '/etc/nftables.conf')],
});

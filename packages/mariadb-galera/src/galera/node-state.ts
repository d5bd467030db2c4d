import { ConvergeError, defineFact, raw, sh } from '@converge/core';

/** Status variables of a running node (MariaDB docs, "Galera Cluster Status Variables"). */
export interface WsrepStatus {
  /** `@@wsrep_on`: the server runs with replication. */
  on: boolean;
  /** `wsrep_cluster_size`: nodes in this node's component. */
  clusterSize: number;
  /** `wsrep_cluster_status`: `Primary`, `Non-primary` or `Disconnected`. */
  clusterStatus: string;
  /** `wsrep_ready`: the node accepts queries. */
  ready: boolean;
  /** `wsrep_connected`. */
  connected: boolean;
  /** `wsrep_local_state_comment`: `Joining`, `Donor/Desynced`, `Joined`, `Synced`, … */
  localState: string;
  /** `wsrep_cluster_state_uuid`. */
  clusterUuid: string;
  /** `wsrep_last_committed`: seqno of the last committed write set. */
  lastCommitted: number;
}

/** `/var/lib/mysql/grastate.dat`: the saved state of a node (MariaDB docs, "Galera Cluster Recovery"). */
export interface Grastate {
  uuid: string;
  /** -1 while the node runs or after a crash. */
  seqno: number;
  safeToBootstrap: boolean;
}

/** Everything the bootstrap and join decisions need to know about one node. */
export interface NodeState {
  /** `/usr/sbin/mariadbd` exists. */
  installed: boolean;
  /** `systemctl is-active mariadb`: `active`, `inactive`, `failed`, `activating`, … */
  active: string;
  grastate?: Grastate;
  /** Seqno found by `galera_recovery` (`mariadbd --wsrep-recover`) when the node is stopped and grastate.dat says -1. */
  recovered?: { uuid: string; seqno: number };
  /** Why recovery gave no position. */
  recoverError?: string;
  wsrep?: WsrepStatus;
  /** When the server's main process started (Unix seconds, microsecond precision). */
  startedAt?: number;
  /** Latest modification time of the watched configuration files (Unix seconds). */
  configChangedAt?: number;
}

/** The all-zero cluster UUID of a node that has never been in a cluster. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Default TCP port of the state endpoint (`galera.state_endpoint`), the port clustercheck scripts use. */
export const DEFAULT_STATE_PORT = 9200;

/**
 * The probe of a node's state, as a POSIX shell script run as root: the same text is the local
 * fact and, installed as `/usr/local/sbin/galera-state`, what the state endpoint serves to the
 * other nodes. Prints `key=value` lines; reads grastate.dat, systemd, and (when the server runs)
 * `SHOW GLOBAL STATUS` over the local socket. When the server is stopped and grastate.dat has
 * seqno -1 (a crash, or a node that was running when the cluster lost power), it runs MariaDB's
 * `galera_recovery` (which runs `mariadbd --wsrep-recover`) for the last committed position.
 */
export const STATE_SCRIPT = `#!/bin/sh
# Galera node state as key=value lines (converge mariadb-galera).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ -x /usr/sbin/mariadbd ]; then echo installed=yes; else echo installed=no; fi
active=$(systemctl is-active mariadb.service 2>/dev/null)
echo "active=\${active:-unknown}"
g=/var/lib/mysql/grastate.dat
if [ -r "$g" ]; then sed -n 's/^\\(uuid\\|seqno\\|safe_to_bootstrap\\):[[:space:]]*/grastate_\\1=/p' "$g"; fi
if [ "$active" = active ]; then
  t=$(systemctl show --timestamp=us+utc -p ExecMainStartTimestamp --value mariadb.service 2>/dev/null)
  [ -n "$t" ] && echo "started=$(date -u -d "$t" +%s.%6N)"
  mariadb --batch --skip-column-names --raw -e "SELECT CONCAT('wsrep_on=', @@wsrep_on); SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_cluster_status','wsrep_ready','wsrep_connected','wsrep_local_state_comment','wsrep_cluster_state_uuid','wsrep_last_committed')" 2>/dev/null | tr '\\t' '='
elif [ "$active" != activating ] && [ -r "$g" ] && grep -q '^seqno:[[:space:]]*-1' "$g" && [ -x /usr/bin/galera_recovery ]; then
  if out=$(flock -w 120 /run/galera-state.lock galera_recovery 2>&1); then
    echo "recovered=$(printf '%s\\n' "$out" | sed -n 's/.*--wsrep[-_]start[-_]position=\\([^ ]*\\).*/\\1/p' | tail -n 1)"
  else
    echo "recover_error=$(printf '%s' "$out" | tr '\\n' ' ' | cut -c1-300)"
  fi
fi
`;

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Parses the state script's output.
 *
 * @throws ConvergeError `CONVERGE_FACT` when the output is not the script's (no `installed=` line).
 */
export function parseNodeState(stdout: string): NodeState {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  if (!kv.has('installed')) throw new ConvergeError('CONVERGE_FACT', `not a Galera node state: ${JSON.stringify(stdout.slice(0, 200))}`);
  const state: NodeState = { installed: kv.get('installed') === 'yes', active: kv.get('active') ?? 'unknown' };
  if (kv.has('grastate_uuid') || kv.has('grastate_seqno')) {
    state.grastate = { uuid: kv.get('grastate_uuid') ?? ZERO_UUID, seqno: num(kv.get('grastate_seqno')) ?? -1, safeToBootstrap: kv.get('grastate_safe_to_bootstrap') === '1' };
  }
  const rec = kv.get('recovered');
  if (rec !== undefined) {
    const m = /^([0-9a-f-]{36}):(-?\d+)$/.exec(rec);
    if (m) state.recovered = { uuid: m[1] as string, seqno: Number(m[2]) };
    else state.recoverError = `galera_recovery printed no position (${rec || 'nothing'})`;
  }
  if (kv.has('recover_error')) state.recoverError = kv.get('recover_error') as string;
  if (kv.has('wsrep_cluster_status') || kv.has('wsrep_on')) {
    state.wsrep = {
      on: kv.get('wsrep_on') === '1' || kv.get('wsrep_on') === 'ON',
      clusterSize: num(kv.get('wsrep_cluster_size')) ?? 0,
      clusterStatus: kv.get('wsrep_cluster_status') ?? 'Disconnected',
      ready: kv.get('wsrep_ready') === 'ON',
      connected: kv.get('wsrep_connected') === 'ON',
      localState: kv.get('wsrep_local_state_comment') ?? '',
      clusterUuid: kv.get('wsrep_cluster_state_uuid') ?? '',
      lastCommitted: num(kv.get('wsrep_last_committed')) ?? -1,
    };
  }
  const started = num(kv.get('started'));
  if (started !== undefined) state.startedAt = started;
  const config = num(kv.get('config_changed'));
  if (config !== undefined) state.configChangedAt = config;
  return state;
}

/** Resource key of the local server (what starting, stopping or bootstrapping changes). */
export const SERVER_RESOURCE = 'mariadb:server';

/**
 * Fact `galera.node`: this node's Galera state ({@link NodeState}) from {@link STATE_SCRIPT},
 * plus the latest modification time of the given configuration files (`config_changed`).
 */
export const galeraNode = defineFact({
  name: 'galera.node',
  description: "This node's Galera state.",
  command: ({ config }: { config: string[] }) =>
    sh`${raw(STATE_SCRIPT)}
latest=$(stat -c %.6Y -- ${config} 2>/dev/null | sort -n | tail -n 1)
[ -n "$latest" ] && echo "config_changed=$latest"
exit 0`,
  parse: (stdout) => parseNodeState(stdout),
  resources: ({ config }) => [...config, SERVER_RESOURCE, '/var/lib/mysql/grastate.dat', 'unit:mariadb.service', 'package:mariadb-server'],
});

/** A cluster node as the decisions see it: inventory name and the address other nodes reach it at. */
export interface ClusterNode {
  name: string;
  address: string;
}

/** Another node's state as read through its state endpoint, or why it could not be read. */
export type PeerState = { name: string; state: NodeState } | { name: string; error: string };

/** Parses the `galera.peers` probe: one `@@peer NAME` line, then the endpoint's answer (HTTP headers dropped) or `@@error …`. */
export function parsePeers(stdout: string): PeerState[] {
  const out: PeerState[] = [];
  const chunks = stdout.split(/^@@peer /m).slice(1);
  for (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    const name = (nl < 0 ? chunk : chunk.slice(0, nl)).trim();
    const body = nl < 0 ? '' : chunk.slice(nl + 1);
    const err = /^@@error (.*)$/m.exec(body);
    if (err) {
      out.push({ name, error: (err[1] as string).trim() || 'no answer' });
      continue;
    }
    const text = body.replace(/\r/g, '');
    const payload = text.includes('\n\n') ? text.slice(text.indexOf('\n\n') + 2) : text;
    try {
      out.push({ name, state: parseNodeState(payload) });
    } catch (e) {
      out.push({ name, error: (e as Error).message });
    }
  }
  return out;
}

/**
 * Fact `galera.peers`: the state of the other cluster nodes, read from their state endpoints
 * (`galera.state_endpoint`) over TCP with bash's `/dev/tcp`, 150 seconds at most per node (a
 * stopped node may run `galera_recovery` before it answers). An unreachable node is an error
 * entry, never a guess.
 */
export const galeraPeers = defineFact({
  name: 'galera.peers',
  description: "The other nodes' Galera state, read through their state endpoints.",
  command: ({ peers, port }: { peers: ClusterNode[]; port: number }) =>
    sh`for peer in ${peers.map((p) => `${p.name}=${p.address}`)}; do
  name=\${peer%%=*}; addr=\${peer#*=}
  echo "@@peer $name"
  if ! out=$(timeout 150 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3' galera-peer "$addr" ${String(port)} 2>&1); then
    printf '@@error %s:%s: %s\\n' "$addr" ${String(port)} "$(printf '%s' "$out" | tr '\\n' ' ' | cut -c1-200)"
  else
    printf '%s\\n' "$out"
  fi
done
exit 0`,
  parse: (stdout) => parsePeers(stdout),
  resources: () => ['galera:peers'],
});

import { ConvergeError, SecretValue, Type, defineModule, raw, secret, sh } from '@converge/core';
import { nativePasswordHash } from '../sql/auth.js';
import { accountName, mariadbClient, sqlString } from '../sql/quote.js';
import type { Command, HostInfo, Plan, RawShell, Static } from '@converge/core';
import { decideCluster, isPrimary, isSynced, type ClusterDecision } from './decision.js';
import { DEFAULT_STATE_PORT, SERVER_RESOURCE, galeraNode, galeraPeers, type ClusterNode, type NodeState, type PeerState } from './node-state.js';
import { predictingEarlierChanges } from '@converge/modules';

/** The configuration file `galera.config` writes, watched by default for changes that need a restart. */
export const GALERA_CONFIG_PATH = '/etc/mysql/mariadb.conf.d/60-galera.cnf';

/** Params shared by `galera.bootstrap`, `galera.member` and `galera.restart`. */
export const ClusterParams = {
  node: Type.String({ minLength: 1, description: 'This node: its name in `nodes` (usually `inventory_hostname`).' }),
  nodes: Type.Array(
    Type.Object(
      {
        name: Type.String({ minLength: 1, description: 'Node name (inventory host name).' }),
        address: Type.String({ minLength: 1, description: 'Address the other nodes reach it at (state endpoint, replication).' }),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, description: 'Every node of the cluster, in bootstrap order: on a new cluster the first one bootstraps.' },
  ),
  state_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: DEFAULT_STATE_PORT, description: 'TCP port of the nodes\' state endpoints (`galera.state_endpoint`).' })),
  cluster_size: Type.Optional(Type.Integer({ minimum: 1, description: 'Nodes the cluster must have before a node may be restarted; default: the length of `nodes`.' })),
  config: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { default: [GALERA_CONFIG_PATH], description: 'Configuration files: when one changed after the server started, `galera.member` restarts the node (rolling).' })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, default: 900, description: 'Seconds to wait for the node to be Synced after a start, join or restart.' })),
  sst_user: Type.Optional(Type.String({ minLength: 1, default: 'mariabackup', description: 'The mariabackup SST account (`wsrep_sst_auth`) that a bootstrap creates on the new primary component, before any node joins.' })),
  sst_password: Type.Optional(SecretValue()),
};
(ClusterParams.sst_password as { description?: string }).description = "The SST account's password (a Secret), as in `galera.config`; with it, a bootstrap creates the account `sst_user@localhost` with the privileges mariabackup needs.";

const ClusterParamsSchema = Type.Object(ClusterParams, { additionalProperties: false });
/** Params of `galera.bootstrap`, `galera.member` and `galera.restart`. */
export type ClusterParams = Static<typeof ClusterParamsSchema>;

interface ClusterPlan {
  action: 'bootstrap' | 'join' | 'restart';
  setSafeToBootstrap?: boolean;
  /** The cluster size to wait for. */
  size: number;
}

function validateCluster(p: ClusterParams): string | undefined {
  const names = p.nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) return 'nodes: names must be unique';
  if (!names.includes(p.node)) return `node ${JSON.stringify(p.node)} is not one of nodes (${names.join(', ')})`;
  if (p.cluster_size !== undefined && p.cluster_size > p.nodes.length) return `cluster_size ${p.cluster_size} is larger than the ${p.nodes.length} nodes`;
  return undefined;
}

function clusterFacts(p: ClusterParams) {
  return {
    self: galeraNode({ config: p.config ?? [GALERA_CONFIG_PATH] }),
    peers: galeraPeers({ peers: p.nodes.filter((n) => n.name !== p.node), port: p.state_port ?? DEFAULT_STATE_PORT }),
  };
}

/** The decision from this node's and its peers' states (in check mode before install: unreachable peers count as fresh). */
function decide(p: ClusterParams, self: NodeState, peers: PeerState[], host: HostInfo, upstreamChanged: boolean): ClusterDecision {
  const predicting = predictingEarlierChanges({ host, upstreamChanged }) && !self.installed;
  return decideCluster(p.nodes, [{ name: p.node, state: self }, ...peers], predicting ? { assumeFreshWhenUnreachable: true } : {});
}

function describeNode(s: NodeState): string {
  if (!s.installed) return 'not installed';
  if (s.active !== 'active') return `server ${s.active}`;
  if (!s.wsrep?.on) return 'running without replication (wsrep off)';
  return `${s.wsrep.clusterStatus}, ${s.wsrep.localState}, cluster size ${s.wsrep.clusterSize}`;
}

/**
 * Shell loop that waits until the local node is Synced in a Primary component of at least `size`
 * nodes (`wsrep_local_state_comment`, `wsrep_cluster_status`, `wsrep_cluster_size`) AND the
 * server's start-up job has ended, or fails after `timeout` seconds with the last values seen.
 *
 * The start-up job: Debian's mariadb.service runs `/etc/mysql/debian-start` after every start
 * (`ExecStartPost`), which runs `mariadb-upgrade` in the background. A node that joined by SST has
 * no upgrade info file (mariabackup does not copy it), so the upgrade runs in full: `ALTER TABLE`s
 * on the `mysql` schema with `WSREP_ON=OFF`, not replicated. While it runs, a replicated write set
 * on those tables (a `CREATE USER`, a `GRANT`) deadlocks the node's applier against it: the
 * node still says Synced, Primary and the full cluster size, but applies nothing more, so a
 * table created on another node never appears there. Until the job ends the node is not a member
 * the next step may rely on. Sources: MariaDB's debian/additions/debian-start and
 * client/mysql_upgrade.c (`SET SQL_LOG_BIN=0, WSREP_ON=OFF`), "Galera Cluster Status Variables".
 */
export function waitSyncedScript(size: number, timeout: number): RawShell {
  const sql =
    "SELECT MAX(IF(VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT', VARIABLE_VALUE, NULL)), MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_SIZE', VARIABLE_VALUE, NULL)), " +
    "MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_STATUS', VARIABLE_VALUE, NULL)) FROM information_schema.GLOBAL_STATUS";
  // [/] keeps the pattern from matching this script's own command line.
  return sh`deadline=$(( $(date +%s) + ${String(timeout)} ))
while :; do
  set -- $(mariadb --batch --skip-column-names --raw -e ${sql} 2>/dev/null)
  startup=
  if pgrep -f '^[^ ]*sh [/]etc/mysql/debian-start' >/dev/null 2>&1; then startup=running; fi
  if [ "$1" = Synced ] && [ "$3" = Primary ] && [ "\${2:-0}" -ge ${String(size)} ] && [ -z "$startup" ]; then echo "Synced in a primary component of $2 nodes"; exit 0; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "not Synced after ${String(timeout)}s: wsrep_local_state_comment=\${1:-none} wsrep_cluster_size=\${2:-none} wsrep_cluster_status=\${3:-none}" >&2
    if [ -n "$startup" ]; then
      echo "the server's start-up job (/etc/mysql/debian-start: mariadb-upgrade) is still running; its statements and the replication applier may be waiting for each other:" >&2
      mariadb --batch --skip-column-names -e 'SELECT ID, USER, COMMAND, TIME, STATE, LEFT(INFO, 120) FROM information_schema.PROCESSLIST' >&2 2>/dev/null
    fi
    exit 1
  fi
  sleep 1
done`;
}

/** Re-reads the peers just before a bootstrap and stops if one is in a primary component by now. */
function noPrimaryGuard(peers: ClusterNode[], port: number): RawShell {
  if (peers.length === 0) return raw(':');
  return sh`for addr in ${peers.map((p) => p.address)}; do
  out=$(timeout 30 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3' galera-peer "$addr" ${String(port)} 2>/dev/null)
  case $out in *wsrep_cluster_status=Primary*) echo "refusing to bootstrap: $addr is in a primary component now" >&2; exit 1;; esac
done`;
}

/**
 * SQL that makes the mariabackup SST account: `RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR` on
 * `*.*` (MariaDB docs, "mariabackup SST Method", "Authentication and Privileges"); only the
 * password hash is sent.
 */
export function sstAccountSql(user: string, password: string): string {
  const account = accountName(user, 'localhost');
  const hash = sqlString(nativePasswordHash(password));
  return `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY PASSWORD ${hash};\nALTER USER ${account} IDENTIFIED BY PASSWORD ${hash};\nGRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO ${account};\n`;
}

function bootstrapSteps(p: ClusterParams, setSafe: boolean): Command[] {
  const steps: Command[] = [
    { script: noPrimaryGuard(p.nodes.filter((n) => n.name !== p.node), p.state_port ?? DEFAULT_STATE_PORT), description: 'check that no node is in a primary component' },
  ];
  if (setSafe) {
    steps.push({ script: raw("sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' /var/lib/mysql/grastate.dat"), description: 'set safe_to_bootstrap: 1 in grastate.dat' });
  }
  steps.push({ script: raw('galera_new_cluster'), description: 'galera_new_cluster' });
  steps.push({ script: waitSyncedScript(1, p.timeout ?? 900), description: 'wait until Synced' });
  if (p.sst_password !== undefined) steps.push({ script: mariadbClient(), stdin: secret(sstAccountSql(p.sst_user ?? 'mariabackup', p.sst_password.reveal())), description: 'create the SST account' });
  return steps;
}

/**
 * Module `galera.bootstrap`: when no node of the cluster is in a primary component, the one node
 * chosen by {@link decideCluster} starts a new one with `galera_new_cluster`; on every other node,
 * and whenever a primary component exists, it changes nothing.
 *
 * Run it on all nodes of the cluster at once, after the state endpoints are up and before the
 * nodes join (`galera.member`, one node at a time). Each node reads every node's state — its own
 * with the `galera.node` fact, the others through their state endpoints (`galera.peers`) — and
 * applies the same rules, so exactly one node bootstraps: on a new cluster the first of `nodes`;
 * after a full stop the one with `safe_to_bootstrap: 1`, else the highest seqno (grastate.dat,
 * else `mariadbd --wsrep-recover` through `galera_recovery`), after setting its `safe_to_bootstrap`.
 * When that cannot be known (a node unreadable, a seqno unknown, a node running in a non-primary
 * component), every node fails with the reason and nothing is started. Just before
 * `galera_new_cluster` the peers are read again, and the bootstrap stops if one became Primary.
 *
 * Source: MariaDB docs, "Getting Started with MariaDB Galera Cluster" (bootstrapping a new
 * cluster, `galera_new_cluster`), "Galera Cluster Recovery" (grastate.dat, safe_to_bootstrap,
 * `--wsrep-recover`), "Galera Cluster Status Variables".
 *
 * @example galeraBootstrap(({ vars }) => ({ node: String(vars.inventory_hostname), nodes }))
 */
export const galeraBootstrap = defineModule({
  name: 'galera.bootstrap',
  description: 'Bootstrap a Galera cluster on the one right node when no primary component exists.',
  params: ClusterParamsSchema,
  validate: validateCluster,
  facts: clusterFacts,
  plan: ({ params: p, facts, host, upstreamChanged }): Plan<ClusterPlan> => {
    const d = decide(p, facts.self, facts.peers, host, upstreamChanged);
    if (d.kind === 'primary') return { changes: [], reason: `a primary component exists (${d.via}: cluster size ${d.size})` };
    if (d.kind === 'refuse') throw new ConvergeError('CONVERGE_PLAN', `galera.bootstrap on ${p.node}: refusing to bootstrap: ${d.reason}`);
    if (d.node !== p.node) return { changes: [], reason: `${d.node} bootstraps the cluster: ${d.reason}` };
    return {
      changes: [{ path: 'cluster', before: describeNode(facts.self), after: `bootstrapped a new primary component (${d.reason})` }],
      data: { action: 'bootstrap', setSafeToBootstrap: d.setSafeToBootstrap, size: 1 } satisfies ClusterPlan,
    };
  },
  apply: ({ params: p, plan }) => bootstrapSteps(p, plan.data.setSafeToBootstrap ?? false),
  resources: () => [SERVER_RESOURCE, '/var/lib/mysql/grastate.dat', 'unit:mariadb.service'],
});

function joinSteps(p: ClusterParams, self: NodeState, size: number): Command[] {
  return [
    { script: raw(self.active === 'active' ? 'systemctl restart mariadb.service' : 'systemctl start mariadb.service'), description: self.active === 'active' ? 'restart mariadb to join' : 'start mariadb' },
    { script: waitSyncedScript(size, p.timeout ?? 900), description: `wait until Synced with ${size} nodes` },
  ];
}

/**
 * Module `galera.member`: this node is Synced in the cluster's primary component, running with
 * its current configuration. Run it one node at a time (one play per node, or `serial: 1`).
 *
 * - Not running, or running outside the cluster (say, the standalone server Debian's package
 *   starts): when a node is in a primary component it joins (start, or restart) and the task
 *   waits until it is Synced and the cluster has grown by one; when none is, the node chosen by
 *   the bootstrap rules (see `galera.bootstrap`) bootstraps, and any other node fails saying
 *   which node must bootstrap first.
 * - Synced, but a file of `config` changed after the server started: a rolling restart — only
 *   when the cluster has `cluster_size` nodes (so that taking this one out keeps quorum); the
 *   node leaves, restarts, rejoins (IST) and the task waits until it is Synced with
 *   `cluster_size` nodes again before the next node's turn.
 *
 * Source: MariaDB docs, "Getting Started with MariaDB Galera Cluster", "Galera Cluster Status
 * Variables", "Rolling restarts" in "Upgrading Galera Cluster".
 */
export const galeraMember = defineModule({
  name: 'galera.member',
  description: 'Join this node to its Galera cluster, or restart it when its configuration changed.',
  params: ClusterParamsSchema,
  validate: validateCluster,
  facts: clusterFacts,
  plan: ({ params: p, facts, host, upstreamChanged }): Plan<ClusterPlan> => {
    const self = facts.self;
    const expected = p.cluster_size ?? p.nodes.length;
    if (isPrimary(self)) {
      const restartDue = self.configChangedAt !== undefined && self.startedAt !== undefined && self.configChangedAt > self.startedAt;
      const predicted = predictingEarlierChanges({ host, upstreamChanged });
      if (!restartDue && !predicted) return { changes: [], reason: `${describeNode(self)}; configuration older than the server` };
      if (!isSynced(self, expected)) {
        throw new ConvergeError('CONVERGE_PLAN', `galera.member on ${p.node}: the configuration changed, but restarting now could cost quorum: ${describeNode(self)}, ${expected} nodes expected`, {
          hint: 'bring the missing nodes back first; the next run restarts this node',
        });
      }
      return {
        changes: [{ path: 'server', before: restartDue ? 'started before its configuration changed' : 'configuration changed earlier in this run', after: `restarted, Synced with ${expected} nodes` }],
        data: { action: 'restart', size: expected } satisfies ClusterPlan,
      };
    }
    const d = decide(p, self, facts.peers, host, upstreamChanged);
    if (d.kind === 'refuse') throw new ConvergeError('CONVERGE_PLAN', `galera.member on ${p.node}: cannot join: ${d.reason}`);
    if (d.kind === 'primary') {
      const size = Math.min(d.size + 1, p.nodes.length);
      return {
        changes: [{ path: 'cluster', before: describeNode(self), after: `joined through ${d.via}, Synced with ${size} nodes` }],
        data: { action: 'join', size } satisfies ClusterPlan,
      };
    }
    if (d.node === p.node) {
      if (predictingEarlierChanges({ host, upstreamChanged })) return { changes: [], reason: 'bootstrapped by galera.bootstrap earlier in this run' };
      return {
        changes: [{ path: 'cluster', before: describeNode(self), after: `bootstrapped a new primary component (${d.reason})` }],
        data: { action: 'bootstrap', setSafeToBootstrap: d.setSafeToBootstrap, size: 1 } satisfies ClusterPlan,
      };
    }
    if (host.check) {
      // galera.bootstrap runs on every node before the joins: in a real run, d.node is Primary by now.
      return { changes: [{ path: 'cluster', before: describeNode(self), after: `joined the cluster that ${d.node} bootstraps` }], data: { action: 'join', size: 2 } satisfies ClusterPlan };
    }
    throw new ConvergeError('CONVERGE_PLAN', `galera.member on ${p.node}: no node is in a primary component; ${d.node} must bootstrap first (${d.reason})`, {
      hint: 'run galera.bootstrap on all nodes before galera.member (the database-cluster role does)',
    });
  },
  apply: ({ params: p, plan, facts }) => {
    const data = plan.data;
    if (data.action === 'bootstrap') return bootstrapSteps(p, data.setSafeToBootstrap ?? false);
    if (data.action === 'restart') {
      return [
        { script: raw('systemctl restart mariadb.service'), description: 'restart mariadb' },
        { script: waitSyncedScript(data.size, p.timeout ?? 900), description: `wait until Synced with ${data.size} nodes` },
      ];
    }
    return joinSteps(p, facts.self, data.size);
  },
  resources: () => [SERVER_RESOURCE, '/var/lib/mysql/grastate.dat', 'unit:mariadb.service'],
});

/**
 * Module `galera.restart`: a rolling restart of this node — an action, always done. Refused
 * unless the node is Synced in a primary component of `cluster_size` nodes; then the server
 * restarts and the task waits until it is Synced with `cluster_size` nodes again. Run it one
 * node at a time, as a handler of a configuration change or for an upgrade.
 *
 * Source: MariaDB docs, "Upgrading Galera Cluster" (rolling restarts one node at a time).
 */
export const galeraRestart = defineModule({
  name: 'galera.restart',
  description: 'Restart one Galera node safely (rolling).',
  params: ClusterParamsSchema,
  validate: validateCluster,
  facts: (p) => ({ self: galeraNode({ config: p.config ?? [GALERA_CONFIG_PATH] }) }),
  plan: ({ params: p, facts, host, upstreamChanged }): Plan<ClusterPlan> => {
    const expected = p.cluster_size ?? p.nodes.length;
    if (!isSynced(facts.self, expected) && !predictingEarlierChanges({ host, upstreamChanged })) {
      throw new ConvergeError('CONVERGE_PLAN', `galera.restart on ${p.node}: refusing a rolling restart: ${describeNode(facts.self)}, ${expected} Synced nodes expected`);
    }
    return { changes: [{ path: 'server', before: describeNode(facts.self), after: `restarted, Synced with ${expected} nodes` }], data: { action: 'restart', size: expected } satisfies ClusterPlan };
  },
  apply: ({ params: p, plan }) => [
    { script: raw('systemctl restart mariadb.service'), description: 'restart mariadb' },
    { script: waitSyncedScript(plan.data.size, p.timeout ?? 900), description: 'wait until Synced' },
  ],
  resources: () => [SERVER_RESOURCE, '/var/lib/mysql/grastate.dat', 'unit:mariadb.service'],
  verify: false,
});

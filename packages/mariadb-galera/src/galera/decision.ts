import { ZERO_UUID, type ClusterNode, type NodeState, type PeerState } from './node-state.js';

/** What the cluster needs, decided from the state of every node. */
export type ClusterDecision =
  /** A node runs in a primary component: nobody bootstraps; the others join it. */
  | { kind: 'primary'; via: string; size: number }
  /** No primary component anywhere: exactly this node bootstraps a new one. */
  | { kind: 'bootstrap'; node: string; reason: string; setSafeToBootstrap: boolean }
  /** No safe choice: the report says why and what to do. */
  | { kind: 'refuse'; reason: string };

/** True for a node that has never been in a cluster: no grastate.dat, or the zero UUID. */
export function isFresh(s: NodeState): boolean {
  return !s.grastate || s.grastate.uuid === ZERO_UUID || s.grastate.uuid === '';
}

/** True for a running node that is a member of a primary component. */
export function isPrimary(s: NodeState): boolean {
  return s.active === 'active' && s.wsrep?.on === true && s.wsrep.clusterStatus === 'Primary';
}

/** True for a running node that is Synced in a primary component with `size` nodes or more. */
export function isSynced(s: NodeState, size = 1): boolean {
  return isPrimary(s) && s.wsrep?.localState === 'Synced' && (s.wsrep?.clusterSize ?? 0) >= size;
}

/** The position (seqno) a node can vouch for: grastate.dat's, else what `--wsrep-recover` found. */
export function knownSeqno(s: NodeState): number | undefined {
  if (s.grastate && s.grastate.seqno >= 0) return s.grastate.seqno;
  if (s.recovered) return s.recovered.seqno;
  return undefined;
}

/**
 * Decides, from the state of every node of the cluster, whether a primary component exists and,
 * when none does, which single node must bootstrap one. Pure: every node that runs it with the
 * same states reaches the same answer, so at most one node ever bootstraps.
 *
 * The rules follow MariaDB's "Getting Started with MariaDB Galera Cluster" and "Galera Cluster
 * Recovery" pages:
 * 1. a node in a Primary component means the cluster is up: nobody bootstraps;
 * 2. a node that cannot be read, or runs in a non-primary component, makes any bootstrap unsafe
 *    (it may hold newer writes, or a primary component may exist out of sight): refuse;
 * 3. when no node has ever been in a cluster, the first node of `nodes` bootstraps;
 * 4. otherwise, the node with `safe_to_bootstrap: 1` (the last to leave after a clean stop);
 * 5. otherwise, the node with the highest seqno, from grastate.dat or `--wsrep-recover`
 *    (ties: the first in `nodes` order), after setting its `safe_to_bootstrap`; a node with
 *    history whose seqno is unknown, or nodes from different clusters (UUIDs), refuse.
 *
 * `assumeFreshWhenUnreachable` is for check mode before anything is installed: a node that does
 * not answer is taken as a fresh node that the run will install.
 */
export function decideCluster(nodes: readonly ClusterNode[], states: readonly PeerState[], options: { assumeFreshWhenUnreachable?: boolean } = {}): ClusterDecision {
  const byName = new Map(states.map((s) => [s.name, s]));
  const known: { name: string; state: NodeState }[] = [];
  const unreadable: string[] = [];
  for (const n of nodes) {
    const s = byName.get(n.name);
    if (s && 'state' in s) known.push({ name: n.name, state: s.state });
    else if (options.assumeFreshWhenUnreachable) known.push({ name: n.name, state: { installed: false, active: 'inactive' } });
    else unreadable.push(`${n.name} (${s && 'error' in s ? s.error : 'not read'})`);
  }
  const primary = known.filter((k) => isPrimary(k.state));
  if (primary.length > 0) {
    const best = primary.reduce((a, b) => ((b.state.wsrep?.clusterSize ?? 0) > (a.state.wsrep?.clusterSize ?? 0) ? b : a));
    return { kind: 'primary', via: best.name, size: best.state.wsrep?.clusterSize ?? 0 };
  }
  if (unreadable.length > 0) {
    return {
      kind: 'refuse',
      reason: `no node is in a primary component and the state of ${unreadable.join(', ')} cannot be read, so no node can be chosen to bootstrap safely; make the state endpoint of every node reachable (or start the cluster by hand)`,
    };
  }
  const nonPrimary = known.filter((k) => k.state.active === 'active' && k.state.wsrep?.on === true && !isFresh(k.state));
  if (nonPrimary.length > 0) {
    return {
      kind: 'refuse',
      reason: `${nonPrimary.map((k) => `${k.name} (${k.state.wsrep?.clusterStatus ?? 'unknown'})`).join(', ')} ${nonPrimary.length === 1 ? 'runs' : 'run'} without a primary component; bootstrapping another node would split the cluster. Restore quorum by hand (MariaDB "Galera Cluster Recovery": pc.bootstrap=YES on the most advanced node) or stop ${nonPrimary.length === 1 ? 'it' : 'them'}`,
    };
  }
  const withHistory = known.filter((k) => !isFresh(k.state));
  if (withHistory.length === 0) {
    const first = nodes[0] as ClusterNode;
    return { kind: 'bootstrap', node: first.name, reason: 'a new cluster: no node has been in one, the first node bootstraps', setSafeToBootstrap: false };
  }
  const uuids = [...new Set(withHistory.map((k) => k.state.grastate?.uuid))];
  if (uuids.length > 1) {
    return { kind: 'refuse', reason: `the nodes come from different clusters (${withHistory.map((k) => `${k.name}: ${k.state.grastate?.uuid}`).join(', ')}); choose the one to keep by hand` };
  }
  const safe = withHistory.filter((k) => k.state.grastate?.safeToBootstrap);
  if (safe.length === 1) {
    const s = safe[0] as { name: string };
    return { kind: 'bootstrap', node: s.name, reason: `${s.name} has safe_to_bootstrap: 1 in grastate.dat (it left the cluster last)`, setSafeToBootstrap: false };
  }
  const unknownSeqno = withHistory.filter((k) => knownSeqno(k.state) === undefined);
  if (unknownSeqno.length > 0) {
    return {
      kind: 'refuse',
      reason: `the last committed position of ${unknownSeqno.map((k) => `${k.name} (grastate.dat seqno -1${k.state.recoverError ? `; --wsrep-recover: ${k.state.recoverError}` : ''})`).join(', ')} is unknown, so the most advanced node cannot be chosen; run galera_recovery on ${unknownSeqno.length === 1 ? 'it' : 'them'} by hand`,
    };
  }
  const candidates = safe.length > 1 ? safe : withHistory;
  let best = candidates[0] as { name: string; state: NodeState };
  for (const c of candidates) if ((knownSeqno(c.state) as number) > (knownSeqno(best.state) as number)) best = c;
  const seqnos = withHistory.map((k) => `${k.name}: ${knownSeqno(k.state)}`).join(', ');
  return {
    kind: 'bootstrap',
    node: best.name,
    reason: `no node has safe_to_bootstrap: 1; ${best.name} has the highest seqno (${seqnos})`,
    setSafeToBootstrap: !(best.state.grastate?.safeToBootstrap ?? false),
  };
}

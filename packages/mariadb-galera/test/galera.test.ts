// Unit tests of the Galera side: the state probe's parser, the bootstrap decision (which node,
// and when to refuse), the modules' plans from recorded states, and the configuration file.
import { describe, expect, test } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import {
  decideCluster,
  galeraBootstrap,
  galeraConfig,
  galeraMember,
  galeraRestart,
  parseNodeState,
  parsePeers,
  renderGaleraConfig,
  type NodeState,
  type PeerState,
} from '@converge/mariadb-galera';

const UUID = 'a1b2c3d4-0000-11ee-8000-0123456789ab';
const nodes = [
  { name: 'db1', address: '10.0.0.1' },
  { name: 'db2', address: '10.0.0.2' },
  { name: 'db3', address: '10.0.0.3' },
];
const stopped = (seqno: number, safe = false, extra: Partial<NodeState> = {}): NodeState => ({ installed: true, active: 'inactive', grastate: { uuid: UUID, seqno, safeToBootstrap: safe }, ...extra });
const fresh: NodeState = { installed: true, active: 'active', wsrep: { on: false, clusterSize: 0, clusterStatus: 'Disconnected', ready: false, connected: false, localState: '', clusterUuid: '', lastCommitted: -1 } };
const primary = (size: number): NodeState => ({
  installed: true,
  active: 'active',
  grastate: { uuid: UUID, seqno: -1, safeToBootstrap: false },
  wsrep: { on: true, clusterSize: size, clusterStatus: 'Primary', ready: true, connected: true, localState: 'Synced', clusterUuid: UUID, lastCommitted: 12 },
  startedAt: 1000,
  configChangedAt: 900,
});
const states = (...s: (NodeState | string)[]): PeerState[] => s.map((x, i) => (typeof x === 'string' ? { name: `db${i + 1}`, error: x } : { name: `db${i + 1}`, state: x }));

describe('the state probe', () => {
  test('parses a running, Synced node', () => {
    const out = [
      'installed=yes', 'active=active', `grastate_uuid=${UUID}`, 'grastate_seqno=-1', 'grastate_safe_to_bootstrap=0', 'started=1795969611.929237',
      'wsrep_on=ON', 'wsrep_cluster_size=3', 'wsrep_cluster_state_uuid=' + UUID, 'wsrep_cluster_status=Primary', 'wsrep_connected=ON',
      'wsrep_last_committed=17', 'wsrep_local_state_comment=Synced', 'wsrep_ready=ON', 'config_changed=1795969000.5',
    ].join('\n');
    expect(parseNodeState(out)).toEqual({ ...primary(3), grastate: { uuid: UUID, seqno: -1, safeToBootstrap: false }, wsrep: { ...primary(3).wsrep, lastCommitted: 17 }, startedAt: 1795969611.929237, configChangedAt: 1795969000.5 });
  });
  test('a stopped node after a crash, with what galera_recovery found', () => {
    const s = parseNodeState(`installed=yes\nactive=failed\ngrastate_uuid=${UUID}\ngrastate_seqno=-1\ngrastate_safe_to_bootstrap=0\nrecovered=${UUID}:42\n`);
    expect(s.recovered).toEqual({ uuid: UUID, seqno: 42 });
  });
  test('peers: HTTP answers and unreachable nodes', () => {
    const out = `@@peer db2\nHTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ninstalled=yes\nactive=inactive\n@@peer db3\n@@error 10.0.0.3:9200: connect: Connection refused\n`;
    expect(parsePeers(out)).toEqual([{ name: 'db2', state: { installed: true, active: 'inactive' } }, { name: 'db3', error: '10.0.0.3:9200: connect: Connection refused' }]);
  });
});

describe('which node bootstraps', () => {
  test.each([
    { case: 'a primary component exists: nobody', s: states(stopped(10), primary(2), primary(2)), want: { kind: 'primary', via: 'db2', size: 2 } },
    { case: 'a new cluster: the first node', s: states(fresh, fresh, { installed: true, active: 'inactive' }), want: { kind: 'bootstrap', node: 'db1', setSafeToBootstrap: false } },
    { case: 'after a clean stop: safe_to_bootstrap', s: states(stopped(10), stopped(12), stopped(14, true)), want: { kind: 'bootstrap', node: 'db3', setSafeToBootstrap: false } },
    { case: 'no safe_to_bootstrap: the highest seqno', s: states(stopped(10), stopped(17), stopped(14)), want: { kind: 'bootstrap', node: 'db2', setSafeToBootstrap: true } },
    { case: 'seqno -1: the recovered position counts', s: states(stopped(10), stopped(12), stopped(-1, false, { recovered: { uuid: UUID, seqno: 20 } })), want: { kind: 'bootstrap', node: 'db3', setSafeToBootstrap: true } },
    { case: 'a tie: the first in order', s: states(stopped(12), stopped(12), stopped(3)), want: { kind: 'bootstrap', node: 'db1' } },
    { case: 'a fresh node does not count against history', s: states(fresh, stopped(5), stopped(7)), want: { kind: 'bootstrap', node: 'db3' } },
  ])('$case', ({ s, want }) => {
    expect(decideCluster(nodes, s)).toMatchObject(want);
  });
  test.each([
    { case: 'a node cannot be read', s: states(stopped(10), stopped(12, true), 'connect: Connection refused'), why: /state of db3 \(connect: Connection refused\) cannot be read/ },
    { case: 'a seqno is unknown', s: states(stopped(10), stopped(12), stopped(-1, false, { recoverError: 'InnoDB: unable to lock ./ibdata1' })), why: /position of db3 .*unable to lock/ },
    { case: 'a node runs in a non-primary component', s: states(stopped(10), { ...primary(1), wsrep: { ...primary(1).wsrep!, clusterStatus: 'Non-primary' } }, stopped(3)), why: /db2 \(Non-primary\) runs without a primary component/ },
    { case: 'nodes of two clusters', s: states(stopped(10), stopped(12, false, { grastate: { uuid: 'ffffffff-0000-11ee-8000-0123456789ab', seqno: 12, safeToBootstrap: false } }), stopped(3)), why: /different clusters/ },
  ])('refuses: $case', ({ s, why }) => {
    const d = decideCluster(nodes, s);
    expect(d.kind).toBe('refuse');
    expect(d.kind === 'refuse' && d.reason).toMatch(why);
  });
  test('a primary component is joined even when another node cannot be read', () => {
    expect(decideCluster(nodes, states(primary(2), primary(2), 'timeout')).kind).toBe('primary');
  });
});

const clusterParams = (node: string, extra: object = {}) => ({ node, nodes, sst_password: secret('sst-pw-1'), ...extra });
const peersOf = (s: PeerState[], self: string) => s.filter((x) => x.name !== self);

describe('module galera.bootstrap', () => {
  test('the chosen node bootstraps (setting safe_to_bootstrap, then the SST account); the others do nothing', () => {
    const s = states(stopped(10), stopped(17), stopped(14));
    const r2 = planModule(galeraBootstrap, { params: clusterParams('db2'), facts: { self: (s[1] as { state: NodeState }).state, peers: peersOf(s, 'db2') } });
    expect(r2.commands.map((c) => c.description)).toEqual(['check that no node is in a primary component', 'set safe_to_bootstrap: 1 in grastate.dat', 'galera_new_cluster', 'wait until Synced', 'create the SST account']);
    expect(String(r2.commands[4]?.script)).not.toContain('sst-pw-1');
    const r1 = planModule(galeraBootstrap, { params: clusterParams('db1'), facts: { self: (s[0] as { state: NodeState }).state, peers: peersOf(s, 'db1') } });
    expect(r1.changes).toEqual([]);
    expect(r1.reason).toMatch(/db2 bootstraps the cluster: .*highest seqno \(db1: 10, db2: 17, db3: 14\)/);
  });
  test('refusal fails the task with the reason', () => {
    const s = states(stopped(10), stopped(17), 'connect: No route to host');
    expect(() => planModule(galeraBootstrap, { params: clusterParams('db1'), facts: { self: (s[0] as { state: NodeState }).state, peers: peersOf(s, 'db1') } })).toThrow(/refusing to bootstrap: .*db3/);
  });
  test('check mode before anything is installed predicts the first node', () => {
    const none: NodeState = { installed: false, active: 'inactive' };
    const s = states(none, 'connect: Connection refused', 'connect: Connection refused');
    const r = planModule(galeraBootstrap, { params: clusterParams('db1'), facts: { self: none, peers: peersOf(s, 'db1') }, host: { check: true }, upstreamChanged: true });
    expect(r.changes[0]?.path).toBe('cluster');
    expect(() => planModule(galeraBootstrap, { params: clusterParams('db1'), facts: { self: none, peers: peersOf(s, 'db1') } })).toThrow(/cannot be read/);
  });
  test('params: the node must be one of nodes', () => {
    expect(() => planModule(galeraBootstrap, { params: clusterParams('db9'), facts: {} })).toThrow(/not one of nodes/);
  });
});

describe('module galera.member', () => {
  test('joins a primary component and waits for one more node', () => {
    const s = states(primary(1), { installed: true, active: 'inactive' }, { installed: true, active: 'inactive' });
    const r = planModule(galeraMember, { params: clusterParams('db2'), facts: { self: (s[1] as { state: NodeState }).state, peers: peersOf(s, 'db2') } });
    expect(r.changes[0]?.after).toBe('joined through db1, Synced with 2 nodes');
    expect(r.commands.map((c) => c.description)).toEqual(['start mariadb', 'wait until Synced with 2 nodes']);
  });
  test('a Synced node with an older configuration: nothing', () => {
    const s = states(primary(3), primary(3), primary(3));
    expect(planModule(galeraMember, { params: clusterParams('db1'), facts: { self: primary(3), peers: peersOf(s, 'db1') } }).changes).toEqual([]);
  });
  test('configuration newer than the server: a rolling restart, only with the whole cluster there', () => {
    const changed = { ...primary(3), configChangedAt: 2000 };
    const r = planModule(galeraMember, { params: clusterParams('db1'), facts: { self: changed, peers: [] } });
    expect(r.commands.map((c) => c.description)).toEqual(['restart mariadb', 'wait until Synced with 3 nodes']);
    expect(() => planModule(galeraMember, { params: clusterParams('db1'), facts: { self: { ...changed, wsrep: { ...changed.wsrep!, clusterSize: 2 } }, peers: [] } })).toThrow(/could cost quorum/);
  });
  test('no primary and another node must bootstrap: fails saying which', () => {
    const s = states(stopped(1), stopped(9, true), stopped(3));
    expect(() => planModule(galeraMember, { params: clusterParams('db1'), facts: { self: (s[0] as { state: NodeState }).state, peers: peersOf(s, 'db1') } })).toThrow(/db2 must bootstrap first/);
  });
});

describe('module galera.restart', () => {
  test('restarts a Synced node of a whole cluster, refuses otherwise', () => {
    expect(planModule(galeraRestart, { params: clusterParams('db3'), facts: { self: primary(3) } }).commands).toHaveLength(2);
    expect(() => planModule(galeraRestart, { params: clusterParams('db3'), facts: { self: primary(2) } })).toThrow(/refusing a rolling restart/);
  });
});

describe('galera.config', () => {
  test('renders the wsrep settings MariaDB requires', () => {
    const text = renderGaleraConfig({ cluster_name: 'prod', cluster_addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], node_name: 'db1', node_address: '10.0.0.1', sst_password: secret('sst-pw-1'), provider_options: { 'gcache.size': '512M' }, mysqld: { max_connections: 500 } });
    expect(text).toBe(`# Managed by converge (@converge/mariadb-galera): changes here are overwritten.
# https://mariadb.com/kb/en/configuring-mariadb-galera-cluster/
[mysqld]
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
bind-address = 0.0.0.0

wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = "prod"
wsrep_cluster_address = gcomm://10.0.0.1,10.0.0.2,10.0.0.3
wsrep_node_name = db1
wsrep_node_address = 10.0.0.1
wsrep_sst_method = mariabackup
wsrep_sst_auth = mariabackup:sst-pw-1
wsrep_provider_options = "gcache.size=512M"

max_connections = 500
`);
  });

  test('a change shows the lines of the file, with the SST password masked on both sides (a former one too)', () => {
    const params = { cluster_name: 'prod', cluster_addresses: ['10.0.0.1', '10.0.0.2'], node_name: 'db1', node_address: '10.0.0.1', sst_password: secret('sst-pw-new') };
    const old = renderGaleraConfig({ ...params, cluster_name: 'staging', sst_password: secret('sst-pw-former') });
    const target = { type: 'file' as const, mode: '0640', owner: 'root', group: 'mysql', uid: 0, gid: 101, size: old.length, inode: '1:2', content: old };
    const r = planModule(galeraConfig, { params, facts: { dest: { path: '/etc/mysql/mariadb.conf.d/60-galera.cnf', type: 'file', parentExists: true, target } } });
    expect(r.changes.map((c) => c.path)).toEqual(['content']);
    const d = r.diffs[0];
    expect(d?.before).toContain('wsrep_cluster_name = "staging"');
    expect(d?.after).toContain('wsrep_cluster_name = "prod"');
    for (const side of [d?.before, d?.after]) expect(side).toContain(`wsrep_sst_auth = mariabackup:${SECRET_MASK}`);
    for (const pw of ['sst-pw-new', 'sst-pw-former']) expect(`${d?.before}${d?.after}`).not.toContain(pw);
  });
});

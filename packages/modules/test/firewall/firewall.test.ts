import { describe, expect, test } from 'vitest';
import { sha256Hex } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '../../src/index.js';
import { nftables, parseNftablesState, parseSshSession, parseUfwState, renderRuleset, ruleProblem, tupleAllowsSsh, ufw, ufwRuleArgs, ufwTuple, withoutElements } from '../../src/index.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const SESSION = parseSshSession('ssh 172.17.0.1 40522 172.17.0.5 22\n');
const TABLE = { name: 'filter', sets: [{ name: 'admins', type: 'ipv4_addr', flags: ['interval' as const], elements: ['10.0.0.0/8'] }], chains: [{ name: 'input', hook: 'input' as const, policy: 'drop' as const, rules: ['ct state established,related accept', 'tcp dport 443 accept'] }] };
const RULESET = renderRuleset([TABLE], { port: 22, from4: [], from6: [] });
const SHA = sha256Hex(new Uint8Array(Buffer.from(RULESET)));
// `nft -s list table inet filter` as nftables 1.0.6 prints the table above.
const LISTING = `table inet filter {
\tset admins {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 10.0.0.0/8 }
\t}

\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\ttcp dport 22 accept comment "converge: keep the SSH port open"
\t\tct state established,related accept
\t\ttcp dport 443 accept
\t}
}
`;
const file = (content?: string): FileState => (content === undefined ? { path: '/etc/nftables.conf', type: 'absent', parentExists: true } : { path: '/etc/nftables.conf', type: 'file', parentExists: true, target: { type: 'file', mode: '0755', owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', sha256: sha256Hex(new Uint8Array(Buffer.from(content))), content } });
const probe = (lines: string[]) => parseNftablesState(`${lines.join('\n')}\n`);
const recorded = (listing = LISTING, sha = SHA, more = '') => `state ${b64(`rendered ${sha}\ntable inet filter ${b64(listing)}\n${more}`)}`;

describe('nftables ruleset', () => {
  test('each table replaced whole; the SSH accept first in the input chain', () => {
    expect(RULESET).toBe(`#!/usr/sbin/nft -f
# Written by converge (module nftables): tables inet filter.
# Each table is replaced whole in one transaction; other tables are left alone.

table inet filter
delete table inet filter
table inet filter {
\tset admins {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 10.0.0.0/8 }
\t}

\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\ttcp dport 22 accept comment "converge: keep the SSH port open"
\t\tct state established,related accept
\t\ttcp dport 443 accept
\t}
}
`);
  });
  test('keep_ssh from a list of sources, per family; not in nat or forward chains', () => {
    const text = renderRuleset([{ name: 't', chains: [{ name: 'in', hook: 'input', rules: [] }, { name: 'fwd', hook: 'forward', rules: [] }, { name: 'out', hook: 'output', policy: 'drop' }] }], { port: 2222, from4: ['192.0.2.0/24'], from6: ['2001:db8::/32'] });
    expect(text).toContain('\t\tip saddr { 192.0.2.0/24 } tcp dport 2222 accept comment "converge: keep the SSH port open"\n\t\tip6 saddr { 2001:db8::/32 } tcp dport 2222 accept');
    expect(text).toContain('\t\tip daddr { 192.0.2.0/24 } tcp sport 2222 accept');
    expect(text).not.toMatch(/chain fwd \{\n[^}]*dport 2222/);
  });
  test.each([
    ['tcp dport 22 accept', undefined],
    ['ip saddr { 10.0.0.1, 10.0.0.2 } accept comment "a;b # c"', undefined],
    ['accept; flush ruleset', 'contains `;` (one rule per string)'],
    ['accept }\n}\ntable ip evil {', 'contains a line break'],
    ['accept } chain x {', 'closes a brace it did not open'],
    ['tcp dport { 80 accept', 'leaves a brace open'],
    ['accept # comment', 'contains `#` outside quotes (a comment; use `comment "…"`)'],
  ])('rule %j: %s', (rule, problem) => expect(ruleProblem(rule)).toBe(problem));
  test('elements of dynamic sets are left out of the comparison', () => {
    const grown = LISTING.replace('elements = { 10.0.0.0/8 }', 'elements = { 10.0.0.0/8,\n\t\t\t     192.0.2.7 }');
    expect(withoutElements(grown, ['admins'])).toBe(withoutElements(LISTING, ['admins']));
    expect(withoutElements(grown, [])).not.toBe(withoutElements(LISTING, []));
  });
});

describe('module nftables', () => {
  const params = { tables: [TABLE] };
  test.each([
    { case: 'first load: file and live', facts: { file: file(), nft: probe([]), session: SESSION }, changes: [{ path: 'ruleset', before: null, after: `sha256:${SHA}` }, { path: 'live', before: 'never loaded by converge', after: 'loaded: inet filter' }] },
    { case: 'converged: the file, the record and the live listing agree', facts: { file: file(RULESET), nft: probe(['live inet filter', recorded(), `listing inet filter ${b64(LISTING)}`]), session: SESSION }, changes: [] },
    { case: 'a rule added by hand', facts: { file: file(RULESET), nft: probe(['live inet filter', recorded(), `listing inet filter ${b64(LISTING.replace('\t}\n}', '\t\ttcp dport 8081 accept\n\t}\n}'))}`]), session: SESSION }, changes: [{ path: 'live', before: 'table inet filter was changed by hand', after: 'loaded: inet filter' }] },
    { case: 'the table deleted by hand', facts: { file: file(RULESET), nft: probe([recorded()]), session: SESSION }, changes: [{ path: 'live', before: 'table inet filter is missing', after: 'loaded: inet filter' }] },
    { case: 'a table no longer wanted is deleted', facts: { file: file(RULESET), nft: probe(['live inet filter', 'live ip old', recorded(LISTING, SHA, `table ip old ${b64('table ip old {\n}\n')}\n`), `listing inet filter ${b64(LISTING)}`]), session: SESSION }, changes: [{ path: 'live', before: 'no longer wanted: ip old', after: 'loaded: inet filter' }] },
  ])('$case', ({ facts, changes }) => expect(planModule(nftables, { params, facts }).changes).toEqual(changes));

  test('the load is checked, guarded by a rollback timer and the session check, then recorded; the file comes after', () => {
    const r = planModule(nftables, { params, facts: { file: file(), nft: probe([]), session: SESSION } });
    const [load, write] = r.commands.map((c) => String(c.script));
    expect(load).toContain('nft -c -f "$new"');
    expect(load).toContain('systemd-run --quiet --unit="$unit" --on-active=30');
    expect(load).toContain("lp=$(printf '%04X' 22) rp=$(printf '%04X' 40522)");
    expect(load).toContain('the previous tables were restored');
    expect(load).toContain('/var/lib/converge/nftables/_etc_nftables.conf.state');
    expect(write).toContain('nft -c -f "$1"');
    expect(Buffer.from(r.commands[0]?.stdin as Uint8Array).toString()).toBe(RULESET);
  });

  test('without an SSH session (a local run) nothing waits for acknowledgements', () => {
    const r = planModule(nftables, { params, facts: { file: file(), nft: probe([]), session: null } });
    expect(String(r.commands[0]?.script)).not.toContain('/proc/net/tcp');
  });

  test('refusals: a source list without the controller, no nft, nft without the right', () => {
    expect(() => planModule(nftables, { params: { ...params, keep_ssh: { from: ['192.0.2.0/24'] } }, facts: { file: file(), nft: probe([]), session: SESSION } })).toThrow(/leaves out 172.17.0.1, the address this run connects from/);
    expect(planModule(nftables, { params: { ...params, keep_ssh: { from: ['172.17.0.0/16'] } }, facts: { file: file(), nft: probe([]), session: SESSION } }).changes.length).toBe(2);
    expect(() => planModule(nftables, { params, facts: { file: file(), nft: probe(['nft missing']), session: SESSION } })).toThrow(/nft is not installed/);
    expect(() => planModule(nftables, { params, facts: { file: file(), nft: probe(['nft denied']), session: SESSION } })).toThrow(/cannot read the ruleset/);
  });

  test.each([
    { tables: [TABLE, TABLE] },
    { tables: [{ name: 'f', chains: [{ name: 'c', rules: ['accept; flush ruleset'] }] }] },
    { tables: [{ name: 'f', chains: [{ name: 'c', policy: 'drop' }] }] },
    { tables: [{ name: 'bad name', chains: [] }] },
    { tables: [], keep_ssh: { from: ['not-an-address'] } },
  ])('refuses params %j', (p) => {
    expect(() => planModule(nftables, { params: p, facts: { file: file(), nft: probe([]), session: SESSION } })).toThrow(/invalid params|module nftables/);
  });
});

describe('ssh.session', () => {
  test('SSH_CONNECTION, or none', () => {
    expect(SESSION).toEqual({ clientAddress: '172.17.0.1', clientPort: 40522, serverAddress: '172.17.0.5', serverPort: 22 });
    expect(parseSshSession('ssh \n')).toBeNull();
  });
});

// /etc/ufw files as ufw 0.36.2 (Debian 12) writes them.
const UFW = parseUfwState(['conf ENABLED=yes', 'conf LOGLEVEL=low', 'conf IPV6=yes', 'conf DEFAULT_INPUT_POLICY="DROP"', 'conf DEFAULT_OUTPUT_POLICY="ACCEPT"', 'conf DEFAULT_FORWARD_POLICY="DROP"', 'tuple4 allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', 'tuple6 allow tcp 22 ::/0 any ::/0 in', 'running yes'].join('\n'));

describe('ufw', () => {
  test('state from its files', () => {
    expect(UFW).toEqual({ installed: true, enabled: true, running: true, logging: 'low', ipv6: true, defaults: { incoming: 'deny', outgoing: 'allow', routed: 'deny' }, tuples4: ['allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in'], tuples6: ['allow tcp 22 ::/0 any ::/0 in'] });
  });
  test.each([
    [{ rule: 'allow', port: '22', proto: 'tcp' }, 4, 'allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in'],
    [{ rule: 'allow', to_port: '80', proto: 'tcp', from_ip: '10.0.0.5/8', comment: 'web x' }, 4, 'allow tcp 80 0.0.0.0/0 any 10.0.0.0/8 in comment=7765622078'],
    [{ rule: 'allow', port: '8080', interface: 'eth0' }, 6, 'allow any 8080 ::/0 any ::/0 in_eth0'],
    [{ rule: 'limit', port: '2222', proto: 'tcp' }, 4, 'limit tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in'],
    [{ rule: 'allow', route: true, from_ip: '10.1.0.0/16' }, 4, 'route:allow any any 0.0.0.0/0 any 10.1.0.0/16 in'],
    [{ rule: 'deny', direction: 'out', port: '25' }, 4, 'deny any 25 0.0.0.0/0 any 0.0.0.0/0 out'],
    [{ rule: 'allow', log: true, port: '53', proto: 'udp' }, 4, 'allow_log udp 53 0.0.0.0/0 any 0.0.0.0/0 in'],
    [{ rule: 'allow', from_ip: '10.0.0.1/32' }, 4, 'allow any any 0.0.0.0/0 any 10.0.0.1 in'],
  ])('%j is the tuple ufw writes', (p, family, tuple) => expect(ufwTuple(p as never, family as 4 | 6)).toBe(tuple));
  test('the command in full syntax', () => {
    expect(ufwRuleArgs({ rule: 'allow', port: '80', proto: 'tcp', from_ip: '10.0.0.0/8', comment: 'web' } as never)).toEqual(['allow', 'in', 'proto', 'tcp', 'from', '10.0.0.0/8', 'to', 'any', 'port', '80', 'comment', 'web']);
  });
  test.each([
    ['allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', true],
    ['limit any 20:30 0.0.0.0/0 any 0.0.0.0/0 in', true],
    ['allow tcp 22 0.0.0.0/0 any 172.17.0.0/16 in', true],
    ['allow tcp 22 0.0.0.0/0 any 10.0.0.0/8 in', false],
    ['deny tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', false],
    ['allow udp 22 0.0.0.0/0 any 0.0.0.0/0 in', false],
    ['allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in_eth1', false],
  ])('%s lets converge in: %s', (tuple, ok) => expect(tupleAllowsSsh(tuple, 22, '172.17.0.1')).toBe(ok));

  const run = (params: Record<string, unknown>, state = UFW) => planModule(ufw, { params, facts: { ufw: state, session: SESSION } });
  test.each([
    { case: 'a present rule', params: { rule: 'allow', port: '22', proto: 'tcp' }, changes: [], scripts: [] },
    { case: 'a new rule, in both families', params: { rule: 'allow', port: '443', proto: 'tcp' }, changes: [{ path: 'rule', before: null, after: 'allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in | allow tcp 443 ::/0 any ::/0 in' }], scripts: ['ufw allow in proto tcp from any to any port 443'] },
    { case: 'a rule deleted', params: { rule: 'allow', port: '443', proto: 'tcp', delete: true }, changes: [], scripts: [] },
    { case: 'default, logging and state together, in that order', params: { state: 'enabled', default: 'reject', logging: 'medium' }, changes: [{ path: 'logging', before: 'low', after: 'medium' }, { path: 'default.incoming', before: 'deny', after: 'reject' }], scripts: ['ufw logging medium', 'ufw default reject incoming'] },
    { case: 'disabled', params: { state: 'disabled' }, changes: [{ path: 'state', before: 'enabled', after: 'disabled' }], scripts: ['ufw disable'] },
  ])('$case', ({ params, changes, scripts }) => {
    const r = run(params);
    expect(r.changes).toEqual(changes);
    expect(r.commands.map((c) => String(c.script))).toEqual(scripts);
  });
  test('enabling with deny and no SSH rule is refused; with the rule, or keep_ssh false, it goes', () => {
    const bare = { ...UFW, enabled: false, running: false, tuples4: [], tuples6: [] };
    expect(() => run({ state: 'enabled' }, bare)).toThrow(/would deny new connections to port 22, the SSH port this run uses/);
    expect(run({ state: 'enabled', keep_ssh: false }, bare).commands.map((c) => String(c.script))).toEqual(['ufw --force enable']);
    expect(run({ state: 'enabled' }, { ...bare, tuples4: UFW.tuples4 }).commands.map((c) => String(c.script))).toEqual(['ufw --force enable']);
    expect(() => run({ rule: 'allow', port: '22', proto: 'tcp', delete: true })).toThrow(/would deny new connections/);
  });
  test.each([{}, { port: '22' }, { rule: 'allow', port: '22', to_port: '23' }, { rule: 'allow', from_ip: '10.0.0.1', to_ip: '::1' }, { rule: 'allow', port: '22', proto: 'esp' }, { default: 'deny', direction: 'in' }])('refuses params %j', (params) => {
    expect(() => run(params)).toThrow(/invalid params|module ufw/);
  });
});

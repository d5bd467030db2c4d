// The decision between maxctrl at runtime and a restart is a pure function of the old and the
// new file: these cases are its table.
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { describeRuntimeChange, parseMaxscaleConfig, planRuntimeChange, renderMaxscaleConfig } from '../src/index.js';
import type { MaxscaleConfig } from '../src/index.js';

const base = (): MaxscaleConfig => ({
  servers: [{ name: 'db1', address: '10.0.0.21' }, { name: 'db2', address: '10.0.0.22' }],
  monitor: { user: 'maxscale_monitor', password: secret('monitor-pw-1') },
  service: { user: 'maxscale', password: secret('service-pw-1') },
});
const sections = (m: MaxscaleConfig) => parseMaxscaleConfig(renderMaxscaleConfig(m).text);
const decide = (before: MaxscaleConfig, after: MaxscaleConfig) => planRuntimeChange(sections(before), sections(after));
const args = (before: MaxscaleConfig, after: MaxscaleConfig) => decide(before, after).commands.map((c) => c.args.join(' '));

describe('planRuntimeChange: at runtime through maxctrl', () => {
  it('no change: nothing', () => {
    expect(decide(base(), base())).toEqual({ restart: [], commands: [] });
  });

  it('a new server is created, then linked to the monitor and the service', () => {
    const after = { ...base(), servers: [...base().servers, { name: 'db3', address: '10.0.0.23', port: 3307, priority: 3 }] };
    expect(args(base(), after)).toEqual([
      'create server db3 10.0.0.23 3307',
      'link monitor Galera-Monitor db3',
      'link service Read-Write-Service db3',
      'alter server db3 priority 3',
    ]);
  });

  it('a removed server is unlinked everywhere, then destroyed', () => {
    const after = { ...base(), servers: [base().servers[0]!] };
    expect(args(base(), after)).toEqual(['unlink monitor Galera-Monitor db2', 'unlink service Read-Write-Service db2', 'destroy server db2']);
  });

  it('a server that moved: alter server address and port', () => {
    const after = { ...base(), servers: [base().servers[0]!, { name: 'db2', address: '10.0.0.32', port: 3307 }] };
    expect(args(base(), after)).toEqual(['alter server db2 address 10.0.0.32 port 3307']);
  });

  it('router and monitor parameters, and runtime globals: alter service / monitor / maxscale', () => {
    const after: MaxscaleConfig = {
      ...base(),
      maxscale: { log_info: true },
      monitor: { ...base().monitor, monitor_interval: '5s', use_priority: true },
      service: { ...base().service, transaction_replay: true, causal_reads: 'local' },
    };
    const before: MaxscaleConfig = { ...base(), maxscale: { log_info: false } };
    expect(args(before, after)).toEqual([
      'alter maxscale log_info true',
      'alter monitor Galera-Monitor monitor_interval 5s use_priority true',
      'alter service Read-Write-Service transaction_replay true causal_reads local',
    ]);
    expect(describeRuntimeChange(decide(before, after))).toBe(
      'maxctrl alter maxscale log_info true; maxctrl alter monitor Galera-Monitor monitor_interval 5s use_priority true; maxctrl alter service Read-Write-Service transaction_replay true causal_reads local',
    );
  });
});

describe('planRuntimeChange: a restart', () => {
  it.each<[string, (m: MaxscaleConfig) => MaxscaleConfig, RegExp]>([
    ['the REST API port (not changeable at runtime)', (m) => ({ ...m, maxscale: { admin_port: 8990 } }), /\[maxscale\] admin_port changed/],
    ['threads', (m) => ({ ...m, maxscale: { threads: 2 } }), /\[maxscale\] threads changed/],
    ['the listener port', (m) => ({ ...m, listener: { port: 4006 } }), /listener Read-Write-Listener changed/],
    ['a changed monitor password (never on a command line)', (m) => ({ ...m, monitor: { ...m.monitor, password: secret('monitor-pw-2') } }), /monitor Galera-Monitor: password changed/],
    ['a changed service password', (m) => ({ ...m, service: { ...m.service, password: secret('service-pw-2') } }), /service Read-Write-Service: password changed/],
    ['a renamed service (a new object)', (m) => ({ ...m, service: { ...m.service, name: 'RW' } }), /new service RW.*service Read-Write-Service removed/],
    ['a parameter removed', (m) => m, /Galera-Monitor: monitor_interval removed/],
  ])('%s', (_what, change, reason) => {
    const before = _what === 'a parameter removed' ? { ...base(), monitor: { ...base().monitor, monitor_interval: '5s' } } : base();
    const r = decide(before, change(base()));
    expect(r.commands).toEqual([]);
    expect(r.restart.join('; ')).toMatch(reason);
  });

  it('one change that needs a restart restarts for all, with no maxctrl commands', () => {
    const after = { ...base(), maxscale: { admin_port: 8990 }, servers: [...base().servers, { name: 'db3', address: '10.0.0.23' }] };
    expect(decide(base(), after)).toEqual({ restart: ['[maxscale] admin_port changed (not changeable at runtime)'], commands: [] });
  });

  it('a changed monitor module or service router (a hand-edited file) restarts', () => {
    const before = sections(base());
    const edited = before.map((s) => (s.name === 'Read-Write-Service' ? { ...s, params: s.params.map(([k, v]): [string, string] => [k, k === 'router' ? 'readconnroute' : v]) } : s));
    expect(planRuntimeChange(edited, before).restart).toEqual(['service Read-Write-Service: router changed']);
  });
});

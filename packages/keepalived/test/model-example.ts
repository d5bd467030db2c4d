import type { KeepalivedConfig } from '../src/index.js';

/** A model that uses every field: the render fixture test's input. */
export const fullModel: KeepalivedConfig = {
  global_defs: { router_id: 'lb1', extra: ['vrrp_garp_master_refresh 60'] },
  scripts: [
    { name: 'haproxy', script: ['/usr/bin/pgrep', '-x', 'haproxy'], interval: 1, timeout: 2, fall: 2, rise: 2 },
    { name: 'http', script: ['/usr/bin/curl', '-fsS', '-o', '/dev/null', '--max-time', '1', 'http://127.0.0.1:8404/stats'], weight: -60 },
  ],
  instances: [
    {
      name: 'VI_LB',
      state: 'MASTER',
      interface: 'eth1',
      virtual_router_id: 51,
      priority: 150,
      advert_int: 1,
      unicast_src_ip: '10.0.0.11',
      unicast_peers: ['10.0.0.12'],
      authentication: 'vrrp-pw1',
      virtual_ipaddresses: [{ address: '10.0.0.100/24' }, { address: '10.0.0.101/24', dev: 'eth1', label: 'eth1:vip2' }],
      track_scripts: [{ name: 'haproxy' }, { name: 'http', weight: -50 }],
      track_interfaces: ['eth2'],
      garp_master_delay: 5,
      notify_master: ['/usr/local/sbin/converge-cloud-failover', '/etc/keepalived/cloud-failover/VI_LB.conf'],
      notify_backup: ['/usr/bin/logger', 'VI_LB', 'is', 'backup'],
      notify_fault: ['/usr/bin/logger', 'VI_LB', 'fault'],
      notify_stop: ['/usr/bin/logger', 'VI_LB', 'stopped'],
      extra: ['garp_master_refresh 30'],
    },
    {
      name: 'VI_SQL',
      state: 'BACKUP',
      interface: 'eth1',
      virtual_router_id: 52,
      priority: 100,
      advert_int: 2,
      preempt_delay: 10,
      unicast_src_ip: 'fd00::11',
      unicast_peers: ['fd00::12', 'fd00::13'],
      virtual_ipaddresses: [{ address: 'fd00::10/64' }],
    },
  ],
};

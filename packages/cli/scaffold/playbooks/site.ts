// The site playbook: what every host of the inventory should be. Check it without touching a
// host with `npm run check`; see what would change with
// `npm run converge -- -i inventories/local playbooks/site.ts --check --diff`.
import { definePlaybook, Type } from '@converge/core';
import { copy } from '@converge/modules';
import { loadBalancer } from '@converge/role-load-balancer';

/**
 * The vars the play's tasks read: `ctx.vars` is typed from this schema, and every host's vars
 * (inventory, group_vars/, host_vars/, -e) are checked against it before any host is touched.
 */
const SiteVars = Type.Object({
  site_name: Type.String({ minLength: 1 }),
  app_port: Type.Integer({ minimum: 1, maximum: 65535 }),
});

export default definePlaybook(SiteVars, {
  name: 'load balancers',
  hosts: 'lb',
  roles: [
    // HAProxy from Debian, its configuration from a typed model (checked with haproxy -c before
    // it replaces the live file, reloaded without dropping connections).
    loadBalancer({
      frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }],
      backends: [{ name: 'app', balance: 'roundrobin', servers: [{ name: 'app1', address: '127.0.0.1:8080' }] }],
    }),
  ],
  tasks: [
    copy((h) => ({
      dest: '/etc/motd',
      content: `${h.vars.site_name}: ${h.vars.inventory_hostname} balances port 80 to the application on port ${h.vars.app_port}\n`,
      mode: '0644',
    })),
  ],
});

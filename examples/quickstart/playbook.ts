import { definePlaybook } from '@converge/core';
import { apt, copy, file, systemd, template, user } from '@converge/modules';

/**
 * The quickstart: three web hosts get nginx, a deploy user, a templated site on port 8080 and
 * a page that names the host. Changing the site's config reloads nginx through a handler.
 */
export default definePlaybook({
  name: 'web servers',
  hosts: 'web',
  vars: {
    http_port: 8080,
    greeting: 'converged by converge',
    maintainers: ['ops@example.test', 'web@example.test'],
  },
  tasks: [
    apt({ name: ['nginx-light'], state: 'present', update_cache: true, cache_valid_time: 86400 }),
    user({ name: 'deploy', shell: '/bin/bash', create_home: true, comment: 'Deployments' }),
    template({ src: 'site.conf.j2', dest: '/etc/nginx/sites-enabled/quickstart.conf', mode: '0644' }, { notify: 'reload nginx' }),
    file({ path: '/srv/www', state: 'directory', mode: '0755' }),
    template({ src: 'index.html.j2', dest: '/srv/www/index.html', mode: '0644' }),
    copy({ dest: '/etc/motd', content: 'This host is managed by converge. Local changes are overwritten.\n' }),
    systemd.service({ name: 'nginx', state: 'started', enabled: true }),
  ],
  handlers: [systemd.service({ name: 'nginx', state: 'reloaded' }, { name: 'reload nginx' })],
});

import type { HaproxyConfigParams } from '../src/index.js';

/** A model that uses every section: the render fixture test's input. */
export const fullModel: HaproxyConfigParams = {
  global: {
    log: [{ target: '/dev/log', facility: 'local0' }, { target: '/dev/log', facility: 'local1', level: 'notice' }],
    chroot: '/var/lib/haproxy',
    maxconn: 4096,
    server_state_file: '/var/lib/haproxy/server-state',
    ssl_default_bind_options: 'ssl-min-ver TLSv1.2 no-tls-tickets',
    extra: ['tune.ssl.default-dh-param 2048'],
  },
  defaults: { options: ['httplog', 'dontlognull', 'forwardfor'], timeouts: { http_request: '10s', connect: 3000 }, retries: 3 },
  frontends: [
    {
      name: 'www',
      binds: [{ address: '*:80' }, { address: '*:443', ssl: { certificates: ['example', 'api'], alpn: ['h2', 'http/1.1'] } }],
      acls: [{ name: 'is_api', criterion: 'path_beg /api' }, { name: 'old_host', criterion: 'hdr(host) -i old.example.test' }],
      redirects: [
        { type: 'scheme', to: 'https', code: 301, unless: '{ ssl_fc }' },
        { type: 'prefix', to: 'https://www.example.test', if: 'old_host' },
      ],
      use_backends: [{ backend: 'api', if: 'is_api' }],
      default_backend: 'app',
      extra: ['http-response set-header X-Served-By haproxy'],
    },
  ],
  backends: [
    {
      name: 'app',
      balance: 'roundrobin',
      health_check: { path: '/health', host: 'app.example.test', expect_status: '200-399', interval: '2s', fall: 3, rise: 2 },
      servers: [
        { name: 'app1', address: '10.0.0.11:8080', weight: 10, maxconn: 100 },
        { name: 'app2', address: '10.0.0.12:8080', weight: 10, maxconn: 100 },
        { name: 'sorry', address: '10.0.0.13:8080', backup: true, check: false },
      ],
    },
    { name: 'api', balance: 'hdr', balance_arguments: 'User-Agent', options: ['redispatch'], servers: [{ name: 'api1', address: '10.0.0.21:9000', disabled: true }] },
  ],
  stats: { bind: '127.0.0.1:8404', refresh: '10s', admin: true, auth: { user: 'ops', password: 'stats-password' } },
  runtime_api: { timeout: '30s' },
};

import { ConvergeError, type Task } from '@converge/core';
import { copy, systemdService } from '@converge/modules';
import { DEFAULT_STATE_PORT, STATE_SCRIPT } from './node-state.js';

/** Where the state script is installed. */
export const STATE_SCRIPT_PATH = '/usr/local/sbin/galera-state';
/** The HTTP wrapper the socket runs per connection. */
export const STATE_HTTP_PATH = '/usr/local/sbin/galera-state-http';

/**
 * One HTTP/1.0 answer per connection: the node's state as `key=value` lines, status 200 when the
 * node is Synced and 503 otherwise — the contract of the clustercheck scripts that load
 * balancers poll, so HAProxy's `httpchk` can use the same endpoint.
 */
export const STATE_HTTP_SCRIPT = `#!/bin/bash
# Answers one HTTP request with this node's Galera state (converge mariadb-galera).
while IFS= read -r -t 5 line; do line=\${line%$'\\r'}; [ -z "$line" ] && break; done
body=$(${STATE_SCRIPT_PATH} 2>/dev/null)
case $body in *wsrep_local_state_comment=Synced*) status='200 OK';; *) status='503 Service Unavailable';; esac
printf 'HTTP/1.0 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s\\n' "$status" "$(( \${#body} + 1 ))" "$body"
`;

/** Options of {@link galeraStateEndpoint}. */
export interface StateEndpointOptions {
  /** TCP port; default 9200. */
  port?: number;
  /** Address to listen on; default all addresses. Restrict it (or firewall the port) to the cluster's network. */
  bindAddress?: string;
}

/** The socket unit: one `galera-state@.service` per connection (`Accept=yes`, systemd.socket(5)). */
export function stateSocketUnit(options: StateEndpointOptions = {}): string {
  const port = options.port ?? DEFAULT_STATE_PORT;
  const listen = options.bindAddress ? (options.bindAddress.includes(':') ? `[${options.bindAddress}]:${port}` : `${options.bindAddress}:${port}`) : String(port);
  return `# Managed by converge (@converge/mariadb-galera).
[Unit]
Description=Galera node state endpoint

[Socket]
ListenStream=${listen}
Accept=yes
MaxConnections=32

[Install]
WantedBy=sockets.target
`;
}

/** The per-connection service unit. */
export const STATE_SERVICE_UNIT = `# Managed by converge (@converge/mariadb-galera).
[Unit]
Description=Galera node state answer

[Service]
ExecStart=${STATE_HTTP_PATH}
StandardInput=socket
StandardOutput=socket
StandardError=journal
TimeoutStartSec=180
`;

/** Name of the handler that restarts the socket after its unit changed. */
export const STATE_SOCKET_HANDLER = 'restart galera-state socket';

/**
 * The tasks that give a node its state endpoint: the read-only state script, a per-connection
 * HTTP wrapper, and a systemd socket (`galera-state.socket`, port 9200 by default). The other
 * nodes read it (`galera.peers`) to decide bootstraps and joins, which is how decisions that need
 * every node's `grastate.dat` are taken without a connection from node to node. It tells
 * anyone who can reach the port the node's state, cluster UUID and seqno (no data, no
 * credentials): listen on the cluster network only. Changed units notify
 * {@link STATE_SOCKET_HANDLER}; add {@link stateEndpointHandlers} to the play's handlers.
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for a port outside 1-65535.
 */
export function galeraStateEndpoint(options: StateEndpointOptions = {}): Task[] {
  const port = options.port ?? DEFAULT_STATE_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConvergeError('CONVERGE_PARAMS', `galeraStateEndpoint: port ${port} is not a TCP port`);
  return [
    copy({ dest: STATE_SCRIPT_PATH, content: STATE_SCRIPT, mode: '0755' }, { name: 'galera state script' }),
    copy({ dest: STATE_HTTP_PATH, content: STATE_HTTP_SCRIPT, mode: '0755' }, { name: 'galera state HTTP answer' }),
    copy({ dest: '/etc/systemd/system/galera-state@.service', content: STATE_SERVICE_UNIT, mode: '0644' }, { name: 'galera-state@.service' }),
    copy({ dest: '/etc/systemd/system/galera-state.socket', content: stateSocketUnit(options), mode: '0644' }, { name: 'galera-state.socket', notify: STATE_SOCKET_HANDLER }),
    systemdService({ name: 'galera-state.socket', state: 'started', enabled: true }),
  ];
}

/** The handler of {@link galeraStateEndpoint}: restarts the socket so a changed port takes effect. */
export function stateEndpointHandlers(): Task[] {
  return [systemdService({ name: 'galera-state.socket', state: 'restarted' }, { name: STATE_SOCKET_HANDLER })];
}

import { ConvergeError, defineFact, sh } from '@converge/core';
import type { RawShell } from '@converge/core';

/** Resource key of HAProxy's runtime state behind one admin socket (a reload resets it). */
export function runtimeResource(socket: string): string {
  return `haproxy-runtime:${socket}`;
}

/**
 * Shell text that sends one command to the runtime API and prints the answer: `socat` (Debian
 * package `socat`) on the UNIX socket, with a 5 s timeout.
 * Source: HAProxy 2.6 management guide §9.3 ("Unix Socket commands").
 */
export function socketQuery(socket: string, command: string): RawShell {
  return sh`printf '%s\\n' ${command} | socat -t 5 - UNIX-CONNECT:${socket} 2>/dev/null`;
}

/** Bits of `srv_admin_state` (HAProxy's `enum srv_admin`, src/server.h; management guide §9.3 `show servers state`). */
export const SRV_ADMF = {
  /** Forced maintenance: `set server … state maint`, or `disabled` in the configuration (with CMAINT). */
  FMAINT: 0x01,
  /** Maintenance inherited from a tracked server. */
  IMAINT: 0x02,
  /** `disabled` in the configuration. */
  CMAINT: 0x04,
  /** Forced drain: `set server … state drain`. */
  FDRAIN: 0x08,
  /** Drain inherited from a tracked server. */
  IDRAIN: 0x10,
  /** Maintenance because the server's address could not be resolved. */
  RMAINT: 0x20,
  /** Maintenance set by the health checks' agent. */
  HMAINT: 0x40,
} as const;

/** The administrative state `set server BACKEND/SERVER state` sets. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** One server of a backend, from `show servers state`. */
export interface ServerState {
  name: string;
  address: string;
  /** `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping. */
  operational: number;
  /** `srv_admin_state` bit field, see {@link SRV_ADMF}. */
  admin: number;
  /** The forced state that `set server … state` controls. */
  state: ServerAdminState;
  /** Current user weight (`srv_uweight`). */
  weight: number;
}

/** What the runtime API says about one backend. */
export type BackendServersState =
  | { status: 'ok'; servers: Record<string, ServerState> }
  | { status: 'no-socket' | 'no-socat' | 'no-backend' | 'error'; message: string };

/** The forced state of a server from its `srv_admin_state` bits (maint wins over drain, as in HAProxy). */
export function adminState(bits: number): ServerAdminState {
  if (bits & SRV_ADMF.FMAINT) return 'maint';
  if (bits & SRV_ADMF.FDRAIN) return 'drain';
  return 'ready';
}

/**
 * Parses the answer to `show servers state BACKEND` (format version 1: a version line, a `#`
 * header naming the columns, one line per server). Columns are found by their header names.
 */
export function parseServersState(stdout: string): BackendServersState {
  const text = stdout.trim();
  if (text.startsWith('NOSOCKET')) return { status: 'no-socket', message: text.slice('NOSOCKET'.length).trim() };
  if (text.startsWith('NOSOCAT')) return { status: 'no-socat', message: 'socat is not installed (the load-balancer role installs it)' };
  if (/^Can't find backend/i.test(text)) return { status: 'no-backend', message: text };
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('#'));
  if (lines[0]?.trim() !== '1' || !header) return { status: 'error', message: text === '' ? 'no answer from the runtime API' : text };
  const cols = header.slice(1).trim().split(/\s+/);
  const at = (name: string) => cols.indexOf(name);
  const servers: Record<string, ServerState> = {};
  for (const line of lines) {
    if (line === '' || line.startsWith('#') || line.trim() === '1') continue;
    const f = line.trim().split(/\s+/);
    const get = (name: string) => f[at(name)] ?? '';
    const admin = Number(get('srv_admin_state'));
    const name = get('srv_name');
    servers[name] = { name, address: get('srv_addr'), operational: Number(get('srv_op_state')), admin, state: adminState(admin), weight: Number(get('srv_uweight')) };
  }
  return { status: 'ok', servers };
}

/** Arguments of {@link haproxyServersState}. */
export interface ServersStateArgs {
  socket: string;
  backend: string;
}

/**
 * Fact `haproxy.servers_state`: the servers of one backend and their administrative state, read
 * from the runtime API with `show servers state BACKEND` (HAProxy 2.6 management guide §9.3).
 * Read-only. A missing socket or socat is a value (`no-socket`, `no-socat`), not an error, so
 * that check mode can plan on a host where an earlier task installs HAProxy.
 */
export const haproxyServersState = defineFact<ServersStateArgs, BackendServersState>({
  name: 'haproxy.servers_state',
  description: 'Servers of a backend and their state, from the HAProxy runtime API.',
  command: ({ socket, backend }) =>
    sh`if [ ! -S ${socket} ]; then echo NOSOCKET ${socket} is not a socket; elif ! command -v socat >/dev/null 2>&1; then echo NOSOCAT; else ${socketQuery(socket, `show servers state ${backend}`)}; fi`,
  parse: (stdout) => parseServersState(stdout),
  resources: ({ socket }) => [runtimeResource(socket), 'package:socat', 'package:haproxy'],
});

/** Throws the error a server-state answer stands for, or returns the servers. */
export function requireServers(state: BackendServersState, backend: string, socket: string): Record<string, ServerState> {
  if (state.status === 'ok') return state.servers;
  const hint =
    state.status === 'no-backend'
      ? 'check the backend name in the configuration (haproxy.config backends[].name)'
      : state.status === 'no-socat'
        ? 'install socat (apt) before this task'
        : `is HAProxy running with a runtime API at ${socket} (haproxy.config runtime_api.path)?`;
  throw new ConvergeError('CONVERGE_PLAN', `haproxy: backend ${backend} via ${socket}: ${state.message}`, { hint });
}

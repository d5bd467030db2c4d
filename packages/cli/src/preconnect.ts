import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionSpec, Transport } from '@converge/core';
import { isSecret, sha256Hex } from '@converge/core/lean';

/** What a run leaves for the next one in its state dir: the playbook it ran and the hosts it reached. */
interface WarmHosts {
  /** sha256 of the playbook file's bytes. */
  playbook: string;
  hosts: string[];
}

const FILE = 'warm-hosts.json';

function holdsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(holdsSecret);
  return v !== null && typeof v === 'object' && Object.values(v).some(holdsSecret);
}

/** sha256 of a file's bytes, hex. */
export function fileSha256(path: string): string {
  return sha256Hex(readFileSync(path));
}

/**
 * The hosts to connect to while the playbook loads: those the last run of the same playbook (same
 * bytes) reached, as recorded in `<state dir>/warm-hosts.json`. None after the playbook changed, or
 * without a record: such a run connects once the playbook is loaded and validated, as always.
 */
export function warmHosts(stateDir: string, playbookSha256: string): string[] {
  try {
    const w = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as WarmHosts;
    return w.playbook === playbookSha256 && Array.isArray(w.hosts) ? w.hosts.filter((h) => typeof h === 'string') : [];
  } catch {
    return [];
  }
}

/** Records the hosts a run of the playbook reached, for {@link warmHosts}. Written atomically; a failure only costs the next run its head start. */
export async function recordWarmHosts(stateDir: string, playbookSha256: string, hosts: string[]): Promise<void> {
  const { atomicWrite } = await import('@converge/core');
  await atomicWrite(join(stateDir, FILE), `${JSON.stringify({ playbook: playbookSha256, hosts } satisfies WarmHosts)}\n`).catch(() => undefined);
}

/**
 * Connections opened while the playbook loads: each host's connection and login shell are set up
 * (no command runs) so that the run's first round trip does not wait for the handshake. The run
 * takes a host's transport when it asks for exactly the same connection spec; whatever it does not
 * take is closed at the end. Hosts whose connection needs a password or a secret are not opened
 * early (their secrets may be lookups resolved later); a host that fails to connect early is
 * simply connected again by the run, which reports the error.
 */
export class EarlyConnections {
  readonly #open = new Map<string, { spec: string; transport: Transport; ready: Promise<boolean> }>();

  /** Starts connecting every spec that qualifies, with `make`; `check` (the run's settings check) must pass first. */
  start(specs: ConnectionSpec[], make: (spec: ConnectionSpec) => Transport, check: (spec: ConnectionSpec) => void): void {
    for (const spec of specs) {
      if (spec.connection !== 'ssh' || spec.password !== undefined || holdsSecret(spec.options)) continue;
      try {
        check(spec);
      } catch {
        continue;
      }
      const transport = make(spec);
      const t = transport as Transport & { openShell?: () => Promise<void> };
      const ready = (t.openShell ? t.openShell() : t.connect()).then(
        () => true,
        () => false,
      );
      this.#open.set(spec.host, { spec: JSON.stringify(spec), transport, ready });
    }
  }

  /** The early transport of `spec.host` when it was opened with the same spec (connected, or still connecting), else undefined. */
  take(spec: ConnectionSpec): Transport | undefined {
    const e = this.#open.get(spec.host);
    if (!e || e.spec !== JSON.stringify(spec)) return undefined;
    this.#open.delete(spec.host);
    return e.transport;
  }

  /** Closes every early connection the run did not take. */
  async close(): Promise<void> {
    const left = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(left.map((e) => e.ready.then(() => e.transport.close()).catch(() => undefined)));
  }
}

import { ConvergeError, defineFact, raw, sh } from '@converge/core';
import { repositoryPaths } from './location.js';
import { captured, NEED_RESTIC, resticIn, splitCaptured } from './restic-shell.js';

/** What `restic cat config` says about a repository. */
export interface RepositoryConfigState {
  /**
   * `initialised`: the config was read; `absent`: no repository there yet; `wrong-password`: a
   * repository whose keys do not open with the password file; `no-env`: converge has not
   * written the repository's env file yet; `no-restic`: restic is not installed; `error`:
   * anything else (unreachable server, refused S3 keys), with restic's message.
   */
  state: 'initialised' | 'absent' | 'wrong-password' | 'no-env' | 'no-restic' | 'error';
  /** Repository id and format version, when initialised. */
  id?: string;
  version?: number;
  message?: string;
}

/** Arguments of {@link resticRepositoryConfig}. */
export interface RepositoryConfigArgs {
  name: string;
  config_dir: string;
}

/**
 * Parses the output of the `restic.repository_config` probe (`rc=N` then restic's output).
 * restic 0.14 exits 1 for every failure, so the kind is read from its messages: "Is there a
 * repository at the following location?" and "wrong password or no key found".
 */
export function parseRepositoryConfig(stdout: string): RepositoryConfigState {
  if (stdout.trim() === 'no-env') return { state: 'no-env' };
  const { rc, out } = splitCaptured(stdout);
  if (rc < 0) throw new ConvergeError('CONVERGE_FACT', 'the restic cat config probe printed no status', { detail: stdout });
  if (rc === 127) return { state: 'no-restic', message: out };
  if (rc === 0) {
    try {
      const cfg = JSON.parse(out) as { id?: unknown; version?: unknown };
      if (typeof cfg.id !== 'string') throw new Error('no id');
      return { state: 'initialised', id: cfg.id, ...(typeof cfg.version === 'number' ? { version: cfg.version } : {}) };
    } catch (e) {
      throw new ConvergeError('CONVERGE_FACT', 'restic cat config printed no repository config', { cause: e, detail: out });
    }
  }
  if (/Is there a repository at the following location\?/.test(out)) return { state: 'absent', message: firstFatal(out) };
  if (/wrong password or no key found/.test(out)) return { state: 'wrong-password', message: firstFatal(out) };
  return { state: 'error', message: firstFatal(out) };
}

function firstFatal(out: string): string {
  return (out.split('\n').find((l) => l.startsWith('Fatal:')) ?? out.split('\n')[0] ?? '').trim();
}

/**
 * Fact `restic.repository_config`: whether the repository named `name` (its env file under
 * `config_dir`) exists and opens, from `restic cat config` (read-only, `--no-lock`).
 */
export const resticRepositoryConfig = defineFact<RepositoryConfigArgs, RepositoryConfigState>({
  name: 'restic.repository_config',
  description: 'State of a restic repository (restic cat config).',
  command: ({ name, config_dir }) => {
    const paths = repositoryPaths(config_dir, name);
    return sh`if [ ! -r ${paths.env} ]; then echo no-env; else ${NEED_RESTIC}; ${captured(resticIn(paths, raw('--no-lock cat config')))}; fi`;
  },
  parse: (stdout) => parseRepositoryConfig(stdout),
  resources: ({ name, config_dir }) => {
    const p = repositoryPaths(config_dir, name);
    return [p.dir, p.sshConfig, `restic:${name}`];
  },
});

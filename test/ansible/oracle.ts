import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Helpers of the Ansible comparison tests: the Ansible commands (the oracle) and the converge CLI. */

export const run = promisify(execFile);

/** The path of an Ansible command, or undefined when ansible-core is not installed. */
export function findAnsible(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** An empty home for Ansible, so that no ansible.cfg or user collections change the results. */
export function ansibleEnv(): NodeJS.ProcessEnv & { ANSIBLE_HOME: string } {
  const home = mkdtempSync(join(tmpdir(), 'converge-ansible-'));
  return {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_HOME: home,
    ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    ANSIBLE_CONFIG: join(home, 'none.cfg'),
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  };
}

/** Runs the converge CLI in-process and returns its exit code and output. */
export { cli as converge } from '../../packages/cli/test/cli-harness.js';

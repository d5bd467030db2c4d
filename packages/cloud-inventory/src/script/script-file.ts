import { access, constants, stat } from 'node:fs/promises';

/**
 * Whether a file is an inventory script: a regular file the current user may execute, as
 * Ansible's `script` inventory plugin decides (ansible-core 2.14,
 * lib/ansible/plugins/inventory/script.py `verify_file`: executable, or starting with `#!`;
 * a file with `#!` that is not executable cannot run, so converge takes only executable ones).
 */
export async function isInventoryScript(file: string): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return false;
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

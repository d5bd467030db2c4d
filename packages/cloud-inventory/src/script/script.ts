import { execFile } from 'node:child_process';
import { ConvergeError, maskText } from '@converge/core';
import type { InventoryDocument } from '../document.js';

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' }, (error, stdout, stderr) => {
      const err = stderr.toString('utf8').trim();
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const how = typeof code === 'number' || code === undefined ? `exited with ${error.code ?? error.signal ?? 'an error'}` : `could not start (${code})`;
        reject(new ConvergeError('CONVERGE_INVENTORY', maskText(`inventory script ${file} ${args.join(' ')} ${how}`), { location: { file }, cause: error, ...(err ? { detail: maskText(err) } : {}), hint: 'run the script by hand with the same arguments to see why it fails' }));
        return;
      }
      const text = new TextDecoder('utf-8', { fatal: true });
      try {
        resolve(text.decode(stdout));
      } catch (e) {
        reject(new ConvergeError('CONVERGE_INVENTORY', `inventory script ${file} printed text that is not UTF-8`, { location: { file }, cause: e }));
      }
    });
  });
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConvergeError('CONVERGE_INVENTORY', `inventory script ${file} ${what} did not print JSON: ${(e as Error).message}`, { location: { file }, cause: e });
  }
}

/**
 * The hosts a `--list` document names, collected as Ansible's script plugin does
 * (`_parse_group`): a group whose value is a list is that list of hosts; a mapping without
 * `hosts`, `vars` or `children` is one host named like the group, with those vars.
 */
export function documentHosts(doc: Record<string, unknown>): string[] {
  const hosts = new Set<string>();
  for (const [group, data] of Object.entries(doc)) {
    if (group === '_meta') continue;
    if (Array.isArray(data)) data.forEach((h) => hosts.add(String(h)));
    else if (data && typeof data === 'object') {
      const d = data as Record<string, unknown>;
      if (!('hosts' in d) && !('vars' in d) && !('children' in d)) hosts.add(group);
      else if (Array.isArray(d['hosts'])) d['hosts'].forEach((h) => hosts.add(String(h)));
    }
  }
  return [...hosts];
}

/**
 * Runs an inventory script with `--list` and returns its document; when the document has no
 * `_meta.hostvars`, runs `--host NAME` for each host, as Ansible's `script` plugin does, and
 * fills `_meta.hostvars` with the answers. The script runs with the controller's environment,
 * from the current directory; its stderr is shown only when it fails.
 * Source: Ansible docs, "Developing dynamic inventory" (`--list`, `--host`, `_meta`).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` when the script fails, prints something other than a
 *   JSON mapping, or prints host vars that are not a mapping.
 */
export async function runInventoryScript(file: string, env: NodeJS.ProcessEnv = process.env): Promise<InventoryDocument> {
  const list = parseJson(await run(file, ['--list'], env), file, '--list');
  if (!list || typeof list !== 'object' || Array.isArray(list)) {
    throw new ConvergeError('CONVERGE_INVENTORY', `inventory script ${file} --list must print a JSON mapping of groups`, { location: { file } });
  }
  const doc = list as Record<string, unknown>;
  const meta = doc['_meta'] as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object' && 'hostvars' in meta) {
    const hv = meta['hostvars'];
    if (!hv || typeof hv !== 'object' || Array.isArray(hv)) throw new ConvergeError('CONVERGE_INVENTORY', `inventory script ${file}: _meta.hostvars must be a mapping of host names to vars`, { location: { file } });
    return doc as InventoryDocument;
  }
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of documentHosts(doc)) {
    const vars = parseJson(await run(file, ['--host', host], env), file, `--host ${host}`);
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) throw new ConvergeError('CONVERGE_INVENTORY', `inventory script ${file} --host ${host} must print a JSON mapping of vars`, { location: { file } });
    hostvars[host] = vars as Record<string, unknown>;
  }
  return { ...doc, _meta: { ...(meta ?? {}), hostvars } } as InventoryDocument;
}

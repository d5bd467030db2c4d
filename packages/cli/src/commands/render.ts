import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConvergeError } from '@converge/core/lean';
import { addHostVarsOptions, loadCliInventory, selectPlay, type HostVarsFlags } from './explain.js';
import { vaultSecretsFrom, type CommandIo } from './vault.js';

/**
 * Registers `converge render -i INV HOST TEMPLATE [-e ...] [--playbook PB.ts --play NAME]`: prints
 * a template as the `template` module would write it for one host, with the host's vars (inventory,
 * play vars, extra vars, magic vars). Secret values are rendered in clear (as the template module
 * writes them), then masked by value in the output unless `--reveal-secrets` is given.
 */
export function registerRender(program: Command, io: CommandIo): void {
  addHostVarsOptions(
    program
      .command('render')
      .description('print a template rendered for one host with its vars')
      .argument('<host>', 'inventory host name')
      .argument('<template>', 'Jinja2 template file'),
  )
    .option('--reveal-secrets', 'print secret values in clear instead of masking them')
    .action(async (host: string, templatePath: string, flags: HostVarsFlags & { revealSecrets?: boolean }) => {
      const [{ maskText }, { renderTemplate }, { selectHosts }, { taskVars }, { parseExtraVars }] = await Promise.all([
        import('@converge/core'),
        import('@converge/template'),
        import('@converge/inventory'),
        import('@converge/engine'),
        import('../extra-vars.js'),
      ]);
      const vaultSecrets = await vaultSecretsFrom(flags);
      const inventory = await loadCliInventory(flags, vaultSecrets);
      if (!inventory.hosts.has(host)) throw new ConvergeError('CONVERGE_OPTIONS', `host ${host} is not in the inventory`, { hint: 'list the hosts with `converge inventory -i INV --list`' });
      const selected = await selectPlay(flags);
      const file = resolve(templatePath);
      const source = await readFile(file, 'utf8').catch((e: unknown) => {
        throw new ConvergeError('CONVERGE_OPTIONS', `cannot read the template ${templatePath}: ${(e as Error).message}`, { cause: e });
      });
      const vars = taskVars({
        inventory,
        host,
        ...(selected?.play.vars ? { playVars: selected.play.vars } : {}),
        extraVars: parseExtraVars(flags.extraVars ?? [], vaultSecrets),
        magic: {
          playbookDir: selected ? dirname(selected.playbookPath) : process.cwd(),
          check: false,
          diff: false,
          playHosts: selected ? selectHosts(inventory, selected.play.hosts) : [host],
        },
      });
      const out = renderTemplate(source, vars, { file: templatePath, searchPaths: [dirname(file)] });
      io.stdout.write(flags.revealSecrets ? out : maskText(out));
    });
}

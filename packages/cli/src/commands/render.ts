import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConvergeError } from '@converge/core';
import { addHostVarsOptions, loadCliInventory, selectPlay, type HostVarsFlags } from './explain.js';
import type { CommandIo } from './vault.js';

/** Replaces every `Secret` in a vars tree with its clear text (templates need the values). */
function revealAll(v: unknown, isSecret: (x: unknown) => x is { reveal(): string }): unknown {
  if (isSecret(v)) return v.reveal();
  if (Array.isArray(v)) return v.map((x) => revealAll(x, isSecret));
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = revealAll(x, isSecret);
    return out;
  }
  return v;
}

/**
 * Registers `converge render -i INV HOST TEMPLATE [-e ...] [--playbook PB.ts --play NAME]`: prints
 * a template as the `template` module would write it for one host, with the host's vars (inventory,
 * play vars, extra vars, magic vars). Secret values are rendered, then masked in the output unless
 * `--reveal-secrets` is given.
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
      const core = await import('@converge/core');
      const { parseExtraVars } = await import('../extra-vars.js');
      const inventory = await loadCliInventory(flags);
      if (!inventory.hosts.has(host)) throw new ConvergeError('CONVERGE_OPTIONS', `host ${host} is not in the inventory`, { hint: 'list the hosts with `converge inventory -i INV --list`' });
      const selected = await selectPlay(flags);
      const file = resolve(templatePath);
      const source = await readFile(file, 'utf8').catch((e: unknown) => {
        throw new ConvergeError('CONVERGE_OPTIONS', `cannot read the template ${templatePath}: ${(e as Error).message}`, { cause: e });
      });
      const vars = core.taskVars({
        inventory,
        host,
        ...(selected?.play.vars ? { playVars: selected.play.vars } : {}),
        extraVars: parseExtraVars(flags.extraVars ?? []),
        magic: {
          playbookDir: selected ? dirname(selected.playbookPath) : process.cwd(),
          check: false,
          diff: false,
          playHosts: selected ? core.selectHosts(inventory, selected.play.hosts) : [host],
        },
      });
      const out = core.renderTemplate(source, revealAll(vars, core.isSecret) as Record<string, unknown>, { file: templatePath, searchPaths: [dirname(file)] });
      io.stdout.write(flags.revealSecrets ? out : core.maskText(out));
    });
}

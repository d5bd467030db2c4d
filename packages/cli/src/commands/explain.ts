import { relative } from 'node:path';
import type { Command } from 'commander';
import type { Inventory, VaultCliOptions, VaultSecret } from '@converge/inventory';
import type { Play } from '@converge/core';
import { ConvergeError } from '@converge/core/lean';
import { addVaultOptions, vaultSecretsFrom, type CommandIo } from './vault.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flags shared by the commands that look at one host's vars (`explain`, `render`). */
export interface HostVarsFlags extends VaultCliOptions {
  inventory: string[];
  extraVars?: string[];
  playbook?: string;
  play?: string;
}

/** Adds `-i`, `-e`, `--playbook`, `--play` and the vault options. */
export function addHostVarsOptions(cmd: Command): Command {
  return addVaultOptions(
    cmd
      .requiredOption('-i, --inventory <path>', 'inventory file or directory; repeatable', collect)
      .option('-e, --extra-vars <vars>', 'key=value, a JSON/YAML mapping, or @file; repeatable', collect)
      .option('--playbook <file>', 'playbook whose play vars to include')
      .option('--play <name>', 'the play of --playbook (needed when it has several)'),
  );
}

/** Loads the inventory (TypeScript through jiti, vault files decrypted, cloud sources) for a host-vars command. */
export async function loadCliInventory(flags: HostVarsFlags, vaultSecrets?: VaultSecret[]): Promise<Inventory> {
  const { loadCliInventory: load } = await import('../inventory-sources.js');
  return load(flags.inventory, { vaultSecrets: vaultSecrets ?? (await vaultSecretsFrom(flags)), stderr: process.stderr });
}

/** Finds the play named by `--play` in `--playbook` (or its only play). */
export async function selectPlay(flags: HostVarsFlags): Promise<{ play: Play; playbookPath: string } | undefined> {
  if (!flags.playbook) {
    if (flags.play) throw new ConvergeError('CONVERGE_OPTIONS', '--play goes with --playbook');
    return undefined;
  }
  const { loadPlaybook } = await import('../load-playbook.js');
  const { playbook, path } = await loadPlaybook(flags.playbook);
  const names = playbook.plays.map((p) => p.name);
  const play = flags.play === undefined ? (playbook.plays.length === 1 ? playbook.plays[0] : undefined) : playbook.plays.find((p) => p.name === flags.play);
  if (!play) {
    throw new ConvergeError('CONVERGE_OPTIONS', flags.play === undefined ? `${flags.playbook} has ${names.length} plays; choose one with --play` : `${flags.playbook} has no play named ${JSON.stringify(flags.play)}`, {
      hint: `plays: ${names.map((n) => JSON.stringify(n)).join(', ')}`,
    });
  }
  return { play, playbookPath: path };
}

function show(v: unknown, mask: (v: unknown) => unknown): string {
  return JSON.stringify(mask(v)) ?? 'undefined';
}

/**
 * Registers `converge explain -i INV HOST VAR [-e ...] [--playbook PB.ts --play NAME]`: the value
 * of a variable on a host and every source that defines it, lowest precedence first, the winner
 * marked `*`. `--json` prints the {@link import('../explain/explain-var.js').VarExplanation} instead.
 */
export function registerExplain(program: Command, io: CommandIo): void {
  addHostVarsOptions(
    program
      .command('explain')
      .description('print the value of a variable on a host and every source that defines it, winner marked')
      .argument('<host>', 'inventory host name')
      .argument('<var>', 'variable name'),
  )
    .option('--json', 'print the explanation as JSON')
    .action(async (host: string, name: string, flags: HostVarsFlags & { json?: boolean }) => {
      const [{ explainVar }, { maskText, maskValue }, { selectHosts }, { parseExtraVars }] = await Promise.all([
        import('../explain/explain-var.js'),
        import('@converge/core'),
        import('@converge/inventory'),
        import('../extra-vars.js'),
      ]);
      const vaultSecrets = await vaultSecretsFrom(flags);
      const inventory = await loadCliInventory(flags, vaultSecrets);
      if (!inventory.hosts.has(host)) throw new ConvergeError('CONVERGE_OPTIONS', `host ${host} is not in the inventory`, { hint: 'list the hosts with `converge inventory -i INV --list`' });
      const selected = await selectPlay(flags);
      const extraVars = parseExtraVars(flags.extraVars ?? [], vaultSecrets);
      const ex = explainVar({
        inventory,
        host,
        name,
        extraVars,
        ...(selected?.play.vars ? { playVars: selected.play.vars, playName: selected.play.name } : {}),
        magic: { playHosts: selected ? selectHosts(inventory, selected.play.hosts) : [] },
      });
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(maskValue(ex), null, 2)}\n`);
        return;
      }
      if (!ex.defined) {
        io.stdout.write(`${host}: ${name} is not defined\n`);
        return;
      }
      const lines = [`${host}: ${name} = ${show(ex.value, maskValue)}`];
      if (ex.rendered) lines.push(ex.rendered.ok ? `  rendered: ${show(ex.rendered.value, maskValue)}` : `  cannot be rendered: ${maskText(ex.rendered.error)}`);
      lines.push('sources, lowest precedence first (* wins):');
      for (const s of ex.sources) {
        const where = s.files ? ` [${s.files.map((f) => relative(process.cwd(), f) || f).join(', ')}]` : '';
        lines.push(`  ${s.winner ? '*' : ' '} ${s.label}${where}: ${show(s.value, maskValue)}`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    });
}

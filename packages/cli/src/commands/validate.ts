import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { ConnectionSpec } from '@converge/core';
import { ConvergeError, formatLocation, isConvergeError, maskText } from '@converge/core/lean';
import { ExitCode } from '../exit-codes.js';
import type { TypeCheckResult } from '../type-check.js';
import { addVaultOptions, vaultSecretsFrom, type CommandIo } from './vault.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const collectList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

interface ValidateFlags {
  inventory: string[];
  extraVars?: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  typeCheck: boolean;
  output: 'pretty' | 'json';
  dataResidency?: string;
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

/** One problem `converge validate` found, as `--output json` lists it. */
export interface ValidationProblem {
  /** `CONVERGE_PARAMS`, `CONVERGE_VARS`, ... or the TypeScript compiler's `TS2339`. */
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  hint?: string;
}

/**
 * The `--output json` document of `converge validate`: `ok`, every problem with its location,
 * the warnings a run would print, how many hosts and task rows were checked, and the type-check
 * (TypeScript version, tsconfig used, milliseconds).
 */
export interface ValidationReport {
  ok: boolean;
  playbook: string;
  inventory: string[];
  hosts: number;
  tasks: { prepared: number; atTheirTurn: number };
  typeCheck: { ran: false } | { ran: true; typescript: string; tsconfig?: string; files: number; durationMs: number };
  problems: ValidationProblem[];
  warnings: string[];
}

/**
 * Registers `converge validate -i INVENTORY PLAYBOOK.ts`: everything a run checks before it
 * contacts a host, without contacting any, plus a type-check of the playbook with the TypeScript
 * compiler. The inventory is loaded (and must hold hosts), the playbook type-checked (errors with
 * file:line:column) and loaded, every host's vars resolved and checked against the vars the
 * plays and roles declare, every task's params validated (templates rendered), each host's
 * connection settings checked, and `--data-residency` applied. Every problem found is reported,
 * not only the first; exit code 0 when there is none, 4 (a parse error, as ansible-playbook's
 * `--syntax-check`) otherwise, 5 for bad options. `--output json` prints a
 * {@link ValidationReport} for a CI step.
 */
export function registerValidate(program: Command, io: CommandIo & { setExitCode: (code: number) => void }): void {
  addVaultOptions(
    program
      .command('validate')
      .description('check a playbook against an inventory without contacting any host: types, vars, params, templates, connection settings')
      .argument('<playbook>', 'TypeScript playbook')
      .requiredOption('-i, --inventory <path>', 'inventory file or directory; repeatable', collect)
      .option('-e, --extra-vars <vars>', 'key=value, a JSON/YAML mapping, or @file; repeatable', collect)
      .option('-l, --limit <pattern>', 'only these hosts (Ansible pattern)')
      .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated, repeatable)', collectList)
      .option('--skip-tags <tags>', 'skip tasks with these tags', collectList)
      .option('--no-type-check', 'do not type-check the playbook with the TypeScript compiler')
      .addOption(new Option('--data-residency <policy>', 'also check that every host and endpoint is in the EU').choices(['eu']))
      .addOption(new Option('-o, --output <format>', 'output format').choices(['pretty', 'json']).default('pretty')),
  ).action(async (playbookPath: string, flags: ValidateFlags) => {
    const report = await validate(playbookPath, flags, io.stderr);
    if (flags.output === 'json') io.stdout.write(`${maskText(JSON.stringify(report, null, 2))}\n`);
    else printReport(report, io);
    io.setExitCode(report.ok ? ExitCode.ok : ExitCode.parseError);
  });
}

async function validate(playbookArg: string, flags: ValidateFlags, stderr: NodeJS.WritableStream): Promise<ValidationReport> {
  const problems: ValidationProblem[] = [];
  const add = (e: unknown): void => {
    if (!isConvergeError(e)) throw e;
    problems.push({
      code: e.code,
      message: e.message,
      ...(e.location ? { file: e.location.file, ...(e.location.line !== undefined ? { line: e.location.line } : {}), ...(e.location.column !== undefined ? { column: e.location.column } : {}) } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    });
  };
  const report: ValidationReport = {
    ok: false,
    playbook: resolve(playbookArg),
    inventory: flags.inventory.map((i) => resolve(i)),
    hosts: 0,
    tasks: { prepared: 0, atTheirTurn: 0 },
    typeCheck: { ran: false },
    problems,
    warnings: [],
  };
  const [{ loadCliInventory }, { loadPlaybook }] = await Promise.all([import('../inventory-sources.js'), import('../load-playbook.js')]);
  const vaultSecrets = await vaultSecretsFrom(flags);
  let inventory: import('@converge/inventory').Inventory | undefined;
  try {
    inventory = await loadCliInventory(flags.inventory, { vaultSecrets, stderr });
    report.hosts = inventory.hosts.size;
    if (inventory.hosts.size === 0) {
      add(
        new ConvergeError('CONVERGE_INVENTORY', `the inventory ${flags.inventory.join(', ')} has no hosts`, {
          location: { file: resolve(flags.inventory[0] as string) },
          hint: 'check the path, and that each source lists hosts (a cloud source with filters that match no server yields none); converge inventory -i INVENTORY --graph shows what was read',
        }),
      );
    }
  } catch (e) {
    add(e);
  }
  if (flags.typeCheck) {
    const { typeCheckPlaybook } = await import('../type-check.js');
    const t0 = performance.now();
    try {
      const result: TypeCheckResult = typeCheckPlaybook(playbookArg);
      report.typeCheck = { ran: true, typescript: result.version, ...(result.tsconfig ? { tsconfig: result.tsconfig } : {}), files: result.files, durationMs: Math.round(performance.now() - t0) };
      for (const p of result.problems) {
        problems.push({ code: p.code, message: p.message, ...(p.location ? { file: p.location.file, line: p.location.line ?? 1, column: p.location.column ?? 1 } : {}) });
      }
    } catch (e) {
      add(e);
    }
  }
  let loaded: Awaited<ReturnType<typeof loadPlaybook>> | undefined;
  try {
    loaded = await loadPlaybook(playbookArg);
  } catch (e) {
    add(e);
  }
  if (inventory && inventory.hosts.size > 0 && loaded) {
    try {
      const [{ validatePlaybook }, { resolveVaultLookups }, { checkSshConnection }] = await Promise.all([import('@converge/engine'), import('../vault/resolve.js'), import('@converge/ssh')]);
      const extraVars: Record<string, unknown> = flags.extraVars?.length ? (await import('../extra-vars.js')).parseExtraVars(flags.extraVars, vaultSecrets) : {};
      if (flags.dataResidency) extraVars['dataResidency'] = flags.dataResidency;
      await resolveVaultLookups([loaded.playbook, inventory, extraVars]);
      const inv = inventory;
      const result = await validatePlaybook({
        playbook: loaded.playbook,
        playbookPath: loaded.path,
        inventory: inv,
        extraVars,
        ...(flags.limit ? { limit: flags.limit } : {}),
        ...(flags.tags ? { tags: flags.tags } : {}),
        ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
        checkConnection: (spec: ConnectionSpec) => {
          if (spec.connection === 'ssh') checkSshConnection(spec, {});
        },
        beforeConnect: async (targets) => {
          const [{ assertResidency }, { hostVars }] = await Promise.all([import('@converge/cloud-inventory'), import('@converge/inventory')]);
          assertResidency(targets, { hosts: new Map([...inv.hosts.keys()].map((h) => [h, hostVars(inv, h)])) });
        },
      });
      for (const p of result.problems) add(p);
      report.warnings = result.warnings.map((w) => maskText(w));
      report.tasks = result.tasks;
    } catch (e) {
      add(e);
    }
  }
  report.ok = problems.length === 0;
  return report;
}

function printReport(report: ValidationReport, io: CommandIo): void {
  const cwd = process.cwd();
  const rel = (f: string) => relative(cwd, f) || f;
  for (const w of report.warnings) io.stderr.write(`converge: warning: ${w}\n`);
  for (const p of report.problems) {
    const location = p.file ? formatLocation({ file: rel(p.file), ...(p.line !== undefined ? { line: p.line } : {}), ...(p.column !== undefined ? { column: p.column } : {}) }) : undefined;
    let text = p.code.startsWith('TS') ? `${location ? `${location}: ` : ''}error ${p.code}: ${p.message}` : `converge: error [${p.code}] ${p.message}${location ? `\n  at ${location}` : ''}`;
    if (p.hint) text += `\n  hint: ${p.hint}`;
    io.stderr.write(`${maskText(text)}\n`);
  }
  const typed = report.typeCheck.ran ? `, type-checked with TypeScript ${report.typeCheck.typescript} in ${(report.typeCheck.durationMs / 1000).toFixed(1)} s` : ', not type-checked';
  const what = `${rel(report.playbook)} with ${report.inventory.map(rel).join(', ')}: ${report.hosts} host${report.hosts === 1 ? '' : 's'}, ${report.tasks.prepared} task${report.tasks.prepared === 1 ? '' : 's'} checked${report.tasks.atTheirTurn ? ` (${report.tasks.atTheirTurn} more read facts or registered results and are checked when they run)` : ''}${typed}`;
  io.stdout.write(report.ok ? `valid: ${what}\n` : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}: ${what}\n`);
}

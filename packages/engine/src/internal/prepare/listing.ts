import { ConvergeError } from '@converge/core';
import type { Inventory } from '@converge/inventory';
import { selectHosts } from '@converge/inventory';
import { isBlock, type TaskListItem } from '@converge/core';
import type { Task } from '@converge/core';
import type { Playbook, RoleDefinition } from '@converge/core';
import { tagSelected } from './tag-selection.js';
import { defaultName } from './task-names.js';

/** What {@link listPlaybook} prints, and the selections that apply. */
export interface ListOptions {
  /** `--list-hosts`: each play's pattern and hosts (after `limit`). */
  hosts?: boolean;
  /** `--list-tasks`: each play's tasks that the tags select, with their tags. */
  tasks?: boolean;
  /** `--list-tags`: the tags of each play and of its selected tasks. */
  tags?: boolean;
  limit?: string;
  /** `--tags` and `--skip-tags`, applied as in a run. */
  selectTags?: string[];
  skipTags?: string[];
}

/**
 * The text ansible-playbook prints for `--list-hosts`, `--list-tasks` and `--list-tags`
 * (`playbook: FILE`, then per play `play #N (PATTERN): NAME<TAB>TAGS: [...]` and the lists),
 * computed from the playbook and the inventory alone: no host is contacted and no task is
 * evaluated. A task whose name comes from params given as a function shows its module name,
 * as Ansible shows a task without a name by its action. Roles' tasks come first, as they run.
 * Source: ansible-core `lib/ansible/cli/playbook.py`.
 *
 * @param displayPath the playbook path as the user gave it.
 * @throws ConvergeError `CONVERGE_OPTIONS` when `limit` matches no host, or for a bad pattern.
 */
export function listPlaybook(playbook: Playbook, displayPath: string, inventory: Inventory, options: ListOptions): string {
  const limited = options.limit ? new Set(selectHosts(inventory, options.limit)) : undefined;
  if (limited && limited.size === 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--limit ${JSON.stringify(options.limit)} matches no host of the inventory`, { hint: 'check the pattern with `converge inventory -i INVENTORY --list`' });
  }
  let out = `\nplaybook: ${displayPath}\n`;
  playbook.plays.forEach((play, i) => {
    const playTags = [...new Set(play.tags ?? [])].sort();
    let msg = `\n  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${playTags.join(',')}]`;
    if (options.hosts) {
      const hosts = selectHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h));
      msg += `\n    pattern: ['${play.hosts}']\n    hosts (${hosts.length}):`;
      for (const h of hosts) msg += `\n      ${h}`;
    }
    out += `${msg}\n`;
    if (!options.tasks && !options.tags) return;
    const items: TaskListItem[] = [...(play.roles ?? []).flatMap((use) => ('role' in use ? use.role : (use as RoleDefinition)).tasks), ...(play.tasks ?? [])];
    let taskMsg = options.tasks ? '    tasks:\n' : '';
    const allTags = new Set<string>();
    const walk = (list: readonly TaskListItem[], inherited: string[]) => {
      for (const item of list) {
        if (isBlock(item)) {
          const tags = [...inherited, ...(item.options.tags ?? [])];
          walk(item.tasks, tags);
          walk(item.options.rescue ?? [], tags);
          walk(item.options.always ?? [], tags);
          continue;
        }
        const task = item as Task;
        if (!task || task.kind !== 'task') continue;
        const own = [...inherited, ...(task.options.tags ?? [])];
        if (!tagSelected([...playTags, ...own], options.selectTags, options.skipTags)) continue;
        for (const t of own) allTags.add(t);
        if (options.tasks) {
          const tags = [...new Set([...playTags, ...own])].sort();
          taskMsg += `      ${taskName(task)}\tTAGS: [${tags.join(', ')}]\n`;
        }
      }
    };
    walk(items, []);
    if (options.tags) taskMsg += `      TASK TAGS: [${[...new Set([...playTags, ...allTags])].sort().join(', ')}]\n`;
    out += `${taskMsg}\n`;
  });
  return out;
}

function taskName(task: Task): string {
  if (task.options.name) return task.options.name;
  return typeof task.params === 'function' ? task.module.name : defaultName(task.module, task.params);
}

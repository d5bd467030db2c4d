export { command, shell, CommandParams, ShellParams } from './command/command.js';
export { commandPathExists } from './command/path-exists.js';
export type { PathExists, PathExistsArgs } from './command/path-exists.js';
export { shlexSplit } from './command/shlex.js';

#!/usr/bin/env node
// Builds the workspace: every package with a tsconfig.json (`tsc -b` orders them by their
// project references), then the bundles the packages declare (scripts/bundle.mjs), then a
// type-check of the examples (tsconfig.examples.json). Packages are found, not listed:
// see scripts/workspace.mjs.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, typescriptProjects, workspacePackages } from './workspace.mjs';

const tsc = join(REPO_ROOT, 'node_modules/.bin/tsc');
const projects = typescriptProjects(workspacePackages());
const run = (cmd, args) => execFileSync(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit' });
run(tsc, ['-b', ...projects]);
run(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs')]);
run(tsc, ['-p', 'tsconfig.examples.json']);

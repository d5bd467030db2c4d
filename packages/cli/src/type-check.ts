import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { ConvergeError, type SourceLocation } from '@converge/core/lean';
import { checkoutPackages } from './load-playbook.js';

/** One error of the TypeScript compiler in a playbook or a file it imports. */
export interface TypeProblem {
  /** `TS2339`. */
  code: string;
  message: string;
  location?: SourceLocation;
}

/** What {@link typeCheckPlaybook} did. */
export interface TypeCheckResult {
  problems: TypeProblem[];
  /** The tsconfig.json whose compiler options were used, or undefined for converge's defaults. */
  tsconfig?: string;
  /** The TypeScript version that checked. */
  version: string;
  /** Source files the program read (the playbook, what it imports, declaration files). */
  files: number;
}

/**
 * Compiler options without a tsconfig.json: strict, and module resolution as bundlers (and jiti,
 * which loads the playbook) do, so a playbook anywhere resolves its imports by the packages'
 * `exports` and `types`.
 */
const DEFAULT_OPTIONS = {
  strict: true,
  noEmit: true,
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  esModuleInterop: true,
  resolveJsonModule: true,
  isolatedModules: true,
};

/**
 * Type-checks a playbook (and the files it imports) with the TypeScript compiler, emitting
 * nothing. The compiler options are those of the nearest `tsconfig.json` above the playbook (its
 * `files`/`include` are not used: the program is the playbook and its imports), else strict
 * defaults. TypeScript is loaded from the playbook's folder (the playbook repository's
 * devDependency), else from beside the CLI.
 *
 * @returns every error (warnings and suggestions are not errors), with file, line and column.
 * @throws ConvergeError `CONVERGE_OPTIONS` when no `typescript` package can be found, and
 *   `CONVERGE_PLAYBOOK` when the tsconfig.json cannot be read.
 */
export function typeCheckPlaybook(playbookPath: string): TypeCheckResult {
  const file = resolve(playbookPath);
  const ts = loadTypeScript(dirname(file));
  const tsconfig = ts.findConfigFile(dirname(file), (f) => ts.sys.fileExists(f));
  let options: import('typescript').CompilerOptions;
  if (tsconfig) {
    const diagnostics: import('typescript').Diagnostic[] = [];
    const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => diagnostics.push(d) });
    if (!parsed || diagnostics.length > 0) {
      throw new ConvergeError('CONVERGE_PLAYBOOK', `cannot read ${tsconfig}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`, { location: { file: tsconfig } });
    }
    options = parsed.options;
  } else {
    options = ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, dirname(file)).options;
  }
  // A checkout's CLI gives a playbook outside the repository its packages (see loadPlaybook): the
  // type-check resolves them the same way, unless the project maps paths itself.
  const checkout = checkoutPackages();
  if (checkout.size > 0 && options.paths === undefined) options = { ...options, paths: Object.fromEntries([...checkout].map(([name, { dir }]) => [name, [dir]])) };
  // Nothing is written, whatever the project's settings say about output.
  options = { ...options, noEmit: true, composite: false, incremental: false, declaration: false, declarationMap: false, emitDeclarationOnly: false, tsBuildInfoFile: undefined, rootDir: undefined, outDir: undefined };
  const program = ts.createProgram({ rootNames: [file], options });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d): TypeProblem => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return { code: `TS${d.code}`, message };
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return { code: `TS${d.code}`, message, location: { file: d.file.fileName, line: line + 1, column: character + 1 } };
    });
  return { problems, ...(tsconfig ? { tsconfig } : {}), version: ts.version, files: program.getSourceFiles().length };
}

/** `file:line:column: error TS2339: message`, the file relative to `cwd`, as tsc prints it. */
export function formatTypeProblem(p: TypeProblem, cwd = process.cwd()): string {
  const where = p.location ? `${relative(cwd, p.location.file) || p.location.file}:${p.location.line ?? 1}:${p.location.column ?? 1}: ` : '';
  return `${where}error ${p.code}: ${p.message}`;
}

function loadTypeScript(fromDir: string): typeof import('typescript') {
  for (const base of [join(fromDir, 'package.json'), import.meta.url]) {
    try {
      const req = createRequire(base);
      return req(req.resolve('typescript')) as typeof import('typescript');
    } catch {
      // not there: try the next place
    }
  }
  const hasManifest = existsSync(join(fromDir, 'package.json'));
  throw new ConvergeError('CONVERGE_OPTIONS', 'the type-check needs the typescript package, which is not installed beside the playbook or the converge command', {
    hint: hasManifest ? 'npm install --save-dev typescript' : 'install typescript in the playbook repository (npm install --save-dev typescript)',
  });
}

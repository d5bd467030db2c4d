import type { Secret } from '@converge/core';

/**
 * A module's case in the sandboxed fuzz test (test/security/fuzz.test.ts): minimal valid params,
 * and for each string param that reaches a shell, a function putting a hostile value into it.
 */
export interface FuzzCase {
  base: Record<string, unknown>;
  targets: Record<string, (value: string) => Record<string, unknown>>;
}

/** What a package's cases are built from: the sandbox's data directory and a Secret maker. */
export interface FuzzContext {
  /** A writable directory of the sandbox; paths in params go below it. */
  dataDir: string;
  secret(value: string): Secret;
}

/**
 * A package's fuzz cases (`packages/<name>/test/fuzz-cases.ts`, default export): the programs
 * its probes and applies call (replaced by stubs that record their argv, since the services are
 * not installed on the controller) and one case per module id the package exports. The fuzz test
 * finds the file by itself: a new package needs no entry anywhere else.
 */
export interface PackageFuzzCases {
  programs: string[];
  cases(ctx: FuzzContext): Record<string, FuzzCase>;
}

/** Typed identity for a package's `test/fuzz-cases.ts`. */
export function defineFuzzCases(cases: PackageFuzzCases): PackageFuzzCases {
  return cases;
}

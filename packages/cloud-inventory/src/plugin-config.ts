import { ConvergeError, type SourceLocation } from '@converge/core';

/**
 * The settings of one inventory source file (`plugin: ovh` ...), read strictly: every key must
 * be one the plugin knows, so that nothing an operator wrote is silently ignored.
 */
export class PluginConfig {
  readonly file: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly #locate: (path: (string | number)[]) => SourceLocation;

  /**
   * @param values the file's mapping as plain values (decrypted `!vault` values are Secrets).
   * @param locate `file:line:column` of a key path; default the file itself.
   */
  constructor(file: string, values: Record<string, unknown>, locate?: (path: (string | number)[]) => SourceLocation) {
    this.file = file;
    this.values = values;
    this.#locate = locate ?? (() => ({ file }));
  }

  /** Location of a key, for errors. */
  at(...path: (string | number)[]): SourceLocation {
    return this.#locate(path);
  }

  /** An inventory error at a key. */
  error(message: string, path: (string | number)[], hint?: string): ConvergeError {
    return new ConvergeError('CONVERGE_INVENTORY', message, { location: this.#locate(path), ...(hint ? { hint } : {}) });
  }

  /** @throws ConvergeError `CONVERGE_INVENTORY` naming the first key not in `known`. */
  onlyKeys(known: readonly string[]): void {
    for (const k of Object.keys(this.values)) {
      if (!known.includes(k)) throw this.error(`unknown setting "${k}" for plugin ${String(this.values['plugin'])}`, [k], `known settings: ${known.join(', ')}`);
    }
  }

  string(key: string, fallback?: string): string | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || v === '') throw this.error(`${key} must be a non-empty string`, [key]);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const v = this.string(key, fallback) as string;
    if (!choices.includes(v as T)) throw this.error(`${key} must be one of ${choices.join(', ')} (got "${v}")`, [key]);
    return v as T;
  }

  number(key: string, fallback: number, min = 0): number {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw this.error(`${key} must be a number >= ${min}`, [key]);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.error(`${key} must be true or false`, [key]);
    return v;
  }

  /** A list of non-empty strings (a single string is a list of one). */
  strings(key: string, fallback: string[] = []): string[] {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')) throw this.error(`${key} must be a list of non-empty strings`, [key]);
    return list as string[];
  }
}

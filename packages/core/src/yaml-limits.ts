/**
 * How many times YAML aliases may be expanded while a document becomes data (the `yaml`
 * package's `maxAliasCount`, which weighs nested aliases): enough for any real inventory or vars
 * file, far too few for a "billion laughs" document, which expands aliases exponentially.
 * Source: yaml 2.x documentation, ToJS options.
 */
export const YAML_MAX_ALIAS_COUNT = 10_000;

/** Whether `e` is the `yaml` package's refusal of a document that expands aliases beyond {@link YAML_MAX_ALIAS_COUNT}. */
export function isYamlAliasBomb(e: unknown): boolean {
  return e instanceof Error && /Excessive alias count/i.test(e.message);
}

/** The message for a document refused by {@link isYamlAliasBomb}. */
export const YAML_ALIAS_BOMB_MESSAGE = `the YAML expands aliases more than ${YAML_MAX_ALIAS_COUNT} times (a "billion laughs" document?); refusing to expand it`;

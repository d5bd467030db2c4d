import { Scalar, isScalar, parseDocument, visit } from 'yaml';
import { PyFloat } from './python-value.js';
import { isYamlAliasBomb, YAML_ALIAS_BOMB_MESSAGE, YAML_MAX_ALIAS_COUNT } from '@converge/core';

/**
 * Parses YAML variables (a vars file, `from_yaml` input) as Ansible sees them: YAML 1.1
 * (`yes`/`no`/`on`/`off` are booleans, `y`/`n` are strings as in PyYAML) and whole-number floats such as `2.0` kept as {@link PyFloat}, so
 * they render as `2.0` like in Ansible. Source: YAML 1.1 spec; PyYAML `resolver.py`.
 *
 * @throws Error with the YAML parser's message on invalid YAML, or when aliases expand more than
 * {@link YAML_MAX_ALIAS_COUNT} times.
 */
export function parseYamlVars(text: string): unknown {
  const doc = parseDocument(text, { version: '1.1' });
  if (doc.errors.length > 0) throw doc.errors[0] ?? new Error('invalid YAML');
  visit(doc, {
    Scalar(_key, node) {
      // The yaml package's 1.1 schema reads y/n as booleans; PyYAML (Ansible) keeps them strings.
      if (isScalar(node) && typeof node.value === 'boolean' && typeof node.source === 'string' && /^[yYnN]$/.test(node.source)) return new Scalar(node.source);
      if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value) && typeof node.source === 'string' && /^[-+]?(\d[\d_]*)?\.[\d_]*([eE][-+]?\d+)?$|^[-+]?\d[\d_]*[eE][-+]?\d+$/.test(node.source)) {
        return new Scalar(new PyFloat(node.value));
      }
      return undefined;
    },
  });
  try {
    return doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    if (isYamlAliasBomb(e)) throw new Error(YAML_ALIAS_BOMB_MESSAGE, { cause: e });
    throw e;
  }
}

/**
 * Jinja2/Ansible-compatible template rendering on nunjucks 3.2.4.
 *
 * @module
 */
export { renderTemplate, renderString, evaluateExpression, isTemplated } from './render.js';
export type { RenderOptions } from './render.js';
export { PyFloat } from './python-value.js';
export { parseYamlVars } from './yaml-vars.js';
export { registerLookup } from './globals.js';
export type { LookupPlugin, LookupContext } from './globals.js';

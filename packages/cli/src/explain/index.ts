/**
 * `converge explain`: where a variable's value comes from.
 *
 * @module
 */
export { explainVar } from './explain-var.js';
export type { VarExplanation, VarSource, VarSourceKind, ExplainInput } from './explain-var.js';

export { main } from './main.js';
export { ExitCode } from './exit-codes.js';
export { loadPlaybook } from './load-playbook.js';
export { parseExtraVars } from './extra-vars.js';
export { PrettyReporter } from './output/pretty.js';
export { renderJson } from './output/json.js';
export { renderJunit } from './output/junit.js';

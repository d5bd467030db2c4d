/**
 * @converge/loki-agent: Grafana Alloy shipping the systemd journal and log files to Loki
 * (`alloy.config`), with Grafana's APT repository described by {@link GRAFANA_APT}.
 */
import { alloyConfig } from './config.js';

export { alloyConfig, AlloyConfigParams } from './config.js';
export type { AlloyConfigPlan } from './config.js';
export { AlloyLogsConfig, Labels, RelabelRule, Multiline, renderAlloyConfig, configProblems, secretPath } from './alloy-config.js';

/** The Alloy family: `alloy.config`. */
export const alloy: { readonly config: typeof alloyConfig } = { config: alloyConfig };

/**
 * Grafana's APT repository (https://apt.grafana.com, suite `stable`, component `main`), as
 * `apt.repository` params without the key: Grafana publishes its signing key at
 * https://apt.grafana.com/gpg.key (ASCII-armored); save it beside the playbook and pass it as
 * `key_src` (or its text as `key`), so the host never fetches a key itself.
 */
export const GRAFANA_APT = { name: 'grafana', uris: ['https://apt.grafana.com'], suites: ['stable'], components: ['main'] } as const;

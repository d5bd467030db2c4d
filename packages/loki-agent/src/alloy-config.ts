import { SecretValue, Type } from '@converge/core';
import type { Static } from '@converge/core';

const NAME = '^[a-z][a-z0-9_]*$';
const LABEL = '^[a-zA-Z_][a-zA-Z0-9_]*$';

/** Labels: Loki label names (`[a-zA-Z_][a-zA-Z0-9_]*`) to values; any other name is refused. */
export function Labels(description: string) {
  return Type.Record(Type.String({ pattern: LABEL }), Type.String(), { additionalProperties: false, description });
}

/** One relabel rule (Alloy `rule` block of `loki.relabel`, Prometheus relabel_config semantics). */
export const RelabelRule = Type.Object(
  {
    source_labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Labels whose values, joined by `separator`, are matched against `regex`, e.g. `__journal__systemd_unit`.' })),
    separator: Type.Optional(Type.String({ description: 'Joins the source label values; Alloy default `;`.' })),
    regex: Type.Optional(Type.String({ description: 'RE2 regular expression, anchored at both ends; Alloy default `(.*)`.' })),
    target_label: Type.Optional(Type.String({ pattern: LABEL, description: 'Label to write (actions replace, hashmod).' })),
    replacement: Type.Optional(Type.String({ description: 'Value written, with `$1`-style references to regex groups; Alloy default `$1`.' })),
    action: Type.Optional(
      Type.Union(
        ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'].map((a) => Type.Literal(a)),
        { description: 'What the rule does; Alloy default `replace`.' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Alloy `stage.multiline`: lines that do not match `firstline` belong to the entry before. */
export const Multiline = Type.Object(
  {
    firstline: Type.String({ minLength: 1, description: 'RE2 expression matching the first line of an entry, e.g. `^\\d{4}-\\d{2}-\\d{2}`.' }),
    max_wait_time: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m)$', description: 'How long to wait for more lines of an entry; Alloy default `3s`.' })),
    max_lines: Type.Optional(Type.Integer({ minimum: 1, description: 'Most lines in one entry; Alloy default 128.' })),
  },
  { additionalProperties: false },
);

/** The agent's configuration: sources, relabelling, processing and Loki endpoints. */
export const AlloyLogsConfig = Type.Object(
  {
    labels: Type.Optional(Labels('Labels on every entry sent (`external_labels` of each endpoint), e.g. `{ host: "web1", environment: "production" }`.')),
    journal: Type.Optional(
      Type.Object(
        {
          labels: Type.Optional(Labels('Labels of journal entries, e.g. `{ job: "systemd-journal" }`.')),
          max_age: Type.Optional(Type.String({ pattern: '^[0-9]+(s|m|h)$', description: 'Oldest entries read at first start; Alloy default `7h`.' })),
          matches: Type.Optional(Type.String({ description: 'journalctl-style matches, e.g. `_SYSTEMD_UNIT=nginx.service`.' })),
          service_label: Type.Optional(Type.Boolean({ default: true, description: 'Set `service` from the systemd unit (`__journal__systemd_unit`, without `.service`).' })),
          relabel: Type.Optional(Type.Array(RelabelRule, { description: 'Rules on the journal fields (`__journal_*` labels), applied before the entry leaves the source.' })),
        },
        { additionalProperties: false, description: 'Ship the systemd journal (`loki.source.journal`).' },
      ),
    ),
    files: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: NAME, description: 'Component label of this source (lower case, digits, `_`).' }),
            paths: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1, description: 'Absolute paths or globs (`/var/log/nginx/*.log`, `**` allowed).' }),
            exclude: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { description: 'Globs of files not to read (`__path_exclude__`).' })),
            labels: Type.Optional(Labels('Labels of these entries, e.g. `{ service: "nginx" }`.')),
            multiline: Type.Optional(Multiline),
          },
          { additionalProperties: false },
        ),
        { description: 'Log files to ship (`local.file_match` + `loki.source.file`).' },
      ),
    ),
    relabel: Type.Optional(Type.Array(RelabelRule, { description: 'Rules applied to every entry before it is sent (`loki.relabel`).' })),
    endpoints: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: NAME, description: 'Component label of this endpoint.' }),
          url: Type.String({ pattern: '^https?://\\S+$', description: 'Loki push URL, e.g. `https://loki.example.com/loki/api/v1/push`.' }),
          tenant_id: Type.Optional(Type.String({ minLength: 1, description: 'Tenant (`X-Scope-OrgID`) of a multi-tenant Loki.' })),
          basic_auth: Type.Optional(
            Type.Object(
              {
                username: Type.String({ minLength: 1, description: 'User name.' }),
                password: SecretValue(),
              },
              { additionalProperties: false, description: 'HTTP basic auth; the password (a Secret) is written to its own file and read with `local.file`, never into config.alloy.' },
            ),
          ),
          bearer_token: Type.Optional(SecretValue()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'Loki endpoints (`loki.write`); every entry goes to each.' },
    ),
  },
  { additionalProperties: false },
);

/** The agent's configuration. */
export type AlloyLogsConfig = Static<typeof AlloyLogsConfig>;

/** Where a secret of an endpoint is written: `DIR/ENDPOINT.password` or `DIR/ENDPOINT.token`. */
export function secretPath(dir: string, endpoint: string, kind: 'password' | 'token'): string {
  return `${dir}/${endpoint}.${kind}`;
}

/** An Alloy string literal (Go syntax, which JSON's escapes are a subset of). */
function str(s: string): string {
  return JSON.stringify(s);
}

/** `{ a = "x", b = "y" }`, keys sorted. */
function object(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `{ ${keys.map((k) => `${k} = ${str(labels[k] as string)}`).join(', ')} }`;
}

function list(items: string[]): string {
  return `[${items.join(', ')}]`;
}

type Line = string | [string, string];

/** A block with its attributes aligned at `=`, as `alloy fmt` prints consecutive attributes. */
function block(head: string, body: Line[], indent = ''): string {
  const out: string[] = [`${indent}${head} {`];
  let run: [string, string][] = [];
  const flush = () => {
    const w = Math.max(0, ...run.map(([k]) => k.length));
    for (const [k, v] of run) out.push(`${indent}  ${k.padEnd(w)} = ${v}`);
    run = [];
  };
  for (const l of body) {
    if (Array.isArray(l)) run.push(l);
    else {
      flush();
      out.push(l);
    }
  }
  flush();
  out.push(`${indent}}`);
  return out.join('\n');
}

function ruleLines(rules: Static<typeof RelabelRule>[], indent: string): string[] {
  return rules.map((r) => {
    const attrs: [string, string][] = [];
    if (r.source_labels) attrs.push(['source_labels', list(r.source_labels.map(str))]);
    if (r.separator !== undefined) attrs.push(['separator', str(r.separator)]);
    if (r.regex !== undefined) attrs.push(['regex', str(r.regex)]);
    if (r.action !== undefined) attrs.push(['action', str(r.action)]);
    if (r.target_label !== undefined) attrs.push(['target_label', str(r.target_label)]);
    if (r.replacement !== undefined) attrs.push(['replacement', str(r.replacement)]);
    return block('rule', attrs, indent);
  });
}

/**
 * Renders the configuration in Alloy's syntax (https://grafana.com/docs/alloy/latest/get-started/
 * configuration-syntax/), deterministically: same config, same bytes (labels sorted, components
 * in a fixed order: secrets, endpoints, common relabel, journal, files). Secrets never appear:
 * each is read from its file with `local.file` (`is_secret = true`).
 *
 * Pipeline: sources (journal, files) -> per-file `loki.process` (multiline) -> `loki.relabel
 * "common"` when `relabel` is given -> every `loki.write`.
 */
export function renderAlloyConfig(c: AlloyLogsConfig, secretsDir: string): string {
  const parts: string[] = ['// Managed by converge (alloy.config). Alloy configuration syntax: https://grafana.com/docs/alloy/latest/'];
  const writes = c.endpoints.map((e) => `loki.write.${e.name}.receiver`);
  for (const e of c.endpoints) {
    if (e.basic_auth) parts.push(block(`local.file "${e.name}_password"`, [['filename', str(secretPath(secretsDir, e.name, 'password'))], ['is_secret', 'true']]));
    if (e.bearer_token) parts.push(block(`local.file "${e.name}_token"`, [['filename', str(secretPath(secretsDir, e.name, 'token'))], ['is_secret', 'true']]));
  }
  for (const e of c.endpoints) {
    const ep: Line[] = [['url', str(e.url)]];
    if (e.tenant_id) ep.push(['tenant_id', str(e.tenant_id)]);
    if (e.bearer_token) ep.push(['bearer_token', `local.file.${e.name}_token.content`]);
    if (e.basic_auth) ep.push(block('basic_auth', [['username', str(e.basic_auth.username)], ['password', `local.file.${e.name}_password.content`]], '    '));
    const body: Line[] = [block('endpoint', ep, '  ')];
    if (c.labels && Object.keys(c.labels).length > 0) body.push(['external_labels', object(c.labels)]);
    parts.push(block(`loki.write "${e.name}"`, body));
  }
  const sink = c.relabel && c.relabel.length > 0 ? ['loki.relabel.common.receiver'] : writes;
  if (c.relabel && c.relabel.length > 0) parts.push(block('loki.relabel "common"', [['forward_to', list(writes)], ...ruleLines(c.relabel, '  ')]));
  if (c.journal) {
    const j = c.journal;
    const rules = [
      ...((j.service_label ?? true) ? [{ source_labels: ['__journal__systemd_unit'], regex: '(.+?)(\\.service)?', target_label: 'service' }] : []),
      ...(j.relabel ?? []),
    ];
    if (rules.length > 0) parts.push(block('loki.relabel "journal"', [['forward_to', '[]'], ...ruleLines(rules, '  ')]));
    const attrs: [string, string][] = [];
    if (j.max_age) attrs.push(['max_age', str(j.max_age)]);
    if (j.matches) attrs.push(['matches', str(j.matches)]);
    if (j.labels && Object.keys(j.labels).length > 0) attrs.push(['labels', object(j.labels)]);
    if (rules.length > 0) attrs.push(['relabel_rules', 'loki.relabel.journal.rules']);
    attrs.push(['forward_to', list(sink)]);
    parts.push(block('loki.source.journal "journal"', attrs));
  }
  for (const f of c.files ?? []) {
    const targets = f.paths.map((p) => {
      const t: Record<string, string> = { __path__: p, ...(f.labels ?? {}) };
      if (f.exclude && f.exclude.length > 0) t.__path_exclude__ = f.exclude.length === 1 ? (f.exclude[0] as string) : `{${f.exclude.join(',')}}`;
      return object(t);
    });
    parts.push(block(`local.file_match "${f.name}"`, [['path_targets', list(targets)]]));
    const next = f.multiline ? [`loki.process.${f.name}.receiver`] : sink;
    parts.push(block(`loki.source.file "${f.name}"`, [['targets', `local.file_match.${f.name}.targets`], ['forward_to', list(next)]]));
    if (f.multiline) {
      const m: Line[] = [['firstline', str(f.multiline.firstline)]];
      if (f.multiline.max_wait_time) m.push(['max_wait_time', str(f.multiline.max_wait_time)]);
      if (f.multiline.max_lines !== undefined) m.push(['max_lines', String(f.multiline.max_lines)]);
      const body: Line[] = [['forward_to', list(sink)], block('stage.multiline', m, '  ')];
      parts.push(block(`loki.process "${f.name}"`, body));
    }
  }
  return `${parts.join('\n\n')}\n`;
}

/** Problems the schema cannot see: duplicate component names. */
export function configProblems(c: AlloyLogsConfig): string[] {
  const problems: string[] = [];
  const dup = (what: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) problems.push(`${what} ${n} is named twice`);
      seen.add(n);
    }
  };
  dup('endpoint', c.endpoints.map((e) => e.name));
  dup('file source', (c.files ?? []).map((f) => f.name));
  for (const e of c.endpoints) if (e.basic_auth && e.bearer_token) problems.push(`endpoint ${e.name}: give basic_auth or bearer_token, not both`);
  return problems;
}

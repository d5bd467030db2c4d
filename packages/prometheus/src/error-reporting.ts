import { ConvergeError, SecretValue, Type, defineModule, secretText } from '@converge/core';
import type { DataEndpoint } from '@converge/core';
import type { Secret, Static } from '@converge/core';
import { defineManagedFile } from '@converge/modules';

/** JSON Schema of the `sentry.environment` params. */
export const SentryEnvironmentParams = Type.Object(
  {
    dsn: SecretValue(),
    environment: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Environment name (`SENTRY_ENVIRONMENT`), e.g. `production`.' }),
    release: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.+@-]{1,200}$', description: 'Release name (`SENTRY_RELEASE`), e.g. `notes@1.4.2`.' })),
    path: Type.String({ pattern: '^/[^\\s]*$', description: 'The environment file the application reads (e.g. its systemd unit\'s `EnvironmentFile=`), written 0640.' }),
    group: Type.Optional(Type.String({ minLength: 1, pattern: '^[a-z_][a-z0-9_-]*$', default: 'root', description: 'Group that may read the file: the one the application runs as.' })),
  },
  { additionalProperties: false },
);
(SentryEnvironmentParams.properties.dsn as { description?: string }).description =
  'The project\'s DSN (`https://KEY@HOST/PROJECT_ID`), a Secret (e.g. from Vault): written only to the file, never shown.';

/** Params of `sentry.environment`. */
export type SentryEnvironmentParams = Static<typeof SentryEnvironmentParams>;

/**
 * Parses a Sentry DSN: `{PROTOCOL}://{PUBLIC_KEY}@{HOST}{PATH}/{PROJECT_ID}`
 * (https://develop.sentry.dev/sdk/overview/#parsing-the-dsn).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` that never holds the DSN itself.
 */
export function parseSentryDsn(dsn: Secret): { protocol: string; host: string; port?: number; projectId: string } {
  let url: URL;
  try {
    url = new URL(dsn.reveal());
  } catch {
    // No cause kept: Node's URL error carries the input, the DSN itself.
    throw new ConvergeError('CONVERGE_PARAMS', 'sentry.environment: dsn is not a URL', { hint: 'copy the DSN from the project\'s Client Keys page: https://KEY@HOST/PROJECT_ID' });
  }
  const projectId = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  if (!/^https?:$/.test(url.protocol) || url.username === '' || !/^\d+$/.test(projectId)) {
    throw new ConvergeError('CONVERGE_PARAMS', 'sentry.environment: dsn is not a Sentry DSN (https://KEY@HOST/PROJECT_ID)');
  }
  return { protocol: url.protocol, host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), projectId };
}

/**
 * The endpoints a `sentry.environment` task makes the application send data to: the DSN's host
 * (error reports, with their stack traces and request data). For a data-residency guard: the
 * host is checked, the DSN's key is not exposed.
 */
export function sentryEndpoints(p: Pick<SentryEnvironmentParams, 'dsn'>): DataEndpoint[] {
  const d = parseSentryDsn(p.dsn);
  return [{ url: `${d.protocol}//${d.host}${d.port ? `:${d.port}` : ''}`, kind: 'errors' }];
}

/** The environment file: the DSN makes it a Secret; 0640 root:GROUP. */
const envFile = defineManagedFile<SentryEnvironmentParams>({
  path: (p) => p.path,
  render: (p) => secretText`# Managed by converge (sentry.environment).\nSENTRY_DSN=${p.dsn}\nSENTRY_ENVIRONMENT=${p.environment}\n${p.release ? `SENTRY_RELEASE=${p.release}\n` : ''}`,
  mode: '0640',
  owner: 'root',
  group: (p) => p.group ?? 'root',
});

/**
 * Module `sentry.environment`: the error-reporting settings an application reads, as the
 * variables Sentry's SDKs read by themselves (`SENTRY_DSN`, `SENTRY_ENVIRONMENT`,
 * `SENTRY_RELEASE`; https://docs.sentry.io/platforms/python/configuration/options/), in an
 * environment file (0640 root:GROUP, for a unit's `EnvironmentFile=` or the app's own loader).
 * The DSN is a Secret: compared on the controller, masked in every diff. Restart the application
 * from a handler to apply a change. It declares the DSN's host as an endpoint ({@link sentryEndpoints}),
 * so a data-residency policy checks where the error reports go.
 *
 * @example sentry.environment({ dsn: vault('kv/data/notes#sentry_dsn'), environment: 'production', release: 'notes@1.4.2', path: '/etc/notes/sentry.env', group: 'www-data' }, { notify: 'restart notes' })
 */
export const sentryEnvironment = defineModule({
  name: 'sentry.environment',
  description: 'Sentry DSN, environment and release in an environment file the application reads.',
  params: SentryEnvironmentParams,
  validate: (p) => {
    try {
      parseSentryDsn(p.dsn);
      return undefined;
    } catch (e) {
      return (e as Error).message.replace(/^sentry\.environment: /, '');
    }
  },
  facts: (p) => ({ dest: envFile.fact(p) }),
  plan: ({ params, facts, upstreamChanged }) => {
    const planned = envFile.plan(params, facts.dest, { module: 'sentry.environment', upstreamChanged });
    if (!planned.write) return { changes: [], reason: `${params.path} holds the DSN, environment and release` };
    return { changes: planned.changes, diffs: planned.diffs, data: planned.write };
  },
  apply: ({ params, plan }) => envFile.apply(params, plan.data),
  resources: (p) => [p.path],
  endpoints: (p) => sentryEndpoints(p),
});

/** The Sentry module family: `sentry.environment`. */
export const sentry: { readonly environment: typeof sentryEnvironment } = { environment: sentryEnvironment };

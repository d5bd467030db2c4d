import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { attributeSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes, validateAttributes } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { fileState } from '../file/file-state.js';
import { generatedFileStep } from './generated-file.js';
import { owners } from './private-key.js';
import { bundleParts } from './tls-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const Path = (description: string) => Type.String({ pattern: '^/[^\\n]*[^/]$', description });

/** JSON Schema of the `tls.bundle` params. */
export const BundleParams = Type.Object(
  {
    path: Path('The bundle file, e.g. `/etc/haproxy/certs/www.pem`.'),
    certificate_path: Path('The certificate on the host.'),
    chain_paths: Type.Optional(Type.Array(Path('An intermediate CA certificate.'), { description: 'Intermediate certificates, in order from the one that signed the certificate up.' })),
    privatekey_path: Path('The private key on the host.'),
    ...attributeParams,
  },
  { additionalProperties: false },
);

/** Params of `tls.bundle`. */
export type BundleParams = Static<typeof BundleParams>;

/** The parts of a bundle in the order written: certificate, chain, key. */
export function bundleOrder(p: BundleParams): string[] {
  return [p.certificate_path, ...(p.chain_paths ?? []), p.privatekey_path];
}

/**
 * Module `tls.bundle`: one PEM file holding a certificate, its chain and its private key, in that
 * order, as HAProxy's `crt` reads it (HAProxy configuration manual, 5.1 `crt`), assembled on
 * the host (`cat`), mode 0600. Idempotent by content without reading the key: the probe compares
 * the sha256 of the parts concatenated with the bundle's sha256, so a renewed certificate or a
 * new key rewrites the bundle and nothing else does. Ansible has no such module (playbooks use
 * `assemble` or `shell`).
 *
 * @example
 * tls.bundle({ path: '/etc/haproxy/certs/www.pem', certificate_path: '/etc/ssl/www.crt', privatekey_path: '/etc/ssl/private/www.key' })
 */
export const bundle = defineModule({
  name: 'tls.bundle',
  description: 'A PEM bundle of certificate, chain and key (HAProxy crt).',
  params: BundleParams,
  validate: (p) => validateAttributes(p),
  facts: (p) => ({ file: fileState({ path: p.path }), parts: bundleParts({ parts: bundleOrder(p) }), ...principalFacts(p) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const file = facts.file;
    const parts = facts.parts;
    requirePrerequisite(!parts.missing, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `tls.bundle: ${parts.missing} is missing or unreadable`, { hint: 'make the certificate and key first (tls.certificate, tls.privateKey)' }));
    const changes: Change[] = [];
    // After an earlier change to a part (check mode), the hash read before it is out of date.
    const write = upstreamChanged || file.target?.sha256 === undefined || parts.sha256 === undefined || file.target.sha256 !== parts.sha256;
    if (write) changes.push({ path: 'content', before: file.target?.sha256 ? `sha256:${file.target.sha256}` : null, after: upstreamChanged || !parts.sha256 ? 'the parts as earlier tasks leave them (known after they run)' : `sha256:${parts.sha256}` });
    const a = planAttributes({ ...p, mode: p.mode ?? '0600' }, file.target, 'file', { principals: facts.principals, upstreamChanged });
    changes.push(...a.changes);
    if (changes.length === 0) return { changes, reason: `${p.path} holds ${bundleOrder(p).join(' + ')}` };
    const mode = a.mode ?? (write ? (file.target?.mode ?? '0600') : undefined);
    return { changes, data: { write, ...(mode ? { mode } : {}), ...owners(a) }, ...(write && (upstreamChanged || !parts.sha256) ? { unknown: 'the parts as earlier tasks leave them' } : {}) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    if (!d.write) return attributeSteps({ path: p.path, ...(d.mode ? { mode: d.mode } : {}), ...owners(d) });
    return [generatedFileStep({ path: p.path, generate: sh`cat ${bundleOrder(p)} > "$tmp"`, mode: d.mode ?? '0600', ...owners(d), description: `assemble ${p.path}` })];
  },
  resources: (p) => [p.path],
});

import { ConvergeError, SecretValue, Type, defineModule, isSecret, raw, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { attributeSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes, validateAttributes } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { fileState } from '../file/file-state.js';
import type { FileState } from '../file/file-state.js';
import { requestDiffs } from './csr.js';
import { generatedFileStep } from './generated-file.js';
import { owners } from './private-key.js';
import { hostClock, keyFile } from './tls-facts.js';
import { issuedBy, parseCertificate, parseCsr, selfSigned, spkiOfPublicKeyPem } from './x509-parse.js';
import type { X509Info, X509Request } from './x509-parse.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const Path = (description: string) => Type.String({ pattern: '^/[^\\n]*[^/]$', description });
// No schema default: a default would make the other provider's field look given.
const NotAfter = (description: string) => Type.String({ pattern: '^\\+[1-9][0-9]{0,4}d$', description: `${description} Default \`+3650d\`.` });

/** JSON Schema of the `tls.certificate` params (Ansible's `community.crypto.x509_certificate`). */
export const CertificateParams = Type.Object(
  {
    path: Path('The certificate file (PEM).'),
    csr_path: Path('The signing request on the host (made by tls.csr).'),
    provider: Type.Union([Type.Literal('selfsigned'), Type.Literal('ownca')], { description: '`selfsigned`: signed with `privatekey_path`; `ownca`: signed by your CA (`ownca_*`).' }),
    privatekey_path: Type.Optional(Path("The certificate's own key on the host: signs a self-signed certificate; for ownca, checked to match.")),
    selfsigned_not_after: Type.Optional(NotAfter('Validity of a self-signed certificate from now, in days: `+365d`.')),
    ownca_not_after: Type.Optional(NotAfter('Validity of a CA-signed certificate from now, in days: `+365d`.')),
    ownca_path: Type.Optional(Path('The CA certificate on the host.')),
    ownca_content: Type.Optional(Type.String({ pattern: '-----BEGIN CERTIFICATE-----', description: 'The CA certificate (PEM) given on the controller.' })),
    ownca_privatekey_path: Type.Optional(Path('The CA key on the host.')),
    ownca_privatekey_content: Type.Optional(Type.Union([Type.String(), SecretValue()], { description: 'The CA key (PEM), usually a Secret from a vault: given to openssl on stdin only for the signing, never written or shown.' })),
    renew_before: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, default: 30, description: 'Days before expiry from which the certificate is issued again (judged by the host\'s clock).' })),
    ...attributeParams,
  },
  { additionalProperties: false },
);

/** Params of `tls.certificate`. */
export type CertificateParams = Static<typeof CertificateParams>;

/** Days of validity of a new certificate. */
export function validityDays(p: CertificateParams): number {
  const s = (p.provider === 'selfsigned' ? p.selfsigned_not_after : p.ownca_not_after) ?? '+3650d';
  return Number(s.slice(1, -1));
}

/** Private plan data for apply. */
export interface CertificatePlan {
  issue: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

const text = (f: FileState | undefined) => (f?.target?.content !== undefined ? Buffer.from(f.target.content, 'latin1').toString('utf8') : undefined);

/**
 * Module `tls.certificate`: an X.509 certificate for a CSR on the host, self-signed or signed by
 * your own CA, as Ansible's `x509_certificate` with `provider: selfsigned | ownca`. Issued with
 * `openssl x509 -req` on the host, the CSR's extensions copied, a random 128-bit serial; the CA
 * key, when given as content (a Secret), reaches openssl on stdin only.
 *
 * Idempotent by content, and renewed before expiry: the certificate is parsed on the controller
 * and issued again when its public key, subject or extensions differ from the CSR's, when it is
 * not signed by the wanted issuer (its own key, or the CA: checked with node:crypto), or when it
 * expires within `renew_before` days by the host's clock.
 *
 * Differences from Ansible: no `acme`/`entrust` providers, relative `*_not_after` in days only,
 * no `*_not_before`, digests fixed to SHA-256, no passphrases.
 *
 * @example
 * tls.certificate({ path: '/etc/ssl/www.crt', csr_path: '/etc/ssl/www.csr', provider: 'ownca', ownca_content: caPem, ownca_privatekey_content: vault('kv/data/ca#key'), ownca_not_after: '+90d', renew_before: 30 })
 */
export const certificate = defineModule({
  name: 'tls.certificate',
  description: 'An X.509 certificate, self-signed or signed by your CA, renewed before expiry.',
  params: CertificateParams,
  validate: (p) => {
    if (p.provider === 'selfsigned' && p.privatekey_path === undefined) return 'a self-signed certificate needs privatekey_path';
    if (p.provider === 'ownca') {
      if ((p.ownca_path === undefined) === (p.ownca_content === undefined)) return 'ownca needs exactly one of ownca_path and ownca_content';
      if ((p.ownca_privatekey_path === undefined) === (p.ownca_privatekey_content === undefined)) return 'ownca needs exactly one of ownca_privatekey_path and ownca_privatekey_content';
    } else if ([p.ownca_path, p.ownca_content, p.ownca_privatekey_path, p.ownca_privatekey_content, p.ownca_not_after].some((v) => v !== undefined)) return 'ownca_* params need provider ownca';
    if (p.provider === 'ownca' && p.selfsigned_not_after !== undefined) return 'selfsigned_not_after needs provider selfsigned';
    if ((p.renew_before ?? 30) >= validityDays(p)) return `renew_before (${p.renew_before ?? 30} days) must be shorter than the validity (${validityDays(p)} days), or every run would issue again`;
    return validateAttributes(p);
  },
  facts: (p) => ({
    cert: fileState({ path: p.path, content: true }),
    csr: fileState({ path: p.csr_path, content: true }),
    clock: hostClock({}),
    key: p.privatekey_path !== undefined ? keyFile({ path: p.privatekey_path }) : undefined,
    ca: p.ownca_path !== undefined ? fileState({ path: p.ownca_path, content: true }) : undefined,
    ...principalFacts(p),
  }),
  plan: ({ params: p, facts: f, upstreamChanged }) => {
    const changes: Change[] = [];
    const data: CertificatePlan = { issue: false };
    const csrPem = text(f.csr);
    let request: X509Request | undefined;
    try {
      request = csrPem ? parseCsr(csrPem) : undefined;
    } catch {
      request = undefined;
    }
    requirePrerequisite(request !== undefined, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `tls.certificate: ${p.csr_path} is ${csrPem ? 'not a CSR' : 'missing'}`, { hint: 'make it first with tls.csr' }));
    const caPem = p.ownca_content ?? text(f.ca);
    requirePrerequisite(p.provider !== 'ownca' || Boolean(caPem), upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `tls.certificate: the CA certificate ${p.ownca_path} is missing`));
    const keyState = f.key?.state;
    requirePrerequisite(keyState === undefined || keyState === 'ok', upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `tls.certificate: the key ${p.privatekey_path} is ${keyState === 'absent' ? 'missing' : 'unreadable'}`));
    const certPem = text(f.cert);
    let cert: X509Info | undefined;
    try {
      cert = certPem ? parseCertificate(certPem) : undefined;
    } catch {
      cert = undefined;
    }
    const reasons: string[] = [];
    if (!cert) reasons.push(certPem ? 'not a certificate' : 'missing');
    else if (upstreamChanged) reasons.push('an earlier task changes its CSR, key or CA (known after it runs)');
    else {
      if (!request) reasons.push('the CSR is made by an earlier task (known after it runs)');
      else {
        reasons.push(...requestDiffs(cert, request));
        if (cert.publicKey !== request.publicKey) reasons.push('public key');
      }
      if (f.key?.state === 'ok' && cert.publicKey !== spkiOfPublicKeyPem(f.key.publicKeyPem as string)) reasons.push('does not match privatekey_path');
      if (p.provider === 'selfsigned' && !selfSigned(certPem as string)) reasons.push('not self-signed');
      if (p.provider === 'ownca' && caPem && !issuedBy(certPem as string, caPem)) reasons.push('not issued by the CA');
      const left = Math.floor((cert.notAfter - f.clock) / 86400);
      if (cert.notAfter - f.clock < (p.renew_before ?? 30) * 86400) reasons.push(left < 0 ? 'expired' : `expires in ${left} days (renew_before ${p.renew_before ?? 30})`);
    }
    if (reasons.length > 0) {
      data.issue = true;
      changes.push({ path: 'certificate', before: reasons.join(', '), after: `${p.provider === 'selfsigned' ? 'self-signed' : 'signed by the CA'}, valid ${validityDays(p)} days` });
    }
    const a = planAttributes(p, f.cert.target, 'file', { principals: f.principals, upstreamChanged });
    changes.push(...a.changes);
    if (a.mode || data.issue) data.mode = a.mode ?? f.cert.target?.mode ?? '0644';
    if (a.owner) data.owner = a.owner;
    if (a.group) data.group = a.group;
    if (changes.length === 0) return { changes, reason: `${p.path} matches ${p.csr_path} and is valid for ${Math.floor(((cert as X509Info).notAfter - f.clock) / 86400)} more days` };
    const guessed = cert !== undefined && (upstreamChanged || !request);
    return { changes, data, ...(guessed ? { unknown: 'its CSR, key or CA as earlier tasks leave them' } : {}) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    if (!d.issue) return attributeSteps({ path: p.path, ...(d.mode ? { mode: d.mode } : {}), ...owners(d) });
    const days = validityDays(p);
    const common = sh`-in ${p.csr_path} -days ${days} -sha256 -copy_extensions copy -set_serial "0x$(openssl rand -hex 16)" -out "$tmp"`;
    let generate;
    if (p.provider === 'selfsigned') generate = sh`openssl x509 -req ${common} -key ${p.privatekey_path as string} 2>/dev/null`;
    else {
      const ca = p.ownca_path !== undefined ? sh`ca=${p.ownca_path}` : sh`ca=$(mktemp) && printf '%s' ${p.ownca_content as string} > "$ca"`;
      const key = p.ownca_privatekey_path !== undefined ? sh`${p.ownca_privatekey_path}` : raw('/dev/stdin');
      const cleanup = p.ownca_path !== undefined ? raw(':') : raw('rm -f "$ca"');
      generate = sh`${ca}\nout=$(openssl x509 -req ${common} -CA "$ca" -CAkey ${key} 2>&1); rc=$?; ${cleanup}; [ "$rc" -eq 0 ] || { printf '%s\\n' "$out" >&2; exit "$rc"; }`;
    }
    const stdin = p.ownca_privatekey_content === undefined ? undefined : isSecret(p.ownca_privatekey_content) ? p.ownca_privatekey_content : new Uint8Array(Buffer.from(p.ownca_privatekey_content, 'utf8'));
    return [generatedFileStep({ path: p.path, generate, mode: d.mode ?? '0644', ...owners(d), ...(stdin !== undefined ? { stdin } : {}), description: `issue ${p.path}` })];
  },
  resources: (p) => [p.path],
});

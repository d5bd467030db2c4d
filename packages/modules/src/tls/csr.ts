import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { attributeSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes, validateAttributes } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { fileState } from '../file/file-state.js';
import { generatedFileStep } from './generated-file.js';
import { owners } from './private-key.js';
import { keyFile } from './tls-facts.js';
import { KEY_USAGES, parseCsr, spkiOfPublicKeyPem } from './x509-parse.js';
import type { X509Request } from './x509-parse.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

// Values go into an openssl config file: no `$` (variable expansion), quotes, backslashes, `#` or line breaks.
const Value = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[^$"\\\\#\\n\\r]+$', description });

/** Subject and extension params shared by `tls.csr` (Ansible's `community.crypto.openssl_csr` names). */
export const requestParams = {
  common_name: Type.Optional(Value('Subject CN.')),
  country_name: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'Subject C (two letters).' })),
  state_or_province_name: Type.Optional(Value('Subject ST.')),
  locality_name: Type.Optional(Value('Subject L.')),
  organization_name: Type.Optional(Value('Subject O.')),
  organizational_unit_name: Type.Optional(Value('Subject OU.')),
  email_address: Type.Optional(Value('Subject emailAddress.')),
  subject_alt_name: Type.Optional(
    Type.Array(Type.String({ pattern: '^(DNS:[A-Za-z0-9*._-]+|IP:[0-9A-Fa-f:.]+|email:[^\\s,$"\\\\#]+|URI:[^\\s,$"\\\\#]+)$' }), { description: 'subjectAltName entries: `DNS:www.example.com`, `IP:192.0.2.1`, `email:…`, `URI:…`.' }),
  ),
  key_usage: Type.Optional(Type.Array(Type.Union(KEY_USAGES.map((k) => Type.Literal(k))), { uniqueItems: true, description: 'keyUsage bits (marked critical).' })),
  extended_key_usage: Type.Optional(
    Type.Array(Type.Union(['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping', 'OCSPSigning'].map((k) => Type.Literal(k))), { uniqueItems: true, description: 'extendedKeyUsage purposes.' }),
  ),
  basic_constraints: Type.Optional(Type.Array(Type.String({ pattern: '^(CA:(TRUE|FALSE)|pathlen:[0-9]{1,2})$' }), { description: 'basicConstraints, e.g. `CA:FALSE`, or `CA:TRUE` and `pathlen:0` for a CA (marked critical).' })),
};

/** JSON Schema of the `tls.csr` params. */
export const CsrParams = Type.Object(
  {
    path: Type.String({ pattern: '^/[^\\n]*[^/]$', description: 'The CSR file (PEM).' }),
    privatekey_path: Type.String({ pattern: '^/[^\\n]*[^/]$', description: 'The private key on the host whose public key the request carries.' }),
    ...requestParams,
    digest: Type.Optional(Type.Union([Type.Literal('sha256'), Type.Literal('sha384'), Type.Literal('sha512')], { default: 'sha256', description: 'Signature digest.' })),
    ...attributeParams,
  },
  { additionalProperties: false },
);

/** Params of `tls.csr`. */
export type CsrParams = Static<typeof CsrParams>;
type RequestFields = Pick<CsrParams, keyof typeof requestParams>;

const SUBJECT_FIELDS = [
  ['country_name', 'C'],
  ['state_or_province_name', 'ST'],
  ['locality_name', 'L'],
  ['organization_name', 'O'],
  ['organizational_unit_name', 'OU'],
  ['common_name', 'CN'],
  ['email_address', 'emailAddress'],
] as const;

/** What the params ask for, in the shape {@link parseCsr} reads (public key excepted). */
export function wantedRequest(p: RequestFields): Omit<X509Request, 'publicKey'> {
  const subject: Record<string, string> = {};
  for (const [param, short] of SUBJECT_FIELDS) if (p[param] !== undefined) subject[short] = p[param] as string;
  return {
    subject,
    subjectAltName: (p.subject_alt_name ?? []).map((s) => (s.startsWith('IP:') ? `IP:${s.slice(3).toLowerCase()}` : s)),
    keyUsage: KEY_USAGES.filter((k) => p.key_usage?.includes(k)),
    extendedKeyUsage: [...(p.extended_key_usage ?? [])],
    basicConstraints: [...(p.basic_constraints ?? [])],
  };
}

/** The differences between a request (or certificate) and what is wanted, as `field` names. */
export function requestDiffs(have: Omit<X509Request, 'publicKey'>, want: Omit<X509Request, 'publicKey'>): string[] {
  const diffs: string[] = [];
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
  const subjectOf = (s: Record<string, string>) => Object.entries(s).map(([k, v]) => `${k}=${v}`);
  if (!same(subjectOf(have.subject), subjectOf(want.subject))) diffs.push('subject');
  if (!same(have.subjectAltName.map((s) => s.toLowerCase()), want.subjectAltName.map((s) => s.toLowerCase()))) diffs.push('subject_alt_name');
  if (!same(have.keyUsage, want.keyUsage)) diffs.push('key_usage');
  if (!same(have.extendedKeyUsage, want.extendedKeyUsage)) diffs.push('extended_key_usage');
  if (!same(have.basicConstraints, want.basicConstraints)) diffs.push('basic_constraints');
  return diffs;
}

/** The openssl req(1) config (config(5)) that asks for exactly the params' subject and extensions. */
export function requestConfig(p: RequestFields): string {
  const lines = ['[req]', 'prompt = no', 'utf8 = yes', 'string_mask = utf8only', 'distinguished_name = dn', 'req_extensions = ext', '', '[dn]'];
  for (const [param, short] of SUBJECT_FIELDS) if (p[param] !== undefined) lines.push(`${short} = ${p[param]}`);
  lines.push('', '[ext]');
  if (p.subject_alt_name?.length) lines.push(`subjectAltName = ${p.subject_alt_name.join(',')}`);
  if (p.key_usage?.length) lines.push(`keyUsage = critical,${KEY_USAGES.filter((k) => p.key_usage?.includes(k)).join(',')}`);
  if (p.extended_key_usage?.length) lines.push(`extendedKeyUsage = ${p.extended_key_usage.join(',')}`);
  if (p.basic_constraints?.length) lines.push(`basicConstraints = critical,${p.basic_constraints.join(',')}`);
  return `${lines.join('\n')}\n`;
}

/** Private plan data for apply. */
export interface CsrPlan {
  generate: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Module `tls.csr`: a certificate signing request (PKCS #10) for a key on the host, made with
 * `openssl req -new` from a config file converge renders (subject, subjectAltName, key usages,
 * basic constraints), as Ansible's `openssl_csr`. Idempotent by content: the existing CSR is
 * parsed on the controller (ASN.1, @peculiar/asn1-csr) and made again only when its subject,
 * extensions or public key differ from what is wanted.
 *
 * Differences from Ansible: one value per subject field; no `subject` dict, `*_critical`
 * switches (keyUsage and basicConstraints are always critical), `ocsp_must_staple`,
 * `name_constraints` or passphrases.
 *
 * @example
 * tls.csr({ path: '/etc/ssl/www.csr', privatekey_path: '/etc/ssl/private/www.key', common_name: 'www.example.com', subject_alt_name: ['DNS:www.example.com'] })
 */
export const csr = defineModule({
  name: 'tls.csr',
  description: 'A certificate signing request for a key on the host.',
  params: CsrParams,
  validate: (p) => {
    if (Object.keys(wantedRequest(p).subject).length === 0 && !p.subject_alt_name?.length) return 'give a subject field (common_name, …) or subject_alt_name';
    return validateAttributes(p);
  },
  facts: (p) => ({ file: fileState({ path: p.path, content: true }), key: keyFile({ path: p.privatekey_path }), ...principalFacts(p) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const file = facts.file;
    const key = facts.key;
    const changes: Change[] = [];
    const data: CsrPlan = { generate: false };
    requirePrerequisite(key.state === 'ok', upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `tls.csr: the key ${p.privatekey_path} is ${key.state === 'absent' ? 'missing' : 'unreadable'}`, { hint: 'make it first with tls.privateKey' }),
    );
    const content = file.target?.content;
    let have: X509Request | undefined;
    try {
      have = content ? parseCsr(Buffer.from(content, 'latin1').toString('utf8')) : undefined;
    } catch {
      have = undefined;
    }
    if (have && upstreamChanged) {
      data.generate = true;
      changes.push({ path: 'csr', before: 'an earlier task changes the key (known after it runs)', after: describeRequest(p) });
    } else if (!have) {
      data.generate = true;
      changes.push({ path: 'csr', before: file.type === 'absent' ? null : 'not a CSR', after: describeRequest(p) });
    } else {
      const diffs = requestDiffs(have, wantedRequest(p));
      if (key.state === 'ok' && have.publicKey !== spkiOfPublicKeyPem(key.publicKeyPem as string)) diffs.push('public key');
      else if (key.state !== 'ok') diffs.push('public key (the key is made by an earlier task; known after it runs)');
      if (diffs.length > 0) {
        data.generate = true;
        changes.push({ path: 'csr', before: `differs: ${diffs.join(', ')}`, after: describeRequest(p) });
      }
    }
    const a = planAttributes(p, file.target, 'file', { principals: facts.principals, upstreamChanged });
    changes.push(...a.changes);
    if (a.mode || data.generate) data.mode = a.mode ?? file.target?.mode ?? '0644';
    if (a.owner) data.owner = a.owner;
    if (a.group) data.group = a.group;
    if (changes.length === 0) return { changes, reason: `${p.path} asks for ${describeRequest(p)} with the key's public key` };
    const guessed = have !== undefined && (upstreamChanged || key.state !== 'ok');
    return { changes, data, ...(guessed ? { unknown: 'the key as an earlier task leaves it' } : {}) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    if (!d.generate) return attributeSteps({ path: p.path, ...(d.mode ? { mode: d.mode } : {}), ...owners(d) });
    // A new file keeps the mode of the one it replaces unless a mode is asked.
    return [
      generatedFileStep({
        path: p.path,
        generate: sh`cfg=$(mktemp) && cat > "$cfg" && openssl req -new -${p.digest ?? 'sha256'} -key ${p.privatekey_path} -config "$cfg" -out "$tmp"; rc=$?; rm -f "$cfg"; [ "$rc" -eq 0 ]`,
        stdin: new Uint8Array(Buffer.from(requestConfig(p), 'utf8')),
        mode: d.mode ?? '0644',
        ...owners(d),
        description: `request ${p.path}`,
      }),
    ];
  },
  resources: (p) => [p.path],
});

/** One line about what a request asks for: `CN=www.example.com, DNS:www.example.com`. */
export function describeRequest(p: RequestFields): string {
  const w = wantedRequest(p);
  return [...Object.entries(w.subject).map(([k, v]) => `${k}=${v}`), ...w.subjectAltName].join(', ');
}

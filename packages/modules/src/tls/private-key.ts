import { createPrivateKey, createPublicKey } from 'node:crypto';
import { ConvergeError, SecretValue, Type, defineModule, isSecret, reveal, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { attributeSteps, writeFileSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes, validateAttributes } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { fileState } from '../file/file-state.js';
import { describeKey, keyFile } from './tls-facts.js';
import { generatedFileStep } from './generated-file.js';
import { spkiOfPublicKeyPem } from './x509-parse.js';

/** JSON Schema of the `tls.private_key` params (Ansible's `community.crypto.openssl_privatekey`). */
export const PrivateKeyParams = Type.Object(
  {
    path: Type.String({ pattern: '^/[^\\n]*[^/]$', description: 'The key file (PEM, PKCS #8).' }),
    // No schema defaults: they would make type/size/curve look given next to content.
    type: Type.Optional(Type.Union([Type.Literal('RSA'), Type.Literal('ECC'), Type.Literal('Ed25519')], { description: 'Algorithm of a key made on the host. Default `RSA`.' })),
    size: Type.Optional(Type.Integer({ minimum: 2048, maximum: 16384, description: 'RSA modulus in bits. Default 4096.' })),
    curve: Type.Optional(Type.Union([Type.Literal('secp256r1'), Type.Literal('secp384r1'), Type.Literal('secp521r1')], { description: 'ECC curve. Default `secp256r1`.' })),
    content: Type.Optional(Type.Union([Type.String(), SecretValue()], { description: 'A key made elsewhere (PEM), usually a Secret from a vault: written through stdin, compared by its public key, never shown.' })),
    regenerate: Type.Optional(
      Type.Union([Type.Literal('full_idempotence'), Type.Literal('never'), Type.Literal('fail')], {
        default: 'full_idempotence',
        description: 'An existing key of another type or size: `full_idempotence` makes a new one, `never` keeps it, `fail` refuses.',
      }),
    ),
    ...attributeParams,
  },
  { additionalProperties: false },
);

/** Params of `tls.private_key`. */
export type PrivateKeyParams = Static<typeof PrivateKeyParams>;

/** The algorithm a task wants, as {@link describeKey} names it. */
export function wantedKey(p: PrivateKeyParams): string {
  const type = p.type ?? 'RSA';
  if (type === 'RSA') return `RSA ${p.size ?? 4096}`;
  if (type === 'ECC') return `ECC ${p.curve ?? 'secp256r1'}`;
  return 'Ed25519';
}

/** openssl genpkey(1) arguments for a new key. */
export function genpkeyArgs(p: PrivateKeyParams): string[] {
  const type = p.type ?? 'RSA';
  if (type === 'RSA') return ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${p.size ?? 4096}`];
  if (type === 'ECC') return ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${{ secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[p.curve ?? 'secp256r1']}`];
  return ['-algorithm', 'ED25519'];
}

/** Private plan data for apply. */
export interface PrivateKeyPlan {
  write: 'generate' | 'content' | 'none';
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Module `tls.private_key`: a private key on the host, made there with `openssl genpkey` so that
 * it never travels (RSA, ECC or Ed25519, as Ansible's `openssl_privatekey`), or written from a
 * `Secret` given on the controller (through stdin, never on a command line or in a diff). Mode
 * 0600 unless asked otherwise. Idempotent by content: the probe prints only the key's public
 * part, which the plan compares with what is wanted (the algorithm and size, or the given key's
 * public key).
 *
 * Differences from Ansible: passphrases, `cipher`, `format` and `return_content` are not
 * offered (an encrypted key is refused, not replaced); `regenerate` takes `full_idempotence`,
 * `never` and `fail`.
 *
 * @example
 * tls.privateKey({ path: '/etc/ssl/private/www.key', type: 'ECC', curve: 'secp384r1' })
 */
export const privateKey = defineModule({
  name: 'tls.private_key',
  description: 'A private key: made on the host, or written from a Secret.',
  params: PrivateKeyParams,
  validate: (p) => {
    if (p.content !== undefined && (p.type !== undefined || p.size !== undefined || p.curve !== undefined)) return 'give content or type/size/curve, not both';
    if (p.content !== undefined) {
      try {
        createPrivateKey(reveal(p.content));
      } catch {
        return 'content is not an unencrypted private key in PEM';
      }
    }
    return validateAttributes(p);
  },
  facts: (p) => ({ file: fileState({ path: p.path }), key: keyFile({ path: p.path }), ...principalFacts(p) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const file = facts.file;
    const key = facts.key;
    const changes: Change[] = [];
    const data: PrivateKeyPlan = { write: 'none' };
    const attrs = { ...p, mode: p.mode ?? '0600' };
    if (p.content !== undefined) {
      const want = createPublicKey(createPrivateKey(reveal(p.content))).export({ type: 'spki', format: 'der' }).toString('hex');
      if (key.state !== 'ok' || spkiOfPublicKeyPem(key.publicKeyPem as string) !== want) {
        data.write = 'content';
        changes.push({ path: 'key', before: key.state === 'ok' ? 'another key' : key.state, after: isSecret(p.content) ? 'the given key (secret)' : 'the given key' });
      }
    } else if (key.state === 'absent') {
      data.write = 'generate';
      changes.push({ path: 'key', before: null, after: wantedKey(p) });
    } else if (key.state === 'unreadable') {
      throw new ConvergeError('CONVERGE_PLAN', `tls.private_key: ${p.path} exists but openssl cannot read it (encrypted, or not a key); it is not replaced`, { hint: 'remove it if a new key may replace it' });
    } else {
      const have = describeKey(key.publicKeyPem as string);
      const want = wantedKey(p);
      if (have !== want && (p.regenerate ?? 'full_idempotence') !== 'never') {
        if (p.regenerate === 'fail') throw new ConvergeError('CONVERGE_PLAN', `tls.private_key: ${p.path} is ${have}, not ${want}`, { hint: "regenerate: 'full_idempotence' replaces it" });
        data.write = 'generate';
        changes.push({ path: 'key', before: have, after: want });
      }
    }
    const a = planAttributes(attrs, file.target, 'file', { principals: facts.principals, upstreamChanged });
    changes.push(...a.changes);
    data.mode = a.mode ?? file.target?.mode ?? '0600';
    if (a.owner) data.owner = a.owner;
    if (a.group) data.group = a.group;
    if (changes.length === 0) return { changes, reason: `${p.path} is ${key.publicKeyPem ? describeKey(key.publicKeyPem) : 'there'} as wanted` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const mode = d.mode ?? '0600';
    if (d.write === 'generate') {
      return [generatedFileStep({ path: p.path, generate: sh`openssl genpkey ${genpkeyArgs(p)} -out "$tmp" 2>/dev/null`, mode, ...owners(d), description: `generate ${p.path}` })];
    }
    if (d.write === 'content') {
      const content = isSecret(p.content) ? p.content : new Uint8Array(Buffer.from(p.content as string, 'utf8'));
      return writeFileSteps({ path: p.path, followLinks: false, content, mode, ...owners(d) });
    }
    return attributeSteps({ path: p.path, ...(d.mode ? { mode: d.mode } : {}), ...owners(d) });
  },
  resources: (p) => [p.path],
});

/** The owner and group a plan asks for, as optional fields. */
export function owners(d: { owner?: string; group?: string }): { owner?: string; group?: string } {
  return { ...(d.owner !== undefined ? { owner: d.owner } : {}), ...(d.group !== undefined ? { group: d.group } : {}) };
}

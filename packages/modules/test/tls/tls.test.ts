import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '../../src/index.js';
import { describeKey, genpkeyArgs, parseCertificate, parseCsr, parseKeyFile, csrRequestConfig as requestConfig, selfSigned, issuedBy, spkiOfPublicKeyPem, tls } from '../../src/index.js';

// PEM files made with OpenSSL 3.0.17 on Debian 12 (req.cnf beside them): a P-256 key's public
// part, its CSR, a self-signed certificate valid 30 days from 2026-12-07 12:18:56 UTC, a P-384
// test CA and the same CSR signed by it for 90 days. No private key is kept here.
const fx = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const PUB = fx('pub.pem');
const CSR = fx('csr.pem');
const CERT = fx('cert.pem');
const CA = fx('ca.crt');
const SIGNED = fx('signed.pem');
const ISSUED = 1796645936; // notBefore of cert.pem
const DAY = 86400;

const file = (path: string, content?: string, mode = '0644'): FileState =>
  content === undefined ? { path, type: 'absent', parentExists: true } : { path, type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', content: Buffer.from(content).toString('latin1'), sha256: 'x' } };
const key = (pem = PUB) => parseKeyFile(`pub ${Buffer.from(pem).toString('base64')}\n`);
const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));

describe('parsing (ASN.1 on the controller, node:crypto for signatures)', () => {
  test('a CSR: subject, extensions and public key', () => {
    expect(parseCsr(CSR)).toEqual({
      subject: { CN: 'www.example.test', O: 'Example' },
      subjectAltName: ['DNS:www.example.test', 'IP:10.0.0.1', 'IP:2001:db8::1'],
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      basicConstraints: ['CA:FALSE'],
      publicKey: spkiOfPublicKeyPem(PUB),
    });
  });
  test('certificates: validity, issuer, signatures', () => {
    const c = parseCertificate(CERT);
    expect([c.notBefore, c.notAfter - c.notBefore, c.issuer, c.serial]).toEqual([ISSUED, 30 * DAY, { CN: 'www.example.test', O: 'Example' }, '01']);
    expect([selfSigned(CERT), selfSigned(SIGNED), issuedBy(SIGNED, CA), issuedBy(CERT, CA)]).toEqual([true, false, true, false]);
    expect(parseCertificate(CA).basicConstraints).toEqual(['CA:TRUE', 'pathlen:0']);
  });
  test('not PEM, or another PEM type, is a fact error', () => {
    expect(() => parseCsr(CERT)).toThrow(/CERTIFICATE REQUEST/);
    expect(() => parseCertificate('junk')).toThrow(/not a PEM CERTIFICATE/);
  });
  test('a key probe gives only the public key', () => {
    expect(describeKey(key().publicKeyPem as string)).toBe('ECC secp256r1');
    expect(parseKeyFile('state absent\n')).toEqual({ state: 'absent' });
    expect(parseKeyFile('state unreadable\n')).toEqual({ state: 'unreadable' });
  });
});

describe('module tls.private_key', () => {
  test.each([
    { case: 'makes an RSA 4096 key by default, 0600', params: { path: '/k' }, facts: { file: file('/k'), key: parseKeyFile('state absent') }, changes: [{ path: 'key', before: null, after: 'RSA 4096' }, { path: 'mode', before: null, after: '0600' }] },
    { case: 'keeps a key of the wanted type', params: { path: '/k', type: 'ECC' }, facts: { file: file('/k', 'k', '0600'), key: key() }, changes: [] },
    { case: 'replaces a key of another type (full_idempotence)', params: { path: '/k', type: 'ECC', curve: 'secp384r1' }, facts: { file: file('/k', 'k', '0600'), key: key() }, changes: [{ path: 'key', before: 'ECC secp256r1', after: 'ECC secp384r1' }] },
    { case: 'keeps it with regenerate never', params: { path: '/k', type: 'RSA', regenerate: 'never' }, facts: { file: file('/k', 'k', '0600'), key: key() }, changes: [] },
    { case: 'fixes the mode of a right key', params: { path: '/k', type: 'ECC' }, facts: { file: file('/k', 'k', '0644'), key: key() }, changes: [{ path: 'mode', before: '0644', after: '0600' }] },
  ])('$case', ({ params, facts, changes }) => expect(planModule(tls.privateKey, { params, facts }).changes).toEqual(changes));

  test('a new key is made on the host into a 0600 temp file, then renamed', () => {
    const r = planModule(tls.privateKey, { params: { path: '/etc/ssl/private/a.key', type: 'Ed25519' }, facts: { file: file('/etc/ssl/private/a.key'), key: parseKeyFile('state absent') } });
    expect(scripts(r)[0]).toContain('tmp=$(umask 077 && mktemp -- "$dir/.converge-XXXXXXXX")');
    expect(scripts(r)[0]).toContain('openssl genpkey -algorithm ED25519 -out "$tmp"');
    expect(genpkeyArgs({ path: '/k', type: 'ECC', curve: 'secp521r1' })).toEqual(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']);
  });

  test('a key given as a Secret travels on stdin, is compared by public key, and appears nowhere in changes', () => {
    const { privateKey: k } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r = planModule(tls.privateKey, { params: { path: '/k', content: secret(pem) }, facts: { file: file('/k', 'other', '0600'), key: key() } });
    expect(r.changes).toEqual([{ path: 'key', before: 'another key', after: 'the given key (secret)' }]);
    expect(JSON.stringify(r)).not.toContain(pem.split('\n')[1]);
    expect(String(r.commands[0]?.script)).not.toContain(pem.split('\n')[1]);
    expect(r.diffs).toEqual([]);
  });

  test.each([{ path: '/k', content: 'not a key' }, { path: '/k', content: 'x', type: 'RSA' }, { path: '/k', size: 1024 }])('refuses %j', (params) => {
    expect(() => planModule(tls.privateKey, { params, facts: { file: file('/k'), key: key() } })).toThrow(/invalid params|tls.private_key/);
  });
});

const csrParams = { path: '/r.csr', privatekey_path: '/k', common_name: 'www.example.test', organization_name: 'Example', subject_alt_name: ['DNS:www.example.test', 'IP:10.0.0.1', 'IP:2001:DB8::1'], key_usage: ['keyEncipherment', 'digitalSignature'], extended_key_usage: ['serverAuth', 'clientAuth'], basic_constraints: ['CA:FALSE'] };

describe('module tls.csr', () => {
  test('the recorded CSR is what these params ask for: no change', () => {
    expect(planModule(tls.csr, { params: csrParams, facts: { file: file('/r.csr', CSR), key: key() } }).changes).toEqual([]);
  });
  test.each([
    [{ common_name: 'other.example.test' }, 'subject'],
    [{ subject_alt_name: ['DNS:www.example.test'] }, 'subject_alt_name'],
    [{ extended_key_usage: ['serverAuth'] }, 'extended_key_usage'],
  ])('%j differs in %s', (change, what) => {
    const r = planModule(tls.csr, { params: { ...csrParams, ...change }, facts: { file: file('/r.csr', CSR), key: key() } });
    expect(r.changes[0]).toMatchObject({ path: 'csr', before: `differs: ${what}` });
  });
  test('another key makes a new request', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r = planModule(tls.csr, { params: csrParams, facts: { file: file('/r.csr', CSR), key: key(publicKey.export({ type: 'spki', format: 'pem' }) as string) } });
    expect(r.changes[0]).toMatchObject({ before: 'differs: public key' });
  });
  test('the config openssl req reads, and the command', () => {
    expect(requestConfig(csrParams)).toBe(
      '[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\ndistinguished_name = dn\nreq_extensions = ext\n\n[dn]\nO = Example\nCN = www.example.test\n\n[ext]\n' +
        'subjectAltName = DNS:www.example.test,IP:10.0.0.1,IP:2001:DB8::1\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth,clientAuth\nbasicConstraints = critical,CA:FALSE\n',
    );
    const r = planModule(tls.csr, { params: csrParams, facts: { file: file('/r.csr'), key: key() } });
    expect(scripts(r)[0]).toContain('openssl req -new -sha256 -key /k -config "$cfg" -out "$tmp"');
  });
  test.each([{ ...csrParams, common_name: 'a$b' }, { ...csrParams, subject_alt_name: ['DNS:a,IP:1'] }, { path: '/r', privatekey_path: '/k' }])('refuses %j', (params) => {
    expect(() => planModule(tls.csr, { params, facts: { file: file('/r.csr'), key: key() } })).toThrow(/invalid params|module tls.csr/);
  });
});

const certFacts = (cert: string | undefined, clock: number, extra: Record<string, unknown> = {}) => ({ cert: file('/c.crt', cert), csr: file('/r.csr', CSR), clock, key: key(), ...extra });
const selfParams = { path: '/c.crt', csr_path: '/r.csr', privatekey_path: '/k', provider: 'selfsigned', selfsigned_not_after: '+30d', renew_before: 7 };

describe('module tls.certificate', () => {
  test.each([
    { case: 'a valid self-signed certificate matching the CSR', params: selfParams, facts: certFacts(CERT, ISSUED + DAY), before: undefined },
    { case: 'renewed within renew_before', params: selfParams, facts: certFacts(CERT, ISSUED + 25 * DAY), before: 'expires in 5 days (renew_before 7)' },
    { case: 'expired', params: selfParams, facts: certFacts(CERT, ISSUED + 31 * DAY), before: 'expired' },
    { case: 'missing', params: selfParams, facts: certFacts(undefined, ISSUED), before: 'missing' },
    { case: 'a CA-signed certificate where a self-signed one is wanted', params: selfParams, facts: certFacts(SIGNED, ISSUED + DAY), before: 'not self-signed' },
    { case: 'signed by the CA', params: { ...selfParams, provider: 'ownca', selfsigned_not_after: undefined, ownca_not_after: '+90d', ownca_content: CA, ownca_privatekey_path: '/ca.key' }, facts: certFacts(SIGNED, ISSUED + DAY), before: undefined },
    { case: 'a self-signed one where the CA is wanted', params: { ...selfParams, provider: 'ownca', selfsigned_not_after: undefined, ownca_not_after: '+90d', ownca_path: '/ca.crt', ownca_privatekey_path: '/ca.key' }, facts: certFacts(CERT, ISSUED + DAY, { ca: file('/ca.crt', CA) }), before: 'not issued by the CA' },
  ])('$case', ({ params, facts, before }) => {
    const r = planModule(tls.certificate, { params: JSON.parse(JSON.stringify(params)), facts });
    expect(r.changes[0]?.before).toBe(before);
  });
  test('issued with the CSR extensions copied and a random serial; a CA key given as a Secret goes to stdin', () => {
    const caKey = secret('-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA=\n-----END PRIVATE KEY-----\n');
    const r = planModule(tls.certificate, { params: { path: '/c.crt', csr_path: '/r.csr', provider: 'ownca', ownca_content: CA, ownca_privatekey_content: caKey, ownca_not_after: '+90d' }, facts: certFacts(undefined, ISSUED) });
    const script = scripts(r)[0] as string;
    expect(script).toContain('openssl x509 -req -in /r.csr -days 90 -sha256 -copy_extensions copy -set_serial "0x$(openssl rand -hex 16)" -out "$tmp" -CA "$ca" -CAkey /dev/stdin');
    expect(script).not.toContain('MIG2AgEA');
    expect(r.commands[0]?.stdin).toBe(caKey);
  });
  test.each([
    { path: '/c', csr_path: '/r', provider: 'selfsigned' },
    { path: '/c', csr_path: '/r', provider: 'ownca', ownca_path: '/ca' },
    { path: '/c', csr_path: '/r', provider: 'selfsigned', privatekey_path: '/k', selfsigned_not_after: '+7d', renew_before: 30 },
    { path: '/c', csr_path: '/r', provider: 'acme' },
  ])('refuses %j', (params) => {
    expect(() => planModule(tls.certificate, { params, facts: certFacts(undefined, ISSUED) })).toThrow(/invalid params|module tls.certificate/);
  });
});

describe('module tls.bundle', () => {
  const params = { path: '/b.pem', certificate_path: '/c.crt', chain_paths: ['/ca.crt'], privatekey_path: '/k' };
  const bundleFile = (sha: string, mode = '0600'): FileState => ({ path: '/b.pem', type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: 1, inode: '1:1', sha256: sha } });
  test.each([
    { case: 'same parts, by hash', file: bundleFile('aa'), parts: { sha256: 'aa' }, changes: [] },
    { case: 'a renewed certificate', file: bundleFile('aa'), parts: { sha256: 'bb' }, changes: [{ path: 'content', before: 'sha256:aa', after: 'sha256:bb' }] },
    { case: 'too open', file: bundleFile('aa', '0644'), parts: { sha256: 'aa' }, changes: [{ path: 'mode', before: '0644', after: '0600' }] },
  ])('$case', ({ file: f, parts, changes }) => expect(planModule(tls.bundle, { params, facts: { file: f, parts } }).changes).toEqual(changes));
  test('assembled on the host in HAProxy order: certificate, chain, key', () => {
    const r = planModule(tls.bundle, { params, facts: { file: file('/b.pem'), parts: { sha256: 'aa' } } });
    expect(scripts(r)[0]).toContain('cat /c.crt /ca.crt /k > "$tmp"');
    expect(scripts(r)[0]).toContain('chmod -- 0600 "$tmp"');
  });
  test('a missing part is refused, or predicted after an earlier change', () => {
    expect(() => planModule(tls.bundle, { params, facts: { file: file('/b.pem'), parts: { missing: '/c.crt' } } })).toThrow(/\/c.crt is missing/);
    expect(planModule(tls.bundle, { params, facts: { file: file('/b.pem'), parts: { missing: '/c.crt' } }, upstreamChanged: true }).changes[0]?.after).toMatch(/known after they run/);
  });
});

import { createPublicKey, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { ConvergeError } from '@converge/core';

/**
 * What a CSR asks for, or what a certificate says, in the terms the TLS modules compare: subject
 * attributes by short name, subjectAltName entries as `DNS:…`/`IP:…`/`email:…`/`URI:…`, key
 * usages, extended key usages (short names where OpenSSL has one, else OIDs), basic
 * constraints, and the public key (SubjectPublicKeyInfo, DER as hex).
 */
export interface X509Request {
  subject: Record<string, string>;
  subjectAltName: string[];
  keyUsage: string[];
  extendedKeyUsage: string[];
  basicConstraints: string[];
  publicKey: string;
}

/** A certificate: what it says, its issuer, validity, and checks against issuers. */
export interface X509Info extends X509Request {
  issuer: Record<string, string>;
  /** Seconds since the epoch. */
  notBefore: number;
  notAfter: number;
  serial: string;
}

/** Subject attribute OIDs and their short names (RFC 5280 appendix A, OpenSSL's objects.txt). */
export const SUBJECT_OIDS: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** Extended key usage OIDs (RFC 5280 4.2.1.12) by OpenSSL's short names. */
export const EKU_OIDS: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/** Key usage bit names in bit order (RFC 5280 4.2.1.3), as OpenSSL's config spells them. */
export const KEY_USAGES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;

type Asn1 = {
  schema: typeof import('@peculiar/asn1-schema');
  x509: typeof import('@peculiar/asn1-x509');
  csr: typeof import('@peculiar/asn1-csr');
};
let asn1: Asn1 | undefined;
// Loaded on first use: playbooks without TLS tasks do not pay for the ASN.1 libraries.
function lib(): Asn1 {
  if (!asn1) {
    const require = createRequire(import.meta.url);
    asn1 = { schema: require('@peculiar/asn1-schema'), x509: require('@peculiar/asn1-x509'), csr: require('@peculiar/asn1-csr') };
  }
  return asn1;
}

/** The DER bytes of the first PEM block of `label` in `pem`. */
export function pemDer(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (!m) throw new ConvergeError('CONVERGE_FACT', `not a PEM ${label}`);
  return new Uint8Array(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
}

/** The SubjectPublicKeyInfo (DER, hex) of a PEM public key, as `openssl pkey -pubout` prints it. */
export function spkiOfPublicKeyPem(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');
}

function names(n: InstanceType<Asn1['x509']['Name']>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rdn of n) {
    for (const atv of rdn) {
      const key = SUBJECT_OIDS[atv.type] ?? atv.type;
      out[key] = atv.value.toString();
    }
  }
  return out;
}

function extensions(exts: InstanceType<Asn1['x509']['Extension']>[]): Pick<X509Request, 'subjectAltName' | 'keyUsage' | 'extendedKeyUsage' | 'basicConstraints'> {
  const { schema, x509 } = lib();
  const out = { subjectAltName: [] as string[], keyUsage: [] as string[], extendedKeyUsage: [] as string[], basicConstraints: [] as string[] };
  for (const e of exts) {
    const value = e.extnValue.buffer;
    if (e.extnID === x509.id_ce_subjectAltName) {
      for (const g of schema.AsnConvert.parse(value, x509.SubjectAlternativeName)) {
        if (g.dNSName !== undefined) out.subjectAltName.push(`DNS:${g.dNSName}`);
        else if (g.iPAddress !== undefined) out.subjectAltName.push(`IP:${g.iPAddress}`);
        else if (g.rfc822Name !== undefined) out.subjectAltName.push(`email:${g.rfc822Name}`);
        else if (g.uniformResourceIdentifier !== undefined) out.subjectAltName.push(`URI:${g.uniformResourceIdentifier}`);
      }
    } else if (e.extnID === x509.id_ce_keyUsage) {
      const ku = schema.AsnConvert.parse(value, x509.KeyUsage);
      KEY_USAGES.forEach((name, bit) => {
        if (ku.toNumber() & (1 << bit)) out.keyUsage.push(name);
      });
    } else if (e.extnID === x509.id_ce_extKeyUsage) {
      for (const oid of schema.AsnConvert.parse(value, x509.ExtendedKeyUsage)) out.extendedKeyUsage.push(EKU_OIDS[oid] ?? oid);
    } else if (e.extnID === x509.id_ce_basicConstraints) {
      const bc = schema.AsnConvert.parse(value, x509.BasicConstraints);
      out.basicConstraints.push(bc.cA ? 'CA:TRUE' : 'CA:FALSE');
      if (bc.pathLenConstraint !== undefined) out.basicConstraints.push(`pathlen:${bc.pathLenConstraint}`);
    }
  }
  return out;
}

/**
 * Reads a PEM certificate signing request (PKCS #10, RFC 2986).
 *
 * @throws ConvergeError `CONVERGE_FACT` when the text is not a CSR.
 */
export function parseCsr(pem: string): X509Request {
  const { schema, x509, csr } = lib();
  try {
    const req = schema.AsnConvert.parse(pemDer(pem, 'CERTIFICATE REQUEST'), csr.CertificationRequest);
    const info = req.certificationRequestInfo;
    let exts: InstanceType<Asn1['x509']['Extension']>[] = [];
    for (const attr of info.attributes) {
      if (attr.type === '1.2.840.113549.1.9.14') exts = [...schema.AsnConvert.parse(attr.values[0] as ArrayBuffer, x509.Extensions)];
    }
    return { subject: names(info.subject), ...extensions(exts), publicKey: Buffer.from(schema.AsnConvert.serialize(info.subjectPKInfo)).toString('hex') };
  } catch (e) {
    if (e instanceof ConvergeError) throw e;
    throw new ConvergeError('CONVERGE_FACT', 'not a certificate signing request', { cause: e });
  }
}

/**
 * Reads a PEM certificate (RFC 5280).
 *
 * @throws ConvergeError `CONVERGE_FACT` when the text is not a certificate.
 */
export function parseCertificate(pem: string): X509Info {
  const { schema, x509 } = lib();
  try {
    const cert = schema.AsnConvert.parse(pemDer(pem, 'CERTIFICATE'), x509.Certificate);
    const tbs = cert.tbsCertificate;
    const time = (t: InstanceType<Asn1['x509']['Time']>) => Math.floor(t.getTime().getTime() / 1000);
    return {
      subject: names(tbs.subject),
      issuer: names(tbs.issuer),
      ...extensions([...(tbs.extensions ?? [])]),
      publicKey: Buffer.from(schema.AsnConvert.serialize(tbs.subjectPublicKeyInfo)).toString('hex'),
      notBefore: time(tbs.validity.notBefore),
      notAfter: time(tbs.validity.notAfter),
      serial: Buffer.from(tbs.serialNumber).toString('hex'),
    };
  } catch (e) {
    if (e instanceof ConvergeError) throw e;
    throw new ConvergeError('CONVERGE_FACT', 'not a certificate', { cause: e });
  }
}

/** True when `cert` (PEM) is signed by the key of `issuer` (PEM) and names it as its issuer (node:crypto). */
export function issuedBy(cert: string, issuer: string): boolean {
  try {
    const c = new X509Certificate(cert);
    const i = new X509Certificate(issuer);
    return c.checkIssued(i) && c.verify(i.publicKey);
  } catch {
    return false;
  }
}

/** True when a self-signed `cert` (PEM) verifies with its own public key. */
export function selfSigned(cert: string): boolean {
  try {
    const c = new X509Certificate(cert);
    return c.verify(c.publicKey);
  } catch {
    return false;
  }
}

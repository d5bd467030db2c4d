// TLS modules (keys, requests, certificates, bundles) made with openssl on the host. Re-exported by the package index.
import { bundle } from './tls/bundle.js';
import { certificate } from './tls/certificate.js';
import { csr } from './tls/csr.js';
import { privateKey } from './tls/private-key.js';

/**
 * The TLS family, Ansible's `community.crypto` set: `tls.privateKey` (`openssl_privatekey`),
 * `tls.csr` (`openssl_csr`), `tls.certificate` (`x509_certificate`, self-signed or your CA,
 * renewed before expiry) and `tls.bundle` (certificate, chain and key in one PEM for HAProxy).
 */
export const tls: { readonly privateKey: typeof privateKey; readonly csr: typeof csr; readonly certificate: typeof certificate; readonly bundle: typeof bundle } = { privateKey, csr, certificate, bundle };
export { privateKey as tlsPrivateKey, PrivateKeyParams, wantedKey, genpkeyArgs } from './tls/private-key.js';
export type { PrivateKeyPlan } from './tls/private-key.js';
export { csr as tlsCsr, CsrParams, requestConfig as csrRequestConfig, wantedRequest, requestDiffs } from './tls/csr.js';
export { certificate as tlsCertificate, CertificateParams, validityDays } from './tls/certificate.js';
export { bundle as tlsBundle, BundleParams, bundleOrder } from './tls/bundle.js';
export { keyFile, parseKeyFile, describeKey, hostClock, bundleParts } from './tls/tls-facts.js';
export type { KeyFileState, BundleParts } from './tls/tls-facts.js';
export { parseCsr, parseCertificate, issuedBy, selfSigned, spkiOfPublicKeyPem, SUBJECT_OIDS, EKU_OIDS, KEY_USAGES } from './tls/x509-parse.js';
export type { X509Request, X509Info } from './tls/x509-parse.js';
export { generatedFileStep } from './tls/generated-file.js';
export type { GeneratedFile } from './tls/generated-file.js';

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestHostsError } from './errors.js';

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /**
   * IPv4 address to listen on, one the test hosts reach (the gateway of their Docker network);
   * it is also the certificate's subject alternative name.
   */
  address: string;
  /** TCP port; default 0 (a free port, in {@link S3Server.endpoint}). */
  port?: number;
  /** Buckets that exist from the start (S3 bucket names: 3 to 63 characters). */
  buckets: string[];
  /** Access keys the server accepts: a request signed with any other key is refused (s3rver answers unsigned requests too). */
  keys: { id: string; secret: string }[];
}

/** A running {@link startS3Server}. */
export interface S3Server {
  /** `https://ADDRESS:PORT`, without a path: an S3 endpoint with path-style bucket addressing. */
  endpoint: string;
  /**
   * The server's self-signed certificate (PEM), valid for two days. A host trusts the server
   * once it is in its CA store (Debian: a `.crt` under `/usr/local/share/ca-certificates/` and
   * `update-ca-certificates`), as a cloud host trusts its provider's public CA.
   */
  certificate: string;
  /** Stops the server and removes its objects and key. */
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const require = createRequire(import.meta.url);

/**
 * Starts an S3-compatible server on the controller for test hosts: s3rver 3.7.1 (npm), over
 * HTTPS with a throw-away self-signed certificate, its objects in a temporary directory. It
 * stands in for a provider's object storage (OVHcloud, Scaleway), which cannot be reached here;
 * restic on the hosts talks to it as to the real one. s3rver rather than MinIO, the usual
 * stand-in: MinIO's server is not in Debian's archive, and no container image can be pulled here.
 *
 * HTTPS, not plain HTTP, and not only because the providers serve HTTPS: over plain HTTP,
 * restic's S3 client (minio-go) signs uploads as `aws-chunked` streams
 * (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, AWS "Signature Version 4:
 * transferring payload in multiple chunks"), which s3rver accepts but stores without decoding:
 * every object then starts with its chunk header (`1c1;chunk-signature=…`) and restic cannot read
 * its own repository back ("Unmarshal: invalid character 'c' after top-level value"). Over TLS
 * minio-go sends the payload as it is (`UNSIGNED-PAYLOAD`). Source: minio-go v7 `api.go`,
 * `newRequest`: `case metadata.streamSha256 && !c.secure:` signs with `StreamingSignV4`.
 *
 * The keys are added to s3rver's one account, which is process-wide: they stay accepted by every
 * server of this process until it exits.
 *
 * @throws TestHostsError `CONVERGE_COMMAND` when `openssl` cannot make the certificate;
 *   `CONVERGE_CONNECT` when the server cannot listen there.
 * @example
 * const s3 = await startS3Server({ address: gateway, buckets: ['backups'], keys: [{ id: 'AK1', secret: 's3-secret' }] });
 * // restic -r s3:${s3.endpoint}/backups/host1 init, on a host that trusts s3.certificate
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const work = await mkdtemp(join(tmpdir(), 'converge-s3-'));
  try {
    const keyPath = join(work, 'key.pem');
    const certPath = join(work, 'cert.pem');
    try {
      await promisify(execFile)('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '2',
        '-subj', '/CN=converge-test-s3', '-addext', `subjectAltName=IP:${options.address}`,
      ]);
    } catch (cause) {
      throw new TestHostsError('CONVERGE_COMMAND', `startS3Server: openssl could not make a certificate for ${options.address}`, { cause, hint: 'install openssl (Debian: apt-get install openssl)' });
    }
    const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
    for (const k of options.keys) DUMMY_ACCOUNT.createKeyPair(k.id, k.secret);
    const S3rver = require('s3rver') as new (o: Record<string, unknown>) => S3rverInstance;
    const [key, certificate] = await Promise.all([readFile(keyPath), readFile(certPath, 'utf8')]);
    const server = new S3rver({
      address: options.address,
      port: options.port ?? 0,
      silent: true,
      directory: join(work, 'objects'),
      key,
      cert: certificate,
      configureBuckets: options.buckets.map((name) => ({ name })),
    });
    let port: number;
    try {
      ({ port } = await server.run());
    } catch (cause) {
      throw new TestHostsError('CONVERGE_CONNECT', `startS3Server: cannot listen on ${options.address}:${options.port ?? 0}`, { cause, hint: 'the address must be one of this machine\'s (a Docker network\'s gateway exists once the network does)' });
    }
    return {
      endpoint: `https://${options.address}:${port}`,
      certificate,
      close: async () => {
        await server.close();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { startS3Server } from './s3-server.js';

/** GET over HTTPS trusting only `ca`: the status and body. */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startS3Server', () => {
  it('serves its buckets over HTTPS with a certificate for its address; closed, it is gone', async () => {
    const s3 = await startS3Server({ address: '127.0.0.1', buckets: ['stand-in-backups'], keys: [{ id: 'AKTEST', secret: 'test-secret' }] });
    try {
      expect(s3.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(s3.certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      // ListObjects of the bucket made at start (s3rver answers requests without a signature).
      const list = await get(`${s3.endpoint}/stand-in-backups/`, s3.certificate);
      expect(list.status).toBe(200);
      expect(list.body).toContain('<Name>stand-in-backups</Name>');
      await expect(get(`${s3.endpoint}/stand-in-backups/`, '')).rejects.toThrow(/certificate/);
    } finally {
      await s3.close();
    }
    await expect(get(`${s3.endpoint}/stand-in-backups/`, s3.certificate)).rejects.toThrow(/ECONNREFUSED/);
  });
});

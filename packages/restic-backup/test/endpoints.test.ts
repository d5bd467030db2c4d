import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { restic } from '../src/index.js';

const password = secret('repository-password');

describe('restic repositories declare where snapshots go (for a data-residency policy)', () => {
  it.each([
    [{ type: 'local', path: '/var/backups/restic' }, []],
    [{ type: 'sftp', host: 'nas.example.net', user: 'backup', path: '/srv/restic', known_hosts: 'nas.example.net ssh-ed25519 AAAA' }, [{ url: 'sftp://nas.example.net:22/srv/restic', kind: 'backup' }]],
    [{ type: 's3', endpoint: 'https://s3.bhs.io.cloud.ovh.net', region: 'bhs', bucket: 'acme', access_key_id: 'a', secret_access_key: secret('s') }, [{ url: 'https://s3.bhs.io.cloud.ovh.net', kind: 'backup' }]],
    [{ type: 'rest', url: 'https://backup.example.net:8000/web1/' }, [{ url: 'https://backup.example.net:8000/web1/', kind: 'backup' }]],
  ])('%j', (location, endpoints) => {
    expect(restic.repository.definition.endpoints?.({ name: 'r', password, location } as never)).toEqual(endpoints);
  });

  it('a list of repositories declares the endpoints of each', () => {
    const repositories = [
      { name: 'a', password, location: { type: 's3', endpoint: 'https://s3.gra.io.cloud.ovh.net', region: 'gra', bucket: 'acme', access_key_id: 'a', secret_access_key: secret('s') } },
      { name: 'b', password, location: { type: 'local', path: '/srv' } },
      { name: 'c', password, location: { type: 'rest', url: 'https://uk.example.net/' } },
    ];
    expect(restic.repositories.definition.endpoints?.({ repositories } as never)).toEqual([
      { url: 'https://s3.gra.io.cloud.ovh.net', kind: 'backup' },
      { url: 'https://uk.example.net/', kind: 'backup' },
    ]);
  });
});

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PluginConfig } from '../../src/plugin-config.js';
import { terraformPlugin } from '../../src/plugins.js';
import { attributePath, loadTerraformSource, readStateResources } from '../../src/terraform/state.js';
import { tempDir } from '../support/source.js';

const FIXTURES = new URL('../fixtures/terraform/', import.meta.url).pathname;
const dir = tempDir('converge-tf-');
copyFileSync(join(FIXTURES, 'terraform.tfstate'), join(dir, 'terraform.tfstate'));
copyFileSync(join(FIXTURES, 'show.json'), join(dir, 'show.json'));

const source = (values: Record<string, unknown>) => loadTerraformSource(new PluginConfig(join(dir, 'terraform.yml'), { plugin: 'terraform', ...values }));

describe('terraform source', () => {
  it('makes hosts of the OVHcloud, OpenStack and Scaleway instances of a state file, and of mapped resources', async () => {
    const doc = await source({ state: 'terraform.tfstate', resources: [{ type: 'hcloud_server', name: 'name', address: 'ipv4_address', region: 'location', groups: ['labels.role'], vars: { hcloud_type: 'server_type' } }] });
    expect(Object.keys(doc._meta.hostvars)).toEqual(['tf-web-1', 'tf-app-1', 'tf-cache-1', 'tf-db-1', 'tf-edge-1']);
    expect(doc._meta.hostvars['tf-web-1']).toEqual({
      ansible_host: '10.0.1.11',
      provider: 'ovhcloud',
      region: 'GRA11',
      public_ipv4: '51.178.10.11',
      private_ipv4: '10.0.1.11',
      tf_address: 'ovh_cloud_project_instance.web[0]',
      tf_type: 'ovh_cloud_project_instance',
      tf_id: '3bf5a1c2-0d7e-4a8b-9c1d-2e3f4a5b6c7d',
      ovh_project_id: '5f8c0a1b2c3d4e5f60718293a4b5c6d7',
      ovh_flavor: 'b2-7',
      ovh_image_id: 'i-debian-12',
    });
    expect(doc._meta.hostvars['tf-app-1']).toMatchObject({ ansible_host: '10.0.2.41', public_ipv4: '57.128.40.41', region: 'WAW1', zone: 'nova', openstack_flavor: 'd2-4' });
    expect(doc._meta.hostvars['tf-cache-1']).toMatchObject({ ansible_host: '172.16.12.5', public_ipv4: '51.15.3.30', provider: 'scaleway', region: 'fr-par', zone: 'fr-par-2', tf_id: '44444444-4444-4444-8444-444444444444', scw_type: 'DEV1-S' });
    expect(doc._meta.hostvars['tf-db-1']).toMatchObject({ ansible_host: '151.115.5.50', region: 'pl-waw', zone: 'pl-waw-2', scw_type: 'EM-B112X-SSD', scw_image: 'Debian' });
    expect(doc._meta.hostvars['tf-edge-1']).toMatchObject({ ansible_host: '116.203.1.2', region: 'fsn1', hcloud_type: 'cx22' });
    expect(doc['tf']).toEqual({ hosts: ['tf-web-1', 'tf-app-1', 'tf-cache-1', 'tf-db-1', 'tf-edge-1'] });
    expect(doc['tf_tag_cache']).toEqual({ hosts: ['tf-cache-1'] });
    expect(doc['tf_tag_app']).toEqual({ hosts: ['tf-app-1'] });
    expect(doc['tf_role_edge']).toEqual({ hosts: ['tf-edge-1'] });
    expect(doc['tf_region_gra11']).toEqual({ hosts: ['tf-web-1'] });
    expect(doc['tf_type_scaleway_baremetal_server']).toEqual({ hosts: ['tf-db-1'] });
    expect(Object.keys(doc._meta.hostvars)).not.toContain('not-a-host');
  });

  it('reads terraform show -json output, child modules included', async () => {
    const doc = await source({ state: 'show.json', address: 'public', group_prefix: 'infra_' });
    expect(Object.keys(doc._meta.hostvars)).toEqual(['tf-cache-1', 'tf-web-a']);
    expect(doc._meta.hostvars['tf-web-a']).toMatchObject({ ansible_host: '51.210.1.1', tf_address: 'module.eu.ovh_cloud_project_instance.web["a"]' });
    expect(doc['infra']).toEqual({ hosts: ['tf-cache-1', 'tf-web-a'] });
  });

  it('claims state files put in an inventory as they are', async () => {
    expect(await terraformPlugin.claims?.(join(dir, 'terraform.tfstate'))).toBe(true);
    expect(await terraformPlugin.claims?.(join(dir, 'show.json'))).toBe(true);
    writeFileSync(join(dir, 'hosts.json'), '{"all": {"hosts": {"a": null}}}');
    expect(await terraformPlugin.claims?.(join(dir, 'hosts.json'))).toBe(false);
    const doc = await terraformPlugin.load({ file: join(dir, 'terraform.tfstate') });
    expect(Object.keys(doc._meta.hostvars)).toEqual(['tf-web-1', 'tf-app-1', 'tf-cache-1', 'tf-db-1']);
  });

  it.each([
    [{}, 'state is required'],
    [{ state: 'missing.tfstate' }, 'cannot read the Terraform state'],
    [{ state: 'terraform.tfstate', resources: [{ type: 'x' }] }, 'resources[0].name must be a non-empty string'],
    [{ state: 'terraform.tfstate', resources: [{ type: 'x', name: 'name', label: 'y' }] }, 'unknown key "label" in a resource mapping'],
    [{ state: 'terraform.tfstate', compose: {} }, 'unknown setting "compose"'],
  ])('refuses %j', async (values, message) => {
    await expect(source(values)).rejects.toThrow(message);
  });

  it('refuses states of format version 3 and text that is no state', () => {
    expect(() => readStateResources(JSON.stringify({ version: 3, resources: [] }), 'old.tfstate')).toThrow(/format version 3 is not supported/);
    expect(() => readStateResources('{"hello": 1}', 'x.json')).toThrow(/not a Terraform state/);
    expect(() => readStateResources(readFileSync(join(FIXTURES, 'README.md'), 'utf8'), 'README.md')).toThrow(/not JSON/);
  });

  it.each([
    ['network[1].fixed_ip_v4', { network: [{ fixed_ip_v4: 'a' }, { fixed_ip_v4: 'b' }] }, 'b'],
    ['public_ips.address', { public_ips: [{ address: 'x' }] }, 'x'],
    ['labels.role', { labels: { role: 'edge' } }, 'edge'],
    ['missing.path', {}, undefined],
  ])('attribute path %s', (path, attrs, value) => {
    expect(attributePath(attrs, path)).toBe(value);
  });
});

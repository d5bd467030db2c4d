// Firewalls, TLS and SSH hardening on two real Debian 12 containers with CAP_NET_ADMIN (their own
// network namespaces), converged over SSH: check, run, run again (zero changes), check again.
// host1 gets nftables, host2 ufw; each checks from the other that a blocked port is really
// blocked. Every run after the first opens a new SSH connection: a firewall or an sshd config
// that shut converge out would fail the next run.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret, type Play } from '@converge/core';
import { apt, nftables, systemd, tls, ufw } from '@converge/modules';
import { changedTasks, convergeTwice, failures, runPlays, runTasks, startHosts, unknownTasks, type TestHosts } from '@converge/testing';
import { SSHD_DROP_IN, sshHardening, type SshHardeningVars } from '../roles/ssh-hardening/src/index.js';
import { DEFAULT_ALGORITHMS } from '@converge/ssh';

let hosts: TestHosts;
let ip1 = '';
let ip2 = '';

async function sh(host: string, command: string): Promise<string> {
  const r = await hosts.exec(host, command);
  if (r.exitCode !== 0) throw new Error(`${host}: ${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

/** What `host` gets from http://ADDRESS:PORT/: the HTTP status, or `blocked` when nothing answers within 3 s. */
async function reach(host: string, address: string, port: number): Promise<string> {
  const r = await hosts.exec(host, `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${address}:${port}/`);
  return r.exitCode === 0 ? r.stdout.trim() : r.exitCode === 28 ? 'blocked' : `curl exit ${r.exitCode}`;
}

beforeAll(async () => {
  hosts = await startHosts(2, { capabilities: ['NET_ADMIN'] });
  [ip1, ip2] = hosts.hosts.map((h) => h.address) as [string, string];
  await convergeTwice(hosts, [apt({ name: ['nftables'], update_cache: true, cache_valid_time: 3600 }, { when: (c) => c.host === 'host1' }), apt({ name: ['ufw', 'fail2ban', 'python3-systemd', 'nftables'], update_cache: true, cache_valid_time: 3600 }, { when: (c) => c.host === 'host2' })]);
  for (const h of ['host1', 'host2']) {
    for (const port of [8080, 8081]) await sh(h, `systemd-run --quiet --unit=web${port} python3 -m http.server ${port} --directory /tmp`);
  }
  for (const h of ['host1', 'host2']) await sh(h, 'for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8081/ && exit 0; sleep 0.1; done; exit 1');
});

afterAll(async () => {
  await hosts?.stop();
});

describe('nftables', () => {
  const filter = (extra: string[] = [], keep: Record<string, unknown> = {}) =>
    nftables({
      ...keep,
      tables: [
        {
          name: 'filter',
          sets: [{ name: 'web_clients', type: 'ipv4_addr', flags: ['interval'], elements: [ip2] }],
          chains: [{ name: 'input', hook: 'input', policy: 'drop', rules: ['ct state established,related accept', 'iif lo accept', 'tcp dport 8080 ip saddr @web_clients accept', ...extra] }],
        },
      ],
    });

  test('a drop policy with the SSH port kept open: the session survives, a new one connects, 8081 is blocked from host2', async () => {
    const { second } = await convergeTwice(hosts, [filter(), systemd.service({ name: 'nftables', enabled: true })], { hosts: 'host1' });
    expect(second.stats.host1?.roundTrips).toBe(1);
    expect(await sh('host1', 'nft -s list chain inet filter input')).toMatch(/tcp dport 22 accept comment "converge: keep the SSH port open"\n\s+ct state established,related accept/);
    expect(await reach('host2', ip1, 8080)).toBe('200');
    expect(await reach('host2', ip1, 8081)).toBe('blocked');
    expect(await sh('host1', 'head -1 /etc/nftables.conf')).toBe('#!/usr/sbin/nft -f');
  });

  test('a rule added by hand is drift: the check shows it, the run removes it', async () => {
    await sh('host1', 'nft add rule inet filter input tcp dport 8081 accept');
    expect(await reach('host2', ip1, 8081)).toBe('200');
    const { check } = await convergeTwice(hosts, [filter()], { hosts: 'host1' });
    const row = check.tasks.find((t) => t.module === 'nftables');
    expect(JSON.stringify(row?.changes)).toContain('table inet filter was changed by hand');
    expect(await reach('host2', ip1, 8081)).toBe('blocked');
  });

  test('a ruleset that would cut the running session is rolled back by the guard, and the next run connects', async () => {
    // No SSH accept of our own and no established-connection accept: the controller's packets are dropped.
    const cutting = nftables({ keep_ssh: false, tables: [{ name: 'filter', chains: [{ name: 'input', hook: 'input', policy: 'drop', rules: ['iif lo accept'] }] }] });
    const report = await runTasks(hosts, [cutting], { hosts: 'host1' });
    const row = report.tasks.find((t) => t.module === 'nftables');
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/stopped reaching the controller.*the previous tables were restored/s);
    expect(await sh('host1', 'nft -s list chain inet filter input')).toMatch(/tcp dport 8080 ip saddr @web_clients accept/);
    expect(await sh('host1', 'grep -c "iif lo accept" /etc/nftables.conf')).toBe('1');
    expect(changedTasks(await runTasks(hosts, [filter()], { hosts: 'host1', check: true }))).toEqual([]);
  });

  test('a keep_ssh source list without the controller is refused before anything is loaded', async () => {
    const report = await runTasks(hosts, [filter([], { keep_ssh: { from: ['192.0.2.0/24'] } })], { hosts: 'host1' });
    expect(report.tasks[0]?.message).toMatch(/leaves out .*the address this run connects from/);
  });

  test('no tables: the table converge loaded is deleted, others stay', async () => {
    await sh('host1', 'nft add table ip other');
    await convergeTwice(hosts, [nftables({ tables: [] })], { hosts: 'host1' });
    expect(await sh('host1', 'nft list tables')).toBe('table ip other');
    expect(await reach('host2', ip1, 8081)).toBe('200');
  });
});

describe('ufw', () => {
  const allowSsh = ufw({ rule: 'allow', port: '22', proto: 'tcp' });
  test('enabled with deny incoming after an SSH rule: 8080 open to host1 only, 8081 blocked; run twice', async () => {
    const { second } = await convergeTwice(hosts, [allowSsh, ufw({ rule: 'allow', port: '8080', proto: 'tcp', from_ip: ip1, comment: 'web from host1' }), ufw({ state: 'enabled', default: 'deny', logging: 'low' })], { hosts: 'host2' });
    expect(second.stats.host2?.roundTrips).toBe(1);
    expect(await reach('host1', ip2, 8080)).toBe('200');
    expect(await reach('host1', ip2, 8081)).toBe('blocked');
    expect(await sh('host2', 'ufw status | head -1')).toBe('Status: active');
  });

  test('removing the rule that lets converge in is refused', async () => {
    const report = await runTasks(hosts, [ufw({ rule: 'allow', port: '22', proto: 'tcp', delete: true })], { hosts: 'host2' });
    expect(report.tasks[0]?.status).toBe('failed');
    expect(report.tasks[0]?.message).toMatch(/would deny new connections to port 22, the SSH port this run uses/);
  });

  test('disabled again', async () => {
    await convergeTwice(hosts, [ufw({ state: 'disabled' })], { hosts: 'host2' });
    expect(await reach('host1', ip2, 8081)).toBe('200');
  });
});

describe('tls', () => {
  const D = '/etc/converge-tls';
  const ca = [
    tls.privateKey({ path: `${D}/ca.key`, type: 'ECC', curve: 'secp384r1' }),
    tls.csr({ path: `${D}/ca.csr`, privatekey_path: `${D}/ca.key`, common_name: 'converge test CA', basic_constraints: ['CA:TRUE', 'pathlen:0'], key_usage: ['keyCertSign', 'cRLSign'] }),
    tls.certificate({ path: `${D}/ca.crt`, csr_path: `${D}/ca.csr`, provider: 'selfsigned', privatekey_path: `${D}/ca.key`, selfsigned_not_after: '+365d' }),
  ];
  const www = (caKey: string, san = ['DNS:www.example.test', 'IP:192.0.2.10']) => [
    tls.privateKey({ path: `${D}/www.key`, type: 'RSA', size: 2048 }),
    tls.csr({ path: `${D}/www.csr`, privatekey_path: `${D}/www.key`, common_name: 'www.example.test', subject_alt_name: san, extended_key_usage: ['serverAuth'] }),
    tls.certificate({ path: `${D}/www.crt`, csr_path: `${D}/www.csr`, privatekey_path: `${D}/www.key`, provider: 'ownca', ownca_path: `${D}/ca.crt`, ownca_privatekey_content: secret(caKey), ownca_not_after: '+90d', renew_before: 30 }),
    tls.bundle({ path: `${D}/www.pem`, certificate_path: `${D}/www.crt`, chain_paths: [`${D}/ca.crt`], privatekey_path: `${D}/www.key` }),
  ];

  test('a CA made on the host, a server key, CSR and certificate signed by it (the CA key given as a Secret), a HAProxy bundle; run twice', async () => {
    await sh('host1', `mkdir -p -m 0700 ${D}`);
    await convergeTwice(hosts, ca, { hosts: 'host1' });
    const caKey = await sh('host1', `cat ${D}/ca.key`);
    const { first, second } = await convergeTwice(hosts, www(`${caKey}\n`), { hosts: 'host1' });
    expect(second.stats.host1?.roundTrips).toBe(1);
    expect(JSON.stringify(first)).not.toContain(caKey.split('\n')[1] as string);
    expect(await sh('host1', `openssl verify -CAfile ${D}/ca.crt ${D}/www.crt`)).toBe(`${D}/www.crt: OK`);
    expect(await sh('host1', `openssl x509 -in ${D}/www.crt -noout -ext subjectAltName | tail -1`)).toBe('DNS:www.example.test, IP Address:192.0.2.10');
    expect(await sh('host1', `stat -c %a ${D}/www.key ${D}/www.pem`)).toBe('600\n600');
    expect(await sh('host1', `cat ${D}/www.crt ${D}/ca.crt ${D}/www.key | cmp - ${D}/www.pem && echo same`)).toBe('same');
  });

  test('a new subjectAltName makes a new CSR, certificate and bundle; check mode predicts the CSR, and the certificate and bundle as known after apply', async () => {
    const caKey = `${await sh('host1', `cat ${D}/ca.key`)}\n`;
    const { check, first } = await convergeTwice(hosts, www(caKey, ['DNS:www.example.test', 'DNS:example.test']), { hosts: 'host1' });
    // The certificate and the bundle depend on the CSR an earlier task rewrites: check mode cannot
    // read the new CSR, so it says their change is known after apply; the run makes all three.
    expect(changedTasks(check).map((t) => t.split('\t')[1])).toEqual([expect.stringContaining('tls.csr')]);
    expect(unknownTasks(check).map((t) => t.split('\t')[1])).toEqual(['tls.bundle', 'tls.certificate'].map((m) => expect.stringContaining(m)));
    expect(changedTasks(first).map((t) => t.split('\t')[1])).toEqual(['tls.bundle', 'tls.certificate', 'tls.csr'].map((m) => expect.stringContaining(m)));
    expect(await sh('host1', `openssl x509 -in ${D}/www.crt -noout -ext subjectAltName | tail -1`)).toBe('DNS:www.example.test, DNS:example.test');
  });

  test('a certificate that expires within renew_before is issued again', async () => {
    await sh('host1', `openssl x509 -req -in ${D}/www.csr -CA ${D}/ca.crt -CAkey ${D}/ca.key -days 5 -copy_extensions copy -out ${D}/www.crt 2>/dev/null`);
    const caKey = `${await sh('host1', `cat ${D}/ca.key`)}\n`;
    const { first } = await convergeTwice(hosts, www(caKey, ['DNS:www.example.test', 'DNS:example.test']), { hosts: 'host1' });
    expect(JSON.stringify(first.tasks.find((t) => t.module === 'tls.certificate')?.changes)).toMatch(/expires in [45] days \(renew_before 30\)/);
    expect(Number(await sh('host1', `echo $(( ($(date -d "$(openssl x509 -in ${D}/www.crt -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))`))).toBeGreaterThan(80);
  });

  test('a key given as a Secret is written through stdin, 0600, and compared by its public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { first } = await convergeTwice(hosts, [tls.privateKey({ path: `${D}/given.key`, content: secret(pem) })], { hosts: 'host1' });
    expect(JSON.stringify(first)).not.toContain(pem.split('\n')[1] as string);
    expect(await sh('host1', `stat -c %a ${D}/given.key; openssl pkey -in ${D}/given.key -pubout | sha256sum | cut -c1-16`)).toBe(`600\n${(await import('node:crypto')).createHash('sha256').update(publicKey.export({ type: 'spki', format: 'pem' })).digest('hex').slice(0, 16)}`);
  });
});

describe('role ssh-hardening', () => {
  // The packages are installed in beforeAll: a service that installing a package starts is a
  // known limit of --check (README), and this test compares the check with the run.
  const play = (v: SshHardeningVars = {}): Play => ({ name: 'ssh', hosts: 'host2', roles: [sshHardening(v)] });

  test("converged, then converged again over a new connection: sshd offers converge's algorithms only, fail2ban watches sshd", async () => {
    const check = await runPlays(hosts, [play()], { check: true, diff: true });
    expect(failures(check)).toEqual([]);
    const first = await runPlays(hosts, [play()]);
    expect(failures(first)).toEqual([]);
    // Certain predictions are exactly what the run does; what the check reports as known after
    // apply may go either way.
    const unknown = new Set(unknownTasks(check));
    expect(changedTasks(first).filter((t) => !unknown.has(t))).toEqual(changedTasks(check));
    // A new connection (a new run) to the reloaded sshd, twice: nothing left to change.
    for (let i = 0; i < 2; i++) {
      const again = await runPlays(hosts, [play()]);
      expect(failures(again)).toEqual([]);
      expect(changedTasks(again)).toEqual([]);
    }
    const effective = await sh('host2', 'sshd -T');
    expect(effective).toMatch(new RegExp(`^ciphers ${DEFAULT_ALGORITHMS.cipher.join(',')}$`, 'm'));
    expect(effective).toMatch(new RegExp(`^macs ${DEFAULT_ALGORITHMS.hmac.join(',')}$`, 'm'));
    expect(effective).toMatch(/^passwordauthentication no$/m);
    expect(await sh('host2', 'fail2ban-client status sshd | head -1')).toBe('Status for the jail: sshd');
    const weak = await hosts.exec('host1', `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o Ciphers=aes128-cbc root@${ip2} true`);
    expect(weak.stderr).toMatch(/no matching cipher found/);
  });

  test('an sshd setting sshd -t refuses keeps the old file, and sshd keeps serving', async () => {
    const before = await sh('host2', `sha256sum ${SSHD_DROP_IN}`);
    const report = await runPlays(hosts, [play({ extra: { NoSuchKeyword: 'yes' } })]);
    const row = report.tasks.find((t) => t.task === 'sshd hardening');
    expect(row?.status).toBe('failed');
    expect(row?.message).toMatch(/validation failed/);
    expect(await sh('host2', `sha256sum ${SSHD_DROP_IN}`)).toBe(before);
    expect(changedTasks(await runPlays(hosts, [play()], { check: true }))).toEqual([]);
  });

  test('vars that would shut converge out are refused before any host is touched', async () => {
    await expect(runPlays(hosts, [play({ permit_root_login: 'no' })])).rejects.toMatchObject({ code: 'CONVERGE_PARAMS', message: expect.stringMatching(/permit_root_login no while converge logs in as root/) });
    await expect(runPlays(hosts, [play({ ciphers: ['aes256-cbc', 'aes256-ctr'] })])).rejects.toMatchObject({ message: expect.stringMatching(/ciphers offers aes256-cbc, which converge refuses/) });
  });
});

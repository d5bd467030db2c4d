import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli } from './cli-harness.js';

// deploy/kubernetes/converge-shards.yaml against the command line it runs: no cluster here, so the
// Job's shape is checked, and its command is expanded by a real shell for every index.

const file = join(import.meta.dirname, '..', '..', '..', 'deploy', 'kubernetes', 'converge-shards.yaml');
const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Record<string, any>);
const job = docs.find((d) => d.kind === 'Job') as Record<string, any>;
const pod = job.spec.template.spec;
const container = pod.containers[0];
const shards = Number(container.env.find((e: { name: string }) => e.name === 'SHARDS').value);

/** The converge arguments of pod `index`, as its shell expands them. */
function argsOf(index: number): string[] {
  const script = String(container.args[0]).replace(/^exec converge /, "printf '%s\\n' ");
  return execFileSync('/bin/sh', ['-c', script], { env: { JOB_COMPLETION_INDEX: String(index), SHARDS: String(shards), PATH: process.env.PATH }, encoding: 'utf8' }).trimEnd().split('\n');
}

describe('the Kubernetes Indexed Job manifest', () => {
  it('is an Indexed Job of N pods, N being the SHARDS the command uses, not retried', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(shards);
    expect(job.spec.parallelism).toBe(shards);
    expect(job.spec.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
  });

  it('gives pod i the part i+1 of N, each its own report file', () => {
    const parts = Array.from({ length: shards }, (_v, i) => argsOf(i));
    expect(parts.map((a) => a[a.indexOf('--shard') + 1])).toEqual(Array.from({ length: shards }, (_v, i) => `${i + 1}/${shards}`));
    expect(new Set(parts.map((a) => a[a.indexOf('--report-file') + 1])).size).toBe(shards);
  });

  it('uses only options the run command has', async () => {
    const help = (await cli(['run', '--help'])).stdout;
    const options = argsOf(0).filter((a) => a.startsWith('-'));
    expect(options.length).toBeGreaterThan(5);
    for (const o of options) expect(help, o).toContain(o);
  });

  it('takes the inventory and playbook from a ConfigMap, the SSH key and the Vault token from Secrets, and sends the audit trail to syslog', () => {
    const args = argsOf(0);
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    const mountOf = (path: string) => container.volumeMounts.find((m: { mountPath: string }) => path.startsWith(`${m.mountPath}/`));
    expect(volumes[mountOf(args[args.indexOf('-i') + 1]).name].configMap).toBeDefined();
    expect(volumes[mountOf(args[args.indexOf('--private-key') + 1]).name].secret).toBeDefined();
    expect(volumes[mountOf(args[args.indexOf('--known-hosts') + 1]).name].secret).toBeDefined();
    expect(container.env.find((e: { name: string }) => e.name === 'VAULT_TOKEN').valueFrom.secretKeyRef).toBeDefined();
    expect(args[args.indexOf('--audit-syslog') + 1]).toMatch(/^tcp:\/\//);
    expect(docs.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name).sort()).toEqual(['converge-ssh', 'converge-vault']);
  });
});

#!/usr/bin/env node
// The floor of a no-op run: connect to every host with ssh2 (in parallel, host keys checked
// against known_hosts), run ONE shell command holding all 50 probes of W50 (stat, and sha256sum
// of the files), read the output, disconnect. No engine can beat this by much.
//
// usage: node bench/floor.mjs SPEC.json   where SPEC is
//   { "privateKeyPath", "knownHostsPath", "user", "hosts": [{ "address", "port", "root" }] }
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { managedPaths } from './lib/w50.mjs';

const require = createRequire(new URL('../packages/ssh/package.json', import.meta.url));
const { Client } = require('ssh2');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const key = readFileSync(spec.privateKeyPath);
const known = new Map();
for (const line of readFileSync(spec.knownHostsPath, 'utf8').split('\n')) {
  const [names, , b64] = line.trim().split(/\s+/);
  if (!names || !b64) continue;
  for (const n of names.split(',')) known.set(`${n}|${b64}`, true);
}

function probeCommand(root) {
  return managedPaths(root)
    .map(({ path, kind }) => (kind === 'dir' ? `stat -c '%F|%a|%U|%G' -- ${path}` : `stat -c '%F|%a|%U|%G|%s' -- ${path} && sha256sum < ${path}`))
    .join('; ');
}

function one(h) {
  return new Promise((resolve, reject) => {
    const c = new Client();
    const name = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
    c.on('error', reject);
    c.on('ready', () => {
      c.exec(probeCommand(h.root), (err, ch) => {
        if (err) return reject(err);
        let out = '';
        ch.on('data', (d) => (out += d));
        ch.stderr.on('data', () => undefined);
        ch.on('close', () => {
          c.end();
          resolve(out.split('\n').length);
        });
      });
    });
    c.connect({
      host: h.address,
      port: h.port,
      username: spec.user ?? 'root',
      privateKey: key,
      hostVerifier: (k) => known.has(`${name}|${k.toString('base64')}`),
    });
  });
}

const started = performance.now();
const lines = await Promise.all(spec.hosts.map(one));
process.stdout.write(`${JSON.stringify({ hosts: spec.hosts.length, outputLines: lines, ms: Math.round(performance.now() - started) })}\n`);

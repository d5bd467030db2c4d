#!/usr/bin/env node
// The floor of a no-op run: the cheapest honest way to learn over ssh2 what converge's probe
// learns of a W50 host. Connect to every host in parallel (host keys checked against
// known_hosts), run ONE command doing the same work as converge's probe script (one `stat` of
// the 50 paths, one `sha256sum` of the 30 files, a `base64` of each of the 10 files whose content
// a line edit reads: 12 processes; converge's probe starts these and one `dd`), read the output,
// disconnect; with TCP_NODELAY set, as converge sets it. No engine that connects and probes can be
// faster than this, so converge's no-op is reported as a multiple of it.
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

/** The probe's work for one host (W50 paths are plain: no quoting needed). */
function probeCommand(root) {
  const paths = managedPaths(root);
  const files = paths.filter((p) => p.kind === 'file' && !p.path.endsWith('/initialised')).map((p) => p.path);
  const read = paths.filter((p) => p.path.endsWith('/settings')).map((p) => p.path);
  return [
    `stat -L -c '%F|%a|%U|%G|%u|%g|%s|%d:%i' -- ${paths.map((p) => p.path).join(' ')}`,
    `sha256sum -- ${files.join(' ')}`,
    ...read.map((f) => `base64 -w0 < ${f}; echo`),
  ].join('; ');
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
    // As converge and OpenSSH do: no write waits for the peer's delayed ACK.
    c.setNoDelay(true);
  });
}

const started = performance.now();
const lines = await Promise.all(spec.hosts.map(one));
process.stdout.write(`${JSON.stringify({ hosts: spec.hosts.length, outputLines: lines, ms: Math.round(performance.now() - started) })}\n`);

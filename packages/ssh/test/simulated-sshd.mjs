#!/usr/bin/env node
// A light SSH server for simulated hosts (bench:scale and the shard tests): ssh2's Server in one
// Node process, on 127.0.0.1. Unlike OpenSSH's sshd, it starts no process per connection (no
// fork and re-exec, no privilege separation, no PAM, no login shell): a login costs the key
// exchange and one signature check in this process, and an exec request runs `/bin/sh -c
// COMMAND` as this user with HOME set to an empty directory. What runs on the "host" (the shell
// and the commands converge sends) is as real as on any target. Public key authentication only,
// for the one client key given; any user name. No pty, no SFTP, no forwarding.
//
// usage: node simulated-sshd.mjs HOST_KEY_FILE AUTHORIZED_PUBLIC_KEY_FILE HOME_DIR
// Prints `listening PORT` on stdout once it accepts connections, then `login` for every
// authenticated connection, `exec` for every exec request and `exit` once its shell has exited
// (and been waited for); stops on SIGTERM.
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../package.json', import.meta.url));
const { Server, utils } = require('ssh2');

const [hostKeyFile, authorizedFile, home] = process.argv.slice(2);
const allowed = utils.parseKey(readFileSync(authorizedFile));
const allowedBlob = allowed.getPublicSSH();

const server = new Server({ hostKeys: [readFileSync(hostKeyFile)] }, (client) => {
  client.on('error', () => undefined);
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type) return ctx.reject(['publickey']);
    const blob = Buffer.from(ctx.key.data);
    if (blob.length !== allowedBlob.length || !timingSafeEqual(blob, allowedBlob)) return ctx.reject(['publickey']);
    if (ctx.signature && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
    ctx.accept();
    // Without a signature the client only asked whether this key would do (RFC 4252 section 7).
    if (ctx.signature) process.stdout.write('login\n');
  });
  client.on('ready', () => {
    client.on('session', (accept) => {
      const session = accept();
      session.on('pty', (ok) => ok?.());
      session.on('env', (ok) => ok?.());
      session.on('exec', (ok, _reject, info) => {
        const channel = ok();
        process.stdout.write('exec\n');
        const child = spawn('/bin/sh', ['-c', info.command], { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'] });
        channel.pipe(child.stdin);
        child.stdout.pipe(channel, { end: false });
        child.stderr.pipe(channel.stderr, { end: false });
        child.stdin.on('error', () => undefined);
        channel.on('close', () => child.kill('SIGKILL'));
        let outputs = 2;
        let status = null;
        const finish = () => {
          if (outputs > 0 || status === null) return;
          channel.exit(status);
          channel.end();
        };
        child.stdout.on('end', () => (outputs -= 1, finish()));
        child.stderr.on('end', () => (outputs -= 1, finish()));
        child.on('exit', (code, signal) => {
          process.stdout.write('exit\n');
          status = code ?? (signal ? 128 : 1);
          finish();
        });
        child.on('error', () => {
          process.stdout.write('exit\n');
          channel.exit(127);
          channel.end();
        });
      });
    });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

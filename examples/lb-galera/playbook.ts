// converge -i inventory.ini examples/lb-galera/playbook.ts — the passwords come from the
// environment (LB_GALERA_APP_PASSWORD, LB_GALERA_SST_PASSWORD); see README.md.
import { ConvergeError, secret } from '@converge/core';
import type { Secret } from '@converge/core';
import { lbGaleraPlaybook } from './lb-galera.js';

function fromEnvironment(name: string): Secret {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ConvergeError('CONVERGE_VARS', `examples/lb-galera: set ${name} (a password) in the environment`, {
      hint: 'or build the playbook with lbGaleraPlaybook({ app, sst }) and Secrets from your vault',
    });
  }
  return secret(value);
}

export default lbGaleraPlaybook({ app: fromEnvironment('LB_GALERA_APP_PASSWORD'), sst: fromEnvironment('LB_GALERA_SST_PASSWORD') });

// roles/load-balancer has no vars object of its own: `haproxy` is the haproxy.config params and
// `load_balancer_vip` a keepalived SharedAddress, so a misspelt key in either is refused by the
// module's schema, naming its path, while the run is planned.
import { describe, expect, test } from 'vitest';
import { validateParams } from '@converge/core';
import type { Task, TaskContext } from '@converge/core';
import { loadBalancerRole } from '../../../roles/load-balancer/src/index.js';

const task = (loadBalancerRole.tasks as Task[]).find((t) => t.options.name === 'haproxy.cfg') as Task;
const validated = (vars: Record<string, unknown>) =>
  validateParams(task.module.params, (task.params as (h: TaskContext) => unknown)({ vars: { haproxy_metrics_bind: '*:8405', ...vars } } as unknown as TaskContext), 'task "haproxy.cfg" (haproxy.config) on lb1');
const frontends = [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }];
const servers = [{ name: 'app1', address: '10.0.0.11:8080' }];

describe('roles/load-balancer vars', () => {
  test.each([
    [{ haproxy: { frontends, backends: [{ name: 'app', balance: 'roundrobin', server: servers }] } }, '/backends/0: unknown param "server"'],
    [{ haproxy: { frontend: frontends, backends: [{ name: 'app', servers }] } }, '/: unknown param "frontend"'],
  ])('refused: %j', (vars, problem) => {
    expect(() => validated(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_PARAMS', message: expect.stringContaining(problem) }));
  });

  test('the documented vars pass, with the metrics frontend added', () => {
    const params = validated({ haproxy: { frontends, backends: [{ name: 'app', balance: 'roundrobin', servers }] } }) as { frontends: { name: string }[] };
    expect(params.frontends.map((f) => f.name)).toEqual(['www', 'prometheus']);
  });
});

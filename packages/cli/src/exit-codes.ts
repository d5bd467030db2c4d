/**
 * Exit codes of `converge`, those of ansible-playbook where they exist. Source: ansible-core 2.14
 * `executor/task_queue_manager.py` (RUN_OK 0, RUN_ERROR 1, RUN_FAILED_HOSTS 2,
 * RUN_UNREACHABLE_HOSTS 4), `cli/__init__.py` (AnsibleParserError 4, AnsibleOptionsError 5,
 * KeyboardInterrupt 99). Code 3 is not used, as in ansible-playbook 2.14; unreachable hosts and
 * parse errors share 4, as there. When hosts failed and others were unreachable, the code is 4
 * (the strategy reports unreachable hosts first). Errors in what the run was given, found before
 * any host is contacted, are 4 too: a Vault lookup that names no secret or that Vault refuses
 * (`CONVERGE_VAULT`), like an undefined variable. Code 69 is sysexits.h's `EX_UNAVAILABLE` ("a
 * service is unavailable"): ansible-playbook has no code for it (an unreachable hashi_vault
 * lookup fails the task, 2), and 1 would say converge itself is broken; a scheduler can retry on
 * 69 and alert on the others.
 *
 * | code | meaning |
 * |------|---------|
 * | 0 | every host ok |
 * | 1 | error (converge itself failed) |
 * | 2 | one or more hosts failed |
 * | 4 | one or more hosts unreachable; or a parse error (inventory, playbook, vars, params, template) before any host was contacted |
 * | 5 | bad or incomplete command-line options |
 * | 6 | `--check --fail-on-change`: changes are pending (drift) |
 * | 69 | a service converge reads before contacting hosts (HashiCorp Vault, a cloud provider's API) is unreachable, sealed or failing (`CONVERGE_UNAVAILABLE`); nothing was changed, retry when it is back |
 * | 99 | interrupted by SIGINT, SIGTERM or SIGHUP (ansible-playbook: "User interrupted execution") |
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  unreachable: 4,
  parseError: 4,
  badOptions: 5,
  changesPending: 6,
  serviceUnavailable: 69,
  interrupted: 99,
} as const;

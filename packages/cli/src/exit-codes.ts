/**
 * Exit codes of `converge`, those of ansible-playbook where they exist.
 * Source: ansible-playbook(1), "EXIT STATUS".
 *
 * | code | meaning |
 * |------|---------|
 * | 0 | every host ok |
 * | 1 | error (converge itself failed) |
 * | 2 | one or more hosts failed |
 * | 3 | one or more hosts unreachable |
 * | 4 | parse error: inventory, playbook, vars, params or template invalid; no host contacted |
 * | 5 | bad or incomplete command-line options |
 * | 6 | `--check --fail-on-change`: changes are pending (drift) |
 * | 99 | interrupted by SIGINT, SIGTERM or SIGHUP (ansible-playbook: "User interrupted execution") |
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  unreachable: 3,
  parseError: 4,
  badOptions: 5,
  changesPending: 6,
  interrupted: 99,
} as const;

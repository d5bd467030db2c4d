import { raw, sh } from '@converge/core';
import type { RawShell } from '@converge/core';

/** Exit code of an apt step that gave up waiting for the package manager lock (EX_TEMPFAIL, sysexits.h). */
export const LOCK_TIMEOUT_EXIT = 75;

/**
 * The locks apt and dpkg take, in the order they take them (apt-get(8), dpkg(1); apt >= 1.9
 * takes `lock-frontend` first). They are fcntl(2) record locks, so flock(1) on the same files
 * neither sees nor blocks them.
 */
export const APT_LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock'] as const;

/*
 * POSIX sh, coreutils and awk only (no fuser or lsof on a minimal host). A lock's holder is
 * found in /proc/locks (proc(5)) by the lock file's inode; OFD locks show pid -1 there, so the
 * fallback scans /proc/PID/fd for the file. Waiting ends at an absolute deadline shared by
 * every apt-get call of the step; apt-get also gets the time left as DPkg::Lock::Timeout
 * (apt >= 1.9.11) for the race between the check and its own lock. `apt-get update` does not
 * wait on the lists lock by itself, hence the retry.
 */
const PRELUDE = `converge_lock_holder() {
  [ -e "$1" ] || return 0
  ino=$(stat -c %i -- "$1" 2>/dev/null) || return 0
  pid=$(awk -v ino="$ino" '($2 == "POSIX" || $2 == "OFDLCK") { n = split($6, d, ":"); if (d[n] == ino) { print $5; exit } }' /proc/locks 2>/dev/null)
  [ -n "$pid" ] || return 0
  if [ "$pid" -gt 0 ] 2>/dev/null && [ -r "/proc/$pid/cmdline" ]; then
    printf 'pid %s (%s)' "$pid" "$(tr '\\000' ' ' < "/proc/$pid/cmdline" | sed 's/ *$//')"
    return 0
  fi
  for fd in /proc/[0-9]*/fd/*; do
    if [ "$(readlink "$fd" 2>/dev/null)" = "$1" ]; then
      p=\${fd#/proc/}; p=\${p%%/*}
      printf 'pid %s (%s)' "$p" "$(tr '\\000' ' ' < "/proc/$p/cmdline" 2>/dev/null | sed 's/ *$//')"
      return 0
    fi
  done
  printf 'a process outside this host'"'"'s view'
}
converge_lock_held() {
  for lock in ${APT_LOCKS.join(' ')}; do
    h=$(converge_lock_holder "$lock")
    if [ -n "$h" ]; then converge_holder="$lock is held by $h"; return 0; fi
  done
  return 1
}
converge_wait_locks() {
  while converge_lock_held; do
    if [ "$(date +%s)" -ge "$converge_deadline" ]; then
      echo "converge: gave up after waiting \${converge_lock_timeout}s for the package manager lock: $converge_holder" >&2
      return ${LOCK_TIMEOUT_EXIT}
    fi
    if [ -z "$converge_waited" ]; then
      echo "converge: waiting up to \${converge_lock_timeout}s for the package manager lock: $converge_holder" >&2
      converge_waited=$(date +%s)
    fi
    sleep 1
  done
  if [ -n "$converge_waited" ]; then
    echo "converge: package manager lock free after $(( $(date +%s) - converge_waited + 1 ))s" >&2
    converge_waited=
  fi
  return 0
}
converge_apt_get() {
  while :; do
    converge_wait_locks || return $?
    rest=$(( converge_deadline - $(date +%s) )); [ "$rest" -gt 0 ] || rest=1
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$rest" "$@" && return 0
    rc=$?
    if converge_lock_held && [ "$(date +%s)" -lt "$converge_deadline" ]; then continue; fi
    if converge_lock_held; then
      echo "converge: gave up after waiting \${converge_lock_timeout}s for the package manager lock: $converge_holder" >&2
      return ${LOCK_TIMEOUT_EXIT}
    fi
    return $rc
  done
}
`;

/**
 * Wraps apt-get calls in a step that waits, bounded, for the package manager lock held by
 * another process (unattended-upgrades or cloud-init at boot, C-21). In `body`, call
 * `converge_apt_get ARGS...` instead of `apt-get`.
 *
 * While waiting it prints `converge: waiting up to Ns for the package manager lock: LOCK is held
 * by pid PID (COMMAND LINE)` on stderr; when `timeoutSeconds` pass, it prints `converge: gave up
 * ...` naming the holder the same way and exits {@link LOCK_TIMEOUT_EXIT}.
 */
export function aptLockedStep(timeoutSeconds: number, body: RawShell): RawShell {
  return sh`${raw(PRELUDE)}converge_lock_timeout=${timeoutSeconds}; converge_waited=; converge_deadline=$(( $(date +%s) + converge_lock_timeout ))
${body}`;
}

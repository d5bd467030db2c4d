#!/bin/sh
# Restore drill of the database backup: restores the newest `all-databases.sql` snapshot of
# restic repository $1 (tag $2, default `database`) into a scratch MariaDB server (its own data
# directory and socket, no network, no Galera), then compares the row count of every table of
# the live node with the restored one. Prints one line per table; exits 1 on any difference.
# Usage: mariadb-restore-drill.sh REPOSITORY [TAG] [CONFIG_DIR]
set -eu
repo=$1
tag=${2:-database}
conf=${3:-/etc/restic}
work=$(mktemp -d /var/tmp/mariadb-drill.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || :; wait "$pid" 2>/dev/null || :; fi
  rm -rf "$work"
}
trap cleanup EXIT
chown mysql:mysql "$work"
mariadb-install-db --no-defaults --user=mysql --datadir="$work/data" --skip-test-db >/dev/null 2>"$work/install.log" || { cat "$work/install.log" >&2; exit 1; }
mariadbd --no-defaults --user=mysql --datadir="$work/data" --socket="$work/sock" --pid-file="$work/pid" --skip-networking --skip-grant-tables --log-error="$work/error.log" &
pid=$!
i=0
until mariadb --socket="$work/sock" -e 'SELECT 1' >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then echo "the scratch server did not start:" >&2; tail -n 20 "$work/error.log" >&2; exit 1; fi
  sleep 1
done
(set -a && . "$conf/$repo/env" && set +a && restic --no-lock dump --tag "$tag" --path /all-databases.sql latest /all-databases.sql) | mariadb --socket="$work/sock"
tables=$(mariadb -N -B -e "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1")
[ -n "$tables" ] || { echo "no table to compare" >&2; exit 1; }
status=0
for t in $tables; do
  q="SELECT COUNT(*) FROM \`${t%%.*}\`.\`${t#*.}\`"
  live=$(mariadb -N -B -e "$q")
  restored=$(mariadb --socket="$work/sock" -N -B -e "$q" 2>/dev/null || echo missing)
  if [ "$live" = "$restored" ]; then echo "$t rows=$live restored=$restored ok"; else echo "$t rows=$live restored=$restored DIFFERS"; status=1; fi
done
exit "$status"

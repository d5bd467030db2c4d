#!/bin/sh
# The notes application (roles/app), a CGI program that lighttpd runs for /notes:
#   GET  /notes  lists the notes stored in the database;
#   POST /notes  stores the request body (1 to 200 letters, digits, spaces and _.,:-) as a note.
# Every answer names the app host that served it (first line and X-Served-By) and the release
# (X-App-Version, from the VERSION file of the release directory). The database is reached at
# the addresses in /etc/notes/db-hosts ("ADDRESS PORT" per line: the SQL router's shared
# address, or the nodes), in order: the next one is tried only when one cannot be reached or is
# not ready (never after a statement ran).
set -u
app=$(hostname)
version=$(cat "$(dirname "$0")/VERSION" 2>/dev/null || echo unknown)

reply() {
  printf 'Status: %s\r\nContent-Type: text/plain; charset=utf-8\r\nX-Served-By: %s\r\nX-App-Version: %s\r\n\r\nserved by %s\n%s\n' "$1" "$app" "$version" "$app" "$2"
  exit 0
}

sql() {
  out='no database address in /etc/notes/db-hosts'
  while read -r db port; do
    [ -n "$db" ] || continue
    if out=$(mariadb --defaults-extra-file=/etc/notes/db.cnf --host="$db" --port="${port:-3306}" --connect-timeout=3 --batch --skip-column-names -e "$1" 2>&1); then
      printf '%s' "$out"
      return 0
    fi
    # 2002/2003/2013: cannot connect or lost at connect; 1047: the node is not Synced (wsrep not ready).
    case $out in *'ERROR 2002'* | *'ERROR 2003'* | *'ERROR 2013'* | *'ERROR 1047'*) ;; *) break ;; esac
  done < /etc/notes/db-hosts
  printf '%s' "$out"
  return 1
}

case ${REQUEST_METHOD:-GET} in
  GET)
    if rows=$(sql 'SELECT id, app, body FROM notes ORDER BY id'); then reply '200 OK' "$rows"; fi
    reply '503 Service Unavailable' "database: $rows"
    ;;
  POST)
    body=$(head -c "${CONTENT_LENGTH:-0}")
    case $body in '' | *[!A-Za-z0-9\ _.,:-]*) reply '400 Bad Request' 'a note is 1 to 200 letters, digits, spaces and _.,:-' ;; esac
    [ "${#body}" -le 200 ] || reply '400 Bad Request' 'a note is 1 to 200 letters, digits, spaces and _.,:-'
    if id=$(sql "INSERT INTO notes (app, body) VALUES ('$app', '$body'); SELECT LAST_INSERT_ID()"); then reply '201 Created' "note $id stored"; fi
    reply '503 Service Unavailable' "database: $id"
    ;;
  *)
    reply '405 Method Not Allowed' 'GET or POST'
    ;;
esac

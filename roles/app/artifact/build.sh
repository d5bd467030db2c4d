#!/bin/sh
# Builds the release artifact of the notes application: files/notes-VERSION.tar.gz holding
# notes.cgi and VERSION, reproducibly (same input, same bytes: sorted names, fixed times and
# owners, gzip without a name or time), so that the committed artifacts can be checked with
# `sh roles/app/artifact/build.sh VERSION && git diff --exit-code roles/app/files`.
set -eu
version=${1:?usage: build.sh VERSION}
case $version in *[!0-9A-Za-z.+-]*) echo "build.sh: bad version $version" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/notes.cgi" "$work/notes.cgi"
chmod 0755 "$work/notes.cgi"
printf '%s\n' "$version" > "$work/VERSION"
chmod 0644 "$work/VERSION"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf - VERSION notes.cgi | gzip -n -9 > "$here/../files/notes-$version.tar.gz"
echo "$here/../files/notes-$version.tar.gz"

#!/usr/bin/env bash
# Start a private PostgreSQL server for the catalog tests and print the URL to export as
# SYNCREADY_TEST_PG. Needs root on Debian (installs the postgresql package when initdb is
# missing); prints nothing and returns 0 when it cannot, so the tests that need it skip.
# The server lives in a temporary folder owned by the postgres user, on a Unix socket only.
set -uo pipefail
cd /tmp  # the postgres user cannot enter the checkout
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || exit 0
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -n "$bindir" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 || exit 0
dir=$(mktemp -d /tmp/syncready-pg.XXXXXX)
chown postgres "$dir"
as_pg() { su postgres -s /bin/sh -c "$*"; }
as_pg "$bindir/initdb -D $dir/data -A trust -U postgres" >/dev/null &&
as_pg "$bindir/pg_ctl -D $dir/data -l $dir/log -w -o \"-k $dir -c listen_addresses=''\" start" >/dev/null &&
as_pg "$bindir/createdb -h $dir -U postgres syncready_test" || exit 0
echo "postgresql+psycopg://postgres@/syncready_test?host=$dir"

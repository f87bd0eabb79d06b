#!/usr/bin/env bash
# Start the local PostgreSQL cluster the test suite uses, if it is not already running.
set -euo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL non è installato (serve per la suite su PostgreSQL): apt-get install -y postgresql" >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
  sleep 1
done
echo "PostgreSQL non risponde su 127.0.0.1:5432" >&2
exit 1

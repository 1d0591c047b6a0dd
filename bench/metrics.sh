#!/usr/bin/env bash
# npm run bench:metrics: starts a throwaway PostgreSQL server (when the machine has one), then bench/metrics.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres-server.sh
trap pg_throwaway_stop EXIT
if pg_throwaway_start 2>/dev/null; then
  BENCH_DATABASE_URL="$PG_THROWAWAY_URL" node --import tsx bench/metrics.ts
else
  echo "no PostgreSQL server binaries: measuring on PGlite only" >&2
  node --import tsx bench/metrics.ts
fi

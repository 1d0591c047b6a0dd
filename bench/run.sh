#!/usr/bin/env bash
# npm run bench: starts a throwaway PostgreSQL server (when the machine has one), then bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent # the app is measured as it is deployed: compiled, on plain node
source scripts/postgres-server.sh
trap pg_throwaway_stop EXIT
if pg_throwaway_start 2>/dev/null; then
  BENCH_DATABASE_URL="$PG_THROWAWAY_URL" node --import tsx bench/run.ts
else
  echo "no PostgreSQL server binaries: benchmarking on PGlite only" >&2
  node --import tsx bench/run.ts
fi

#!/usr/bin/env bash
# npm run bench (bench/run.ts) or npm run bench:metrics (bench/metrics.ts): starts a throwaway
# PostgreSQL server when the machine has one, then the measuring script.
set -euo pipefail
cd "$(dirname "$0")/.."
script="bench/${1:-run}.ts"
npm run build --silent # the app is measured as it is deployed: compiled, on plain node
source scripts/postgres-server.sh
trap pg_throwaway_stop EXIT
if pg_throwaway_start 2>/dev/null; then
  BENCH_DATABASE_URL="$PG_THROWAWAY_URL" node --import tsx "$script"
else
  echo "no PostgreSQL server binaries: measuring on PGlite only" >&2
  node --import tsx "$script"
fi
